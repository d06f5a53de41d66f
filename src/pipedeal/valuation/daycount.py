"""Year fractions for model time (float years). Cash amounts in the deal layer use
``pipedeal.schedule``; these are only for placing dates on a lattice."""

from __future__ import annotations

import datetime as dt

from pipedeal.errors import UserError

DAY_COUNTS = ("ACT/365F", "ACT/360", "30/360")


def year_fraction(d1: dt.date, d2: dt.date, day_count: str = "ACT/365F") -> float:
    """``30/360`` is the US bond basis (QuantLib ``Thirty360(BondBasis)``)."""
    if day_count == "ACT/365F":
        return (d2 - d1).days / 365.0
    if day_count == "ACT/360":
        return (d2 - d1).days / 360.0
    if day_count == "30/360":
        dd1, dd2 = d1.day, d2.day
        if dd1 == 31:
            dd1 = 30
        if dd2 == 31 and dd1 >= 30:
            dd2 = 30
        days = 360 * (d2.year - d1.year) + 30 * (d2.month - d1.month) + (dd2 - dd1)
        return days / 360.0
    raise UserError(f"day count: unknown {day_count!r} (use {', '.join(DAY_COUNTS)})")
