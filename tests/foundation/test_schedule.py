"""Interest schedules: exact cents on real business days; invariants by property tests."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from pipedeal.market import business_calendar
from pipedeal.schedule import accrual_bounds, add_months, deal_schedules, note_schedule
from pipedeal.terms import load_deal

D = Decimal
SEC = business_calendar("SEC")


def test_one_million_note_of_2004_06_15_sums_to_the_contract_figure(example_dir):
    """7.5% simple, ACT/365F, [2004-06-15, 2005-06-15): 365 days → $75,000.00 exactly.

    Convention (docs/conventions.md): the issue day accrues, the maturity day does not; cents are
    settled cumulatively half-up so the payments sum to the rounded contractual total.
    """
    deal = load_deal(example_dir)
    first = deal_schedules(deal)[0]
    assert first.issue_date == dt.date(2004, 6, 15)
    assert first.total_days == 365
    assert first.total_interest == D("75000.00")
    assert first.maturity.date == dt.date(2005, 6, 15)
    assert first.maturity.pay_date == dt.date(2005, 6, 15)
    p0 = first.periods[0]
    assert (p0.period_start, p0.period_end, p0.days, p0.pay_date) == (
        dt.date(2004, 6, 15),
        dt.date(2004, 6, 30),
        16,
        dt.date(2004, 7, 1),
    )
    assert p0.pay_date == deal.note.interest.first_payment_date
    assert p0.amount == D("3287.67")  # 1,000,000 × 7.5% × 16/365 = 3,287.671…
    last = first.periods[-1]
    assert (last.period_start, last.period_end, last.days) == (
        dt.date(2005, 6, 1),
        dt.date(2005, 6, 14),
        14,
    )
    assert last.at_maturity and last.pay_date == dt.date(2005, 6, 15)
    assert first.maturity_payment == D("1000000") + last.amount
    assert len(first.periods) == 13


def test_every_payment_date_is_a_business_day(example_dir):
    for s in deal_schedules(load_deal(example_dir)):
        for p in s.periods:
            assert SEC.is_business_day(p.pay_date), p
    # 2004-07-31 month pays on Monday 2004-08-02; December 2004 pays 2005-01-03.
    pays = [p.pay_date for p in deal_schedules(load_deal(example_dir))[0].periods]
    assert dt.date(2004, 8, 2) in pays and dt.date(2005, 1, 3) in pays


def test_maturity_on_a_saturday_pays_the_next_business_day(example_dir):
    second = deal_schedules(load_deal(example_dir))[1]
    assert second.maturity.date == dt.date(2005, 6, 18)  # a Saturday
    assert second.maturity.pay_date == dt.date(2005, 6, 20)
    assert second.total_days == 365  # accrual stops at the contractual date by default
    assert second.total_interest == D("75000.00")


def test_add_months_clamps_to_month_end():
    assert add_months(dt.date(2004, 1, 31), 1) == dt.date(2004, 2, 29)
    assert add_months(dt.date(2004, 6, 15), 60) == dt.date(2009, 6, 15)


_EXAMPLE = __import__("pathlib").Path(__file__).resolve().parents[2] / "examples" / "innovo-2004"


@settings(max_examples=150, deadline=None)
@given(
    issue=st.dates(min_value=dt.date(1995, 1, 1), max_value=dt.date(2030, 12, 31)),
    principal=st.decimals(min_value=D("1000"), max_value=D("50000000"), places=2),
    rate=st.decimals(min_value=D("0.001"), max_value=D("0.25"), places=4),
    months=st.integers(min_value=1, max_value=36),
    start=st.sampled_from(["issue_date", "day_after_issue"]),
    rounding=st.sampled_from(["cumulative", "per_period"]),
    day_count=st.sampled_from(["ACT/365F", "ACT/360", "ACT/ACT"]),
)
def test_schedule_invariants(issue, principal, rate, months, start, rounding, day_count):
    from pipedeal.terms import AccrualStart, DayCount, InterestRounding

    base = load_deal(_EXAMPLE).note
    terms = base.model_copy(
        update={
            "interest": base.interest.model_copy(
                update={
                    "rate": rate,
                    "accrual_start": AccrualStart(start),
                    "rounding": InterestRounding(rounding),
                    "day_count": DayCount(day_count),
                }
            ),
            "maturity": base.maturity.model_copy(update={"months_after_issue": months}),
        }
    )
    s = note_schedule(issue, principal, terms, SEC)
    first, last = accrual_bounds(issue, terms, SEC)
    # No day accrued twice or missed: periods tile [first, last] in order.
    assert s.periods[0].period_start == first and s.periods[-1].period_end == last
    for a, b in zip(s.periods, s.periods[1:], strict=False):
        assert b.period_start == a.period_end + dt.timedelta(days=1)
    assert all(p.days == (p.period_end - p.period_start).days + 1 for p in s.periods)
    assert s.total_days == (last - first).days + 1
    # Each period stays within one month and is paid on a business day after it ends.
    for p in s.periods:
        assert (p.period_start.year, p.period_start.month) == (
            p.period_end.year,
            p.period_end.month,
        )
        assert p.pay_date > p.period_end or p.at_maturity
        assert SEC.is_business_day(p.pay_date)
    # Amounts sum to principal × rate × days / basis within rounding.
    exact = sum((p.exact for p in s.periods), D(0))
    if day_count == "ACT/365F":
        assert exact == principal * rate * s.total_days / 365 or abs(
            exact - principal * rate * s.total_days / 365
        ) < D("1e-15")
    tolerance = D("0.005") if rounding == "cumulative" else D("0.005") * len(s.periods)
    assert abs(s.total_interest - exact) <= tolerance
    assert all(p.amount == p.amount.quantize(D("0.01")) for p in s.periods)
