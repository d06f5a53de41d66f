"""Value-to-text formatting shared by every section of the HTML book.

Book values arrive as JSON (decimal strings, numbers, dates as ISO strings, nested lists and
dicts); these helpers turn any of them into the text a table cell or a chart tooltip shows
(money with a real minus sign, prices to as many places as they carry, share counts, percentages,
"—" for a missing value) and parse them back into ``Decimal`` / ``float`` / ``date`` for charts.
A value of a shape the helper does not expect prints as itself, never as an error.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any


# ---- formatting --------------------------------------------------------------------------
def dec(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def money(value: Any, places: int = 2) -> str:
    d = dec(value)
    if d is None:
        return "—"
    sign = "−" if d < 0 else ""
    return f"{sign}${abs(d):,.{places}f}"


def price(value: Any) -> str:
    d = dec(value)
    if d is None:
        return "—"
    exp = d.normalize().as_tuple().exponent
    places = min(max(2, -exp if isinstance(exp, int) else 2), 6)
    return f"${d:,.{places}f}"


def shares(value: Any) -> str:
    if value is None:
        return "—"
    d = dec(value)
    return str(value) if d is None else f"{d:,.0f}" if d == d.to_integral() else f"{d:,}"


def pct(value: Any, places: int = 2) -> str:
    d = dec(value)
    return "—" if d is None else f"{d:.{places}f}%"


def cell(value: Any) -> str:
    """Any JSON value as table text."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.6g}"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, (list, tuple)):
        return ", ".join(cell(v) for v in value)
    if isinstance(value, Mapping):
        return "; ".join(f"{k}: {cell(v)}" for k, v in value.items())
    return str(value)


def humanize(key: str) -> str:
    return key.replace("_", " ")


def parse_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


def num(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value)
    d = dec(value)
    return None if d is None else float(d)
