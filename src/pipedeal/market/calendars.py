"""Trading and business-day calendars by name."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

import exchange_calendars as xcals
import holidays
import pandas as pd

from pipedeal.errors import UserError

# exchange_calendars defaults to a rolling 20-year history; our deals start in the 1990s-2000s.
CALENDAR_START = "1990-01-02"
CALENDAR_END_YEARS_AHEAD = 30


@lru_cache(maxsize=16)
def check_in_range(day: dt.date, option: str) -> dt.date:
    """``day`` when the calendars cover it (1990-01-02 to the end of the year
    ``CALENDAR_END_YEARS_AHEAD`` from now), else a user error naming ``option``."""
    from pipedeal.errors import UserError

    first = dt.date.fromisoformat(CALENDAR_START)
    last = dt.date(dt.date.today().year + CALENDAR_END_YEARS_AHEAD, 12, 31)
    if not first <= day <= last:
        raise UserError(f"{option}: {day.isoformat()} is outside the calendars' range "
                        f"({first.isoformat()} to {last.isoformat()})")
    return day


def trading_calendar(code: str) -> xcals.ExchangeCalendar:
    """An ``exchange_calendars`` calendar (e.g. ``XNAS``) covering 1990 to 30 years from now."""
    if code not in xcals.get_calendar_names(include_aliases=True):
        raise UserError(
            f"unknown trading calendar {code!r} (an exchange_calendars code, e.g. XNAS)"
        )
    end = f"{dt.date.today().year + CALENDAR_END_YEARS_AHEAD}-12-31"
    return xcals.get_calendar(code, start=CALENDAR_START, end=end)


def trading_sessions(code: str, start: dt.date, end: dt.date) -> list[dt.date]:
    """Sessions of ``code`` from ``start`` to ``end`` inclusive."""
    cal = trading_calendar(code)
    return [ts.date() for ts in cal.sessions_in_range(pd.Timestamp(start), pd.Timestamp(end))]


@dataclass(frozen=True)
class BusinessCalendar:
    """Weekdays that are not holidays of a named calendar."""

    name: str
    _exchange: str | None = None

    def is_business_day(self, day: dt.date) -> bool:
        if self._exchange is not None:
            return trading_calendar(self._exchange).is_session(pd.Timestamp(day))
        return day.weekday() < 5 and day not in _holidays_of(self.name, day.year)

    def holiday_name(self, day: dt.date) -> str | None:
        if self._exchange is not None or day.weekday() >= 5:
            return None
        return _holidays_of(self.name, day.year).get(day)

    def next_or_same(self, day: dt.date) -> dt.date:
        while not self.is_business_day(day):
            day += dt.timedelta(days=1)
        return day

    def previous_or_same(self, day: dt.date) -> dt.date:
        while not self.is_business_day(day):
            day -= dt.timedelta(days=1)
        return day

    def add_business_days(self, day: dt.date, count: int) -> dt.date:
        """The ``count``-th business day after ``day`` (``day`` itself is not counted)."""
        step = 1 if count >= 0 else -1
        remaining = abs(count)
        while remaining:
            day += dt.timedelta(days=step)
            if self.is_business_day(day):
                remaining -= 1
        return day

    def first_business_day_of_month(self, year: int, month: int) -> dt.date:
        return self.next_or_same(dt.date(year, month, 1))


_HOLIDAY_CALENDARS = {
    # Executive-order closures (e.g. 2004-06-11, Reagan's day of mourning) are in 'government'.
    "SEC": ("public", "government"),
    "US-federal": ("public",),
}


@lru_cache(maxsize=256)
def _holidays_of(name: str, year: int) -> dict[dt.date, str]:
    return dict(holidays.US(years=year, categories=_HOLIDAY_CALENDARS[name]))


def business_calendar(name: str) -> BusinessCalendar:
    """``SEC`` | ``US-federal`` | an exchange code (whose sessions are the business days)."""
    if name in _HOLIDAY_CALENDARS:
        return BusinessCalendar(name)
    if name in xcals.get_calendar_names(include_aliases=True):
        return BusinessCalendar(name, _exchange=name)
    raise UserError(
        f"unknown business-day calendar {name!r} (SEC, US-federal or an exchange code such as XNYS)"
    )
