"""One purchaser's convertible note: every contract question about it answered in one place.

A ``NoteInstrument`` is frozen data built once when the deal is loaded (terms, the price fixed at
issue, the contractual schedule, the key dates). Its methods are the only implementation of
accrued interest, the earliest prepayment date, the holder's election window, and conversion
shares; the schedule, the ledger's rules and the valuation all call them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from pipedeal.market.calendars import BusinessCalendar
from pipedeal.pricing.figures import PurchaserFigures, conversion_result
from pipedeal.pricing.rules import PriceTrace
from pipedeal.schedule.interest import (
    CENT,
    Maturity,
    NoteSchedule,
    add_months,
    interest_between,
)
from pipedeal.terms.models import AccrualStart, DayType, NoteTerms, Purchaser

ZERO = Decimal(0)
ONE_DAY = dt.timedelta(days=1)

#: (effective from, principal): the principal outstanding from a day on
Segment = tuple[dt.date, Decimal]


@dataclass(frozen=True)
class ElectionWindowDates:
    """What a prepayment notice given on ``notice_date`` opens."""

    notice_date: dt.date
    closes: dt.date  # last day the holder may elect to convert instead
    settle_from: dt.date  # first day the prepayment may settle

    @property
    def calendar_days(self) -> int:
        return (self.closes - self.notice_date).days


@dataclass(frozen=True)
class NoteInstrument:
    purchaser: Purchaser
    terms: NoteTerms
    calendar: BusinessCalendar
    conversion_trace: PriceTrace
    schedule: NoteSchedule  # contractual: full principal held to maturity
    first_accrual: dt.date  # first day that accrues (inclusive)
    last_accrual: dt.date  # last day that accrues (inclusive)

    @classmethod
    def build(
        cls, purchaser: Purchaser, terms: NoteTerms, calendar: BusinessCalendar,
        figures: PurchaserFigures, schedule: NoteSchedule,
    ) -> NoteInstrument:
        if schedule.periods:
            first, last = schedule.periods[0].period_start, schedule.periods[-1].period_end
        else:  # a note too short to accrue a day
            first, last = purchaser.closing_date, purchaser.closing_date - ONE_DAY
        return cls(purchaser, terms, calendar, figures.conversion, schedule, first, last)

    # --- dates ----------------------------------------------------------------------------------

    @property
    def name(self) -> str:
        return self.purchaser.name

    @property
    def issue_date(self) -> dt.date:
        return self.purchaser.closing_date

    @property
    def principal(self) -> Decimal:
        return self.purchaser.principal

    @property
    def maturity(self) -> Maturity:
        return self.schedule.maturity

    @property
    def pay_dates(self) -> tuple[dt.date, ...]:
        return tuple(p.pay_date for p in self.schedule.periods)

    @property
    def prepayment_from(self) -> dt.date:
        """First day the company may give a prepayment notice."""
        pre = self.terms.prepayment
        day = add_months(self.issue_date, pre.earliest_months_after_issue)
        return day if pre.earliest_inclusive else day + ONE_DAY

    def election_window(self, notice: dt.date) -> ElectionWindowDates:
        """The holder's election window a prepayment notice given on ``notice`` opens.

        ``holder_election_days`` counted from the notice date in business days (the deal's
        business-day calendar) or calendar days; the prepayment settles on the window's last day
        (``settlement = window_end``) or the business day after it.
        """
        pre = self.terms.prepayment
        n = pre.holder_election_days
        if pre.election_day_type is DayType.BUSINESS:
            closes = self.calendar.add_business_days(notice, n)
        else:
            closes = notice + dt.timedelta(days=n)
        if pre.settlement == "window_end":
            settle_from = closes
        else:
            settle_from = self.calendar.add_business_days(closes, 1)
        return ElectionWindowDates(notice, closes, settle_from)

    def delivery_deadline(self, converted: dt.date) -> dt.date:
        """The last day the shares of a conversion on ``converted`` may be delivered:
        ``conversion.delivery_business_days`` business days later (the deal's calendar)."""
        return self.calendar.add_business_days(
            converted, self.terms.conversion.delivery_business_days
        )

    # --- interest -------------------------------------------------------------------------------

    @property
    def accrual_shift(self) -> int:
        """0: a principal change on day D already counts for D's interest; 1: from D + 1.

        With ``accrual_start = issue_date`` the days [issue, maturity) accrue, so interest for a
        day is on the principal outstanding at the end of that day; with ``day_after_issue`` the
        days (issue, maturity] accrue on the principal at the start of the day.
        """
        return 0 if self.terms.interest.accrual_start is AccrualStart.ISSUE_DATE else 1

    def accrued_exact(self, segments: tuple[Segment, ...], upto: dt.date) -> Decimal:
        """Exact (unrounded) interest accrued on the days before ``upto`` (exclusive) since
        issue, on the principal ``segments`` (each: effective from, principal)."""
        end = min(upto, self.last_accrual + ONE_DAY)
        rate, day_count = self.terms.interest.rate, self.terms.interest.day_count
        total = ZERO
        for i, (start, principal) in enumerate(segments):
            stop = segments[i + 1][0] if i + 1 < len(segments) else end
            total += interest_between(
                principal, rate, max(start, self.first_accrual), min(stop, end), day_count
            )
        return total

    def accrued_full_principal(self, upto: dt.date) -> Decimal:
        """``accrued_exact`` with the full principal outstanding from issue."""
        return self.accrued_exact(((self.issue_date, self.principal),), upto)

    def round_interest(self, amount: Decimal) -> Decimal:
        return amount.quantize(CENT, rounding=self.terms.interest.rounding_mode.decimal_mode)

    def payable_interest(
        self, segments: tuple[Segment, ...], settled: Decimal, upto: dt.date
    ) -> Decimal:
        """Interest accrued before ``upto`` and not yet paid or converted (``settled``), in cents:
        cents are settled cumulatively."""
        return max(self.round_interest(self.accrued_exact(segments, upto)) - settled, ZERO)

    def segments_after(
        self, segments: tuple[Segment, ...], day: dt.date, principal: Decimal
    ) -> tuple[Segment, ...]:
        """The principal segments once ``principal`` is outstanding from a change on ``day``."""
        start = day + dt.timedelta(days=self.accrual_shift)
        return tuple(s for s in segments if s[0] < start) + ((start, principal),)

    # --- conversion -----------------------------------------------------------------------------

    @property
    def base_conversion_price(self) -> Decimal:
        return self.conversion_trace.price

    def conversion_price(self, factor: Fraction = Fraction(1)) -> Fraction:
        """The conversion price after splits and stock dividends (``factor``: shares per share
        held at issue), exact."""
        return Fraction(self.base_conversion_price) / factor

    def conversion_result(
        self, amount: Decimal, factor: Fraction = Fraction(1)
    ) -> tuple[int, Decimal]:
        """(shares issued, cash in lieu of a fraction) for converting ``amount`` dollars."""
        return conversion_result(amount, self.conversion_price(factor), self.terms.conversion)
