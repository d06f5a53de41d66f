"""One purchaser's common stock purchase warrant: shares, price, expiry and exercise proceeds."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

from pipedeal.market.calendars import BusinessCalendar
from pipedeal.pricing.rules import PriceTrace
from pipedeal.schedule.interest import add_months
from pipedeal.terms.models import Purchaser, RoundingMode, WarrantTerms


@dataclass(frozen=True)
class WarrantInstrument:
    purchaser: Purchaser
    terms: WarrantTerms
    shares: int  # at issue, before any adjustment
    exercise_trace: PriceTrace
    calendar: BusinessCalendar | None = None  # the deal's business days (delivery deadline)

    @property
    def name(self) -> str:
        return self.purchaser.name

    @property
    def issue_date(self) -> dt.date:
        return self.purchaser.closing_date

    @property
    def expires_at(self) -> dt.datetime:
        """The moment the warrant lapses (the terms' time of day and zone, e.g. 5:00 p.m.
        Pacific), ``term_years`` after issue; time-zone aware."""
        day = add_months(self.issue_date, 12 * self.terms.term_years)
        return dt.datetime.combine(
            day, self.terms.expiry_time, tzinfo=ZoneInfo(self.terms.expiry_timezone)
        )

    @property
    def expiry_date(self) -> dt.date:
        return self.expires_at.date()

    def expired_on(self, day: dt.date) -> bool:
        """True once ``day`` is the expiry date or later (no exercise time is known)."""
        return day >= self.expiry_date

    def delivery_deadline(self, exercised: dt.date) -> dt.date:
        """The last day the shares of an exercise on ``exercised`` may be delivered:
        ``delivery_business_days`` business days later (the deal's calendar)."""
        if self.calendar is None:
            raise ValueError("the warrant was built without the deal's business-day calendar")
        return self.calendar.add_business_days(exercised, self.terms.delivery_business_days)

    @property
    def base_exercise_price(self) -> Decimal:
        return self.exercise_trace.price

    def exercise_price(self, factor: Fraction = Fraction(1)) -> Fraction:
        """The exercise price after splits and stock dividends, exact."""
        return Fraction(self.base_exercise_price) / factor

    def shares_after(self, factor: Fraction) -> int:
        """Warrant shares at issue adjusted by ``factor`` (rounded per ``share_rounding``)."""
        return round_shares(Fraction(self.shares) * factor, self.terms.share_rounding)

    def proceeds(self, shares: int, factor: Fraction = Fraction(1)) -> Fraction:
        """Cash the company receives when ``shares`` are exercised for cash."""
        return shares * self.exercise_price(factor)


def round_shares(raw: Fraction, mode: RoundingMode) -> int:
    if mode is RoundingMode.HALF_UP:
        return math.floor(raw + Fraction(1, 2))
    if mode is RoundingMode.HALF_EVEN:
        return round(raw)
    if mode in (RoundingMode.UP, RoundingMode.CEILING):
        return math.ceil(raw)
    return math.floor(raw)
