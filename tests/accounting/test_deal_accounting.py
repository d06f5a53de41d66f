"""Accounting of the Innovo example on its real payment dates (pipedeal.schedule)."""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path

import pytest

from pipedeal.accounting.journal import (
    APIC_BCF,
    APIC_WARRANTS,
    CASH,
    DEBT_DISCOUNT,
    NOTES_PAYABLE,
    balances,
    trial_balance,
)
from pipedeal.accounting.report import deal_accounting
from pipedeal.errors import UserError
from pipedeal.report.book import build_context

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "innovo-2004"


@pytest.fixture(scope="module")
def ctx():
    return build_context(EXAMPLE)


def _with(ctx, **changes):
    """The book context's deal inputs as a plain bag, some of them changed."""
    from types import SimpleNamespace

    bag = {k: getattr(ctx, k) for k in ("deal_dir", "deal", "prices", "figures", "schedules")}
    return SimpleNamespace(**{**bag, **changes})


def _run(ctx, **kw):
    return deal_accounting(ctx.deal_dir, ctx.deal, ctx.prices, ctx.figures, ctx.schedules, **kw)


def test_schedule_ends_at_face_on_maturity_pay_date(ctx):
    notes = _run(ctx, note_fair_value="92%", warrant_fair_value="0.45/share")
    for n, sched in zip(notes, ctx.schedules, strict=True):
        rows = n.amortization.rows
        assert rows[-1].date == sched.maturity.pay_date
        assert rows[-1].closing == sched.principal
        assert [r.date for r in rows[:-1]] == sorted({p.pay_date for p in sched.periods})[:-1]
        assert sum(r.cash_interest for r in rows) == sched.total_interest
        assert n.amortization.total_amortization == n.allocation.discount
        # the effective rate reprices every row: no period but the last absorbs more than cents
        assert abs(n.amortization.rounding_residual) <= D("0.10")
        assert all(r.amortization > 0 for r in rows)


def test_entries_balance_and_accounts_close(ctx):
    notes = _run(ctx, note_fair_value="92%", warrant_fair_value="0.45/share")
    entries = [e for n in notes for e in n.entries]
    debits, credits = trial_balance(entries)
    assert debits == credits
    bal = balances(entries)
    assert bal[NOTES_PAYABLE] == 0
    assert bal[DEBT_DISCOUNT] == 0
    assert bal[APIC_WARRANTS] == -sum(n.allocation.allocated_to_warrants for n in notes)
    # cash: proceeds in, coupons and principal out
    interest = sum(s.total_interest for s in ctx.schedules)
    assert bal[CASH] == -interest


def test_relative_allocation_on_innovo_note(ctx):
    (n,) = _run(ctx, purchaser="Purchaser 1", note_fair_value="950000",
                warrant_fair_value="60000", commitment_price="1.60")
    a = n.allocation
    assert a.allocated_to_note == D("940594.06")
    # 1,000,000 / 1.53 shares; intrinsic value = 1.60 × shares − 940,594.06
    assert a.bcf == (D("1.60") * D("1000000") / D("1.53") - D("940594.06")).quantize(D("0.01"))
    assert balances(n.entries[:1])[APIC_BCF] == -a.bcf


def test_commitment_price_defaults_to_close_on_closing_date(ctx):
    notes = _run(ctx, note_fair_value="95%", warrant_fair_value="5%")
    closes = {f.purchaser.name: ctx.prices.bar(f.purchaser.closing_date).close
              for f in ctx.figures.purchasers}
    for n in notes:
        assert n.inputs.commitment_price.value == closes[n.purchaser]
        assert n.allocation.bcf == 0  # illustrative closes are below every conversion price


@pytest.mark.parametrize("kw,match", [
    (dict(note_fair_value="0", warrant_fair_value="5%"), "greater than zero"),
    (dict(note_fair_value="-5%", warrant_fair_value="5%"), "greater than zero"),
    (dict(note_fair_value="950000", warrant_fair_value="5%"), "add --purchaser"),
    (dict(note_fair_value="abc", warrant_fair_value="5%"), "not an amount"),
    (dict(purchaser="Nobody", note_fair_value="95%", warrant_fair_value="5%"), "no purchaser"),
])
def test_bad_inputs(ctx, kw, match):
    with pytest.raises(UserError, match=match):
        _run(ctx, **kw)


def test_missing_fair_value_without_market_toml(ctx, tmp_path):
    bare = _with(ctx, deal_dir=tmp_path)  # a folder with no market.toml: no engine values
    with pytest.raises(UserError, match="no note fair value"):
        _run(bare, warrant_fair_value="5%")
    with pytest.raises(UserError, match="no warrant fair value"):
        _run(bare, note_fair_value="95%")


def test_fair_values_from_the_valuation_engine(ctx):
    """Default fair values: pipedeal.valuation on market.toml's inputs, spot = the close on
    each closing date; allocation then follows ASC 470-20-25-2 on those values."""
    from pipedeal.ledger.assumed import terms_state
    from pipedeal.market.inputs import load_market
    from pipedeal.valuation.deal import value_deal

    (n,) = _run(ctx, purchaser="Purchaser 1")
    assert n.inputs.note_fair_value.source.startswith("valuation engine")
    day = n.issue_date
    market = load_market(ctx.deal_dir).model_copy(
        update={"spot": float(ctx.prices.bar(day).close), "as_of": day})
    loaded = ctx.loaded
    state = terms_state(loaded, day)
    row = value_deal(loaded, state, market, as_of=day).to_json()["purchasers"][0]
    note = D(repr(row["note"]["value"])).quantize(D("0.01"))
    warrant = D(repr(row["warrant"]["value"])).quantize(D("0.01"))
    assert n.inputs.note_fair_value.value == note
    assert n.inputs.warrant_fair_value.value == warrant
    a = n.allocation
    assert a.allocated_to_note == (D("1000000") * note / (note + warrant)).quantize(D("0.01"))
    assert a.allocated_to_note + a.allocated_to_warrants == D("1000000")
    # the user's value wins over the engine's
    (u,) = _run(ctx, purchaser="Purchaser 1", note_fair_value="900000")
    assert u.inputs.note_fair_value.value == D("900000")
    assert u.inputs.warrant_fair_value.value == warrant


def test_legacy_without_commitment_price(ctx, tmp_path):
    no_prices = _with(ctx, prices=None, deal_dir=tmp_path)
    with pytest.raises(UserError, match="commitment-date share price"):
        _run(no_prices, note_fair_value="95%", warrant_fair_value="5%")
    notes = _run(no_prices, note_fair_value="95%", warrant_fair_value="5%", regime="asu-2020-06")
    assert all(n.allocation.bcf == 0 for n in notes)
