"""Deal files: the example loads into frozen terms with the documented defaults."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pydantic
import pytest

from pipedeal.errors import UserError
from pipedeal.terms import (
    AccrualStart,
    BusinessDayConvention,
    DayType,
    FixedPrice,
    PriceRule,
    load_deal,
)


def test_example_loads_with_every_clause(example_dir):
    deal = load_deal(example_dir)
    assert deal.issuer.name == "Innovo Group Inc."
    assert deal.issuer.commission_file_number == "0-18926"
    assert deal.issuer.par_value == Decimal("0.10")
    assert deal.issuer.shares_outstanding_on(dt.date(2004, 7, 13)).shares == 29_090_390
    assert deal.issuer.shares_outstanding_on(dt.date(2004, 7, 12)).shares == 29_082_593
    assert deal.total_principal == Decimal("2500000")
    assert [p.closing_date for p in deal.purchasers] == [
        dt.date(2004, 6, 15),
        dt.date(2004, 6, 18),
        dt.date(2004, 6, 22),
    ]
    note = deal.note
    assert note.interest.rate == Decimal("0.075")
    assert note.interest.first_payment_date == dt.date(2004, 7, 1)
    assert isinstance(note.conversion.price, PriceRule)
    assert note.conversion.price.multiplier == Decimal("1.10")
    assert note.conversion.unpaid_interest_convertible is True
    assert note.prepayment.max_notices == 1 and note.prepayment.holder_election_days == 3
    assert deal.warrant.coverage_shares_per_dollar == Decimal("0.125")
    assert deal.warrant.expiry_time == dt.time(17, 0)
    assert deal.warrant.cashless_exercise is False
    assert deal.registration_rights.registrable_securities == (
        "conversion_shares",
        "warrant_shares",
    )
    assert deal.offering.exemption == ("Rule 506 of Regulation D",)


def test_terms_are_frozen(example_dir):
    deal = load_deal(example_dir)
    with pytest.raises(pydantic.ValidationError):
        deal.note.interest.rate = Decimal("0.1")  # type: ignore[misc]


def test_open_points_have_documented_defaults(example_dir):
    """Every open point of DESIGN.md is a named term with the default docs/deal-file.md states."""
    deal = load_deal(example_dir)
    data = deal.model_dump()
    # Drop the explicit open-point settings and check the model falls back to the same defaults.
    note = data["note"]
    for key in ("accrual_start", "rounding", "rounding_mode"):
        note["interest"].pop(key)
    note["maturity"] = {}
    note["prepayment"] = {}
    for key in ("fractional_shares", "unpaid_interest_convertible"):
        note["conversion"].pop(key)
    rebuilt = type(deal).model_validate(data)
    assert rebuilt.note.interest.accrual_start is AccrualStart.ISSUE_DATE
    assert rebuilt.note.maturity.business_day_convention is BusinessDayConvention.FOLLOWING
    assert rebuilt.note.prepayment.election_day_type is DayType.BUSINESS
    assert rebuilt.note.prepayment.earliest_months_after_issue == 3
    assert rebuilt.note.conversion.fractional_shares == "round_down"
    assert rebuilt.note.conversion.unpaid_interest_convertible is True
    assert rebuilt == deal


def test_fixed_price_rule_is_accepted(example_dir):
    deal = load_deal(example_dir)
    data = deal.model_dump()
    data["note"]["conversion"]["price"] = {"fixed": "0.50"}
    rebuilt = type(deal).model_validate(data)
    assert rebuilt.note.conversion.price == FixedPrice(fixed=Decimal("0.50"))


def test_cash_funded_above_principal_is_rejected(deal_copy):
    text = (deal_copy / "deal.toml").read_text()
    text = text.replace('principal = "500000"', 'principal = "500000"\ncash_funded = "600000"')
    (deal_copy / "deal.toml").write_text(text)
    with pytest.raises(UserError, match=r"purchasers\[2\]: .*cash_funded exceeds principal"):
        load_deal(deal_copy)
