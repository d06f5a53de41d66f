"""Interest and maturity schedules in exact money.

Convention (named terms, defaults in brackets): interest is simple, on the full principal, by
day count [ACT/365F]; the days that accrue are [issue date, maturity date) [accrual_start =
issue_date], so a 12-month note accrues exactly one year of days; each month's interest is paid
on the first business day of the next month on the named business-day calendar [SEC]; the
final stub is paid with principal at maturity, moved to a business day by the maturity
convention [following]. Cents are settled cumulatively [rounding = cumulative]: each payment is
round(interest accrued to its period end) − round(interest accrued to the previous period end),
half-up, so the payments always sum to the rounded contractual total.
"""

from __future__ import annotations

import calendar as _calendar
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from pipedeal.market.calendars import BusinessCalendar, business_calendar
from pipedeal.terms.models import (
    AccrualStart,
    BusinessDayConvention,
    DayCount,
    Deal,
    InterestRounding,
    NoteTerms,
    Purchaser,
)

CENT = Decimal("0.01")
ONE_DAY = dt.timedelta(days=1)


def add_months(day: dt.date, months: int) -> dt.date:
    """Same day ``months`` later, clamped to the month's last day (Jan 31 + 1M = Feb 28/29)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, _calendar.monthrange(year, month)[1]))


def month_end(day: dt.date) -> dt.date:
    return dt.date(day.year, day.month, _calendar.monthrange(day.year, day.month)[1])


def adjust(day: dt.date, convention: BusinessDayConvention, cal: BusinessCalendar) -> dt.date:
    if convention is BusinessDayConvention.UNADJUSTED or cal.is_business_day(day):
        return day
    if convention is BusinessDayConvention.PRECEDING:
        return cal.previous_or_same(day)
    following = cal.next_or_same(day)
    if convention is BusinessDayConvention.MODIFIED_FOLLOWING and following.month != day.month:
        return cal.previous_or_same(day)
    return following


def day_fraction(day: dt.date, day_count: DayCount) -> Decimal:
    """The year fraction one calendar day of accrual is worth."""
    if day_count is DayCount.ACT_365F:
        return Decimal(1) / 365
    if day_count is DayCount.ACT_360:
        return Decimal(1) / 360
    return Decimal(1) / (366 if _calendar.isleap(day.year) else 365)


def interest_between(
    principal: Decimal, rate: Decimal, start: dt.date, end: dt.date, day_count: DayCount
) -> Decimal:
    """Exact (unrounded) simple interest on ``principal`` for the days [start, end).

    The one day-count implementation: the schedule, the ledger's accrual and the valuation's
    coupons all come from it. ACT/ACT splits the days at each January 1.
    """
    days = (end - start).days
    if days <= 0 or principal == 0:
        return Decimal(0)
    if day_count is DayCount.ACT_365F:
        return principal * rate * days / 365
    if day_count is DayCount.ACT_360:
        return principal * rate * days / 360
    total = Decimal(0)
    while start < end:
        stop = min(end, dt.date(start.year + 1, 1, 1))
        basis = 366 if _calendar.isleap(start.year) else 365
        total += principal * rate * (stop - start).days / basis
        start = stop
    return total


@dataclass(frozen=True)
class Maturity:
    date: dt.date  # contractual (unadjusted)
    pay_date: dt.date  # moved to a business day
    accrual_end: dt.date  # the date accrual stops (exclusive bound for [issue, end))


def maturity_of(issue: dt.date, terms: NoteTerms, cal: BusinessCalendar) -> Maturity:
    date = add_months(issue, terms.maturity.months_after_issue)
    pay = adjust(date, terms.maturity.business_day_convention, cal)
    end = pay if terms.maturity.accrue_to_adjusted_date else date
    return Maturity(date, pay, end)


def accrual_bounds(
    issue: dt.date, terms: NoteTerms, cal: BusinessCalendar
) -> tuple[dt.date, dt.date]:
    """First and last calendar day that accrue interest (both inclusive)."""
    end = maturity_of(issue, terms, cal).accrual_end
    if terms.interest.accrual_start is AccrualStart.ISSUE_DATE:
        return issue, end - ONE_DAY
    return issue + ONE_DAY, end


@dataclass(frozen=True)
class InterestPeriod:
    period_start: dt.date  # first day accrued (inclusive)
    period_end: dt.date  # last day accrued (inclusive)
    days: int
    pay_date: dt.date
    amount: Decimal  # cents, per the rounding rule
    exact: Decimal  # unrounded
    at_maturity: bool


@dataclass(frozen=True)
class NoteSchedule:
    purchaser: str
    issue_date: dt.date
    principal: Decimal
    maturity: Maturity
    periods: tuple[InterestPeriod, ...]
    rounding_rule: str

    @property
    def total_interest(self) -> Decimal:
        return sum((p.amount for p in self.periods), Decimal(0))

    @property
    def total_days(self) -> int:
        return sum(p.days for p in self.periods)

    @property
    def final_interest(self) -> Decimal:
        return self.periods[-1].amount if self.periods else Decimal(0)

    @property
    def maturity_payment(self) -> Decimal:
        """Principal plus the final stub of interest, paid on the maturity pay date."""
        return self.principal + self.final_interest


def note_schedule(
    issue: dt.date,
    principal: Decimal,
    terms: NoteTerms,
    cal: BusinessCalendar,
    *,
    purchaser: str = "",
) -> NoteSchedule:
    """The contractual interest schedule of one note held to maturity, nothing converted."""
    maturity = maturity_of(issue, terms, cal)
    first, last = accrual_bounds(issue, terms, cal)
    rate, day_count = terms.interest.rate, terms.interest.day_count
    mode = terms.interest.rounding_mode.decimal_mode
    periods: list[InterestPeriod] = []
    cumulative = Decimal(0)
    paid = Decimal(0)
    start = first
    while start <= last:
        end = min(month_end(start), last)
        days = (end - start).days + 1
        exact = interest_between(principal, rate, start, end + ONE_DAY, day_count)
        cumulative += exact
        if terms.interest.rounding is InterestRounding.CUMULATIVE:
            amount = cumulative.quantize(CENT, rounding=mode) - paid
        else:
            amount = exact.quantize(CENT, rounding=mode)
        paid += amount
        at_maturity = end == last
        if at_maturity:
            pay = maturity.pay_date
        else:
            nxt = end + ONE_DAY
            pay = cal.first_business_day_of_month(nxt.year, nxt.month)
        periods.append(InterestPeriod(start, end, days, pay, amount, exact, at_maturity))
        start = end + ONE_DAY
    rule = f"{terms.interest.rounding.value}, {terms.interest.rounding_mode.value} to the cent"
    return NoteSchedule(purchaser, issue, principal, maturity, tuple(periods), rule)


def deal_schedules(deal: Deal) -> tuple[NoteSchedule, ...]:
    cal = business_calendar(deal.market.business_day_calendar)
    return tuple(purchaser_schedule(deal, p, cal) for p in deal.purchasers)


def purchaser_schedule(
    deal: Deal, p: Purchaser, cal: BusinessCalendar | None = None
) -> NoteSchedule:
    cal = cal or business_calendar(deal.market.business_day_calendar)
    return note_schedule(p.closing_date, p.principal, deal.note, cal, purchaser=p.name)
