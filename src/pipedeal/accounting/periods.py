"""The issuer's fiscal period ends: where the journal books period-end accruals.

Two calendars (``[accounting] fiscal_calendar``): ``month-end`` — quarters end on the same day
three, six and nine months before ``fiscal_year_end`` (the month's last day when the year ends on
a month's last day); ``52-53-week`` — the fiscal year ends on the last ``fiscal_week_ends_on``
weekday on or before ``fiscal_year_end`` (``fiscal_week_rule = "last"``: Innovo, the last
Saturday of November, 2004-11-27 and 2005-11-26) or the one nearest it (``"nearest"``), and its
first three quarters are 13 weeks each, the fourth 13 or 14.
"""

from __future__ import annotations

import calendar
import datetime as dt

from pipedeal.schedule.interest import add_months
from pipedeal.terms.models import AccountingTerms

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
ONE_WEEK = dt.timedelta(weeks=1)


def _nominal_year_end(terms: AccountingTerms, year: int) -> dt.date:
    month, day = (int(x) for x in terms.fiscal_year_end.split("-"))
    return dt.date(year, month, min(day, calendar.monthrange(year, month)[1]))


def fiscal_year_end(terms: AccountingTerms, year: int) -> dt.date:
    """The last day of the fiscal year whose nominal end falls in calendar ``year``."""
    nominal = _nominal_year_end(terms, year)
    if terms.fiscal_calendar == "month-end":
        return nominal
    weekday = WEEKDAYS.index(terms.fiscal_week_ends_on)
    back = (nominal.weekday() - weekday) % 7  # days back to that weekday on or before
    if terms.fiscal_week_rule == "last" or back <= 3:
        return nominal - dt.timedelta(days=back)
    return nominal + dt.timedelta(days=7 - back)


def _quarter_ends_of_year(terms: AccountingTerms, year: int) -> list[dt.date]:
    end = fiscal_year_end(terms, year)
    if terms.fiscal_calendar == "52-53-week":
        start = fiscal_year_end(terms, year - 1)  # the day before the year's first day
        return [start + 13 * q * ONE_WEEK for q in (1, 2, 3)] + [end]
    month, day = (int(x) for x in terms.fiscal_year_end.split("-"))
    month_end = day == calendar.monthrange(2023, month)[1] or (month, day) == (2, 29)
    ends = []
    for back in (9, 6, 3):
        d = add_months(end, -back)
        if month_end:
            d = d.replace(day=calendar.monthrange(d.year, d.month)[1])
        ends.append(d)
    return [*ends, end]


def fiscal_quarter_ends(terms: AccountingTerms, start: dt.date, end: dt.date) -> list[dt.date]:
    """Every fiscal quarter end in (``start``, ``end``], in order."""
    out = []
    for year in range(start.year, end.year + 2):
        out += [d for d in _quarter_ends_of_year(terms, year) if start < d <= end]
    return sorted(set(out))
