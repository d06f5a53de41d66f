"""Section I of ../shared/reference/valuation-cases.md, reproduced to the cent.

Source: "I. Accounting illustration (ASC 470-20 relative FV + pre-ASU 2020-06 BCF)" [DERIVED]:
principal 1,000,000 at par; conversion price 1.10 (909,090.9091 shares); standalone fair values
note 950,000 and warrants 60,000; 7.5% interest paid monthly (6,250), principal at month 12.
Rules: ASC 470-20-25-2 (relative fair value), EITF 98-5 / 00-27 (BCF capped at the amount
allocated to the note).
"""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from pipedeal.accounting import CashFlow, Regime, allocate, amortization_schedule
from pipedeal.errors import UserError

FACE = D("1000000")


def _case(commitment: str, regime: Regime = Regime.LEGACY):
    return allocate(
        principal=FACE, proceeds=FACE, conversion_price=D("1.10"),
        note_fair_value=D("950000"), warrant_fair_value=D("60000"),
        commitment_price=D(commitment), regime=regime,
    )


def _flows() -> list[CashFlow]:
    return [CashFlow(None, D("6250"))] * 11 + [CashFlow(None, D("6250"), FACE)]


def test_relative_fair_value_allocation():
    """Section I: allocated to note = 1,000,000 × 950/1010 = 940,594.06; warrants 59,405.94."""
    a = _case("1.00")
    assert a.allocated_to_note == D("940594.06")
    assert a.allocated_to_warrants == D("59405.94")
    assert a.allocated_to_note + a.allocated_to_warrants == FACE


def test_effective_conversion_price():
    """Section I: effective conversion price = 940,594.06 / 909,090.91 = 1.034653."""
    a = _case("1.00")
    assert a.conversion_shares.quantize(D("0.0001")) == D("909090.9091")
    assert a.effective_conversion_price_rounded == D("1.034653")


def test_case_a_no_bcf_and_monthly_rate():
    """Section I case A: commitment price 1.00 → BCF 0; carrying 940,594.06; 1.158102%/month."""
    a = _case("1.00")
    assert a.bcf == 0
    assert a.carrying_amount == D("940594.06")
    s = amortization_schedule(a.carrying_amount, FACE, _flows())
    assert (s.rate * 100).quantize(D("0.000001")) == D("1.158102")
    assert (s.rate * 1200).quantize(D("0.0001")) == D("13.8972")
    assert s.rows[-1].closing == FACE
    assert s.total_amortization == D("59405.94")


def test_case_b_bcf_and_monthly_rate():
    """Section I case B: commitment price 1.20 → BCF 150,315.03; carrying 790,279.03; total
    discount 209,720.97; monthly effective rate 2.693543% (×12 = 32.3225%)."""
    a = _case("1.20")
    assert a.bcf == D("150315.03")
    assert not a.bcf_capped
    assert a.carrying_amount == D("790279.03")
    assert a.discount == D("209720.97")
    s = amortization_schedule(a.carrying_amount, FACE, _flows())
    assert (s.rate * 100).quantize(D("0.000001")) == D("2.693543")
    assert (s.rate * 1200).quantize(D("0.0001")) == D("32.3225")
    assert s.rows[-1].closing == FACE
    assert s.total_amortization == D("209720.97")
    assert abs(s.rounding_residual) <= D("0.05")


def test_asu_2020_06_has_no_bcf():
    """Section I: under ASU 2020-06 case B carries the note at 940,594.06 (warrant discount
    only)."""
    a = _case("1.20", Regime.ASU_2020_06)
    assert a.bcf == 0
    assert a.carrying_amount == D("940594.06")


def test_warrant_count_at_coverage():
    """Section I: warrant count at 12.5% coverage of conversion shares = 113,636.36."""
    a = _case("1.00")
    assert (a.conversion_shares * D("0.125")).quantize(D("0.01")) == D("113636.36")


def test_bcf_capped_at_amount_allocated_to_note():
    """EITF 98-5 ¶6: the BCF never exceeds the proceeds allocated to the note."""
    a = _case("5.00")
    assert a.bcf_capped
    assert a.bcf == a.allocated_to_note
    assert a.carrying_amount == 0


@pytest.mark.parametrize("field", ["note_fair_value", "warrant_fair_value"])
@pytest.mark.parametrize("bad", ["0", "-1"])
def test_non_positive_fair_value_is_a_user_error(field, bad):
    kwargs = dict(principal=FACE, proceeds=FACE, conversion_price=D("1.10"),
                  note_fair_value=D("950000"), warrant_fair_value=D("60000"),
                  commitment_price=D("1.0"))
    kwargs[field] = D(bad)
    with pytest.raises(UserError, match="greater than zero"):
        allocate(**kwargs)


def test_legacy_needs_commitment_price():
    with pytest.raises(UserError, match="commitment"):
        allocate(principal=FACE, proceeds=FACE, conversion_price=D("1.10"),
                 note_fair_value=D("950000"), warrant_fair_value=D("60000"))
    # asu-2020-06 does not
    a = allocate(principal=FACE, proceeds=FACE, conversion_price=D("1.10"),
                 note_fair_value=D("950000"), warrant_fair_value=D("60000"),
                 regime="asu-2020-06")
    assert a.carrying_amount == D("940594.06")
