"""Closing-price files: ``closes.csv`` with ``date,close[,volume,vwap]``.

Prices are exact ``Decimal``; every date must be a session of the deal's trading calendar, so a
price on a day the exchange was closed (2004-06-11 for XNAS) is an error, not silently used.
"""

from __future__ import annotations

import csv
import datetime as dt
from bisect import bisect_left
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pandas as pd

from pipedeal.errors import UserError
from pipedeal.market.calendars import trading_calendar


@dataclass(frozen=True)
class PriceBar:
    date: dt.date
    close: Decimal
    volume: int | None = None
    vwap: Decimal | None = None


@dataclass(frozen=True)
class PriceSeries:
    """Daily bars in ascending date order, on one trading calendar."""

    calendar: str
    bars: tuple[PriceBar, ...]
    source: str = ""

    @property
    def first_date(self) -> dt.date | None:
        return self.bars[0].date if self.bars else None

    @property
    def last_date(self) -> dt.date | None:
        return self.bars[-1].date if self.bars else None

    def bar(self, day: dt.date) -> PriceBar | None:
        dates = [b.date for b in self.bars]
        i = bisect_left(dates, day)
        return self.bars[i] if i < len(dates) and dates[i] == day else None

    def between(self, start: dt.date, end: dt.date) -> tuple[PriceBar, ...]:
        return tuple(b for b in self.bars if start <= b.date <= end)


_REQUIRED = ("date", "close")
_OPTIONAL = ("volume", "vwap")


def load_closes(path: Path, calendar: str) -> PriceSeries:
    """Read and check a price file against ``calendar`` (one-line ``UserError`` on any fault)."""
    cal = trading_calendar(calendar)
    try:
        handle = path.open(newline="", encoding="utf-8")
    except OSError as exc:
        raise UserError(f"{path}: cannot read price file: {exc.strerror}") from None
    bars: list[PriceBar] = []
    with handle:
        rows = (row for row in handle if not row.lstrip().startswith("#"))
        reader = csv.DictReader(rows)
        header = [h.strip() for h in (reader.fieldnames or [])]
        missing = [c for c in _REQUIRED if c not in header]
        if missing:
            raise UserError(f"{path}: missing column(s) {', '.join(missing)} (need date,close)")
        unknown = [c for c in header if c not in _REQUIRED + _OPTIONAL]
        if unknown:
            raise UserError(f"{path}: unknown column(s) {', '.join(unknown)}")
        for row in reader:
            line = _line_of(path, reader.line_num)
            bars.append(
                _parse_row(path, line, {k.strip(): (v or "").strip() for k, v in row.items()})
            )
    for previous, bar in zip(bars, bars[1:], strict=False):
        if bar.date <= previous.date:
            raise UserError(
                f"{path}: dates must be strictly ascending; {bar.date} follows {previous.date}"
            )
    for bar in bars:
        if not cal.is_session(pd.Timestamp(bar.date)):
            raise UserError(
                f"{path}: {bar.date} is not a {calendar} trading session; remove that row"
            )
    return PriceSeries(calendar=calendar, bars=tuple(bars), source=str(path))


def _line_of(path: Path, data_line: int) -> int:
    # DictReader counts lines after comment filtering; map back to the physical line number.
    lines = path.read_text(encoding="utf-8").splitlines()
    seen = 0
    for number, text in enumerate(lines, start=1):
        if not text.lstrip().startswith("#"):
            seen += 1
            if seen == data_line:
                return number
    return data_line


def _parse_row(path: Path, line: int, row: dict[str, str]) -> PriceBar:
    where = f"{path}:{line}"
    try:
        day = dt.date.fromisoformat(row["date"])
    except ValueError:
        raise UserError(f"{where}: date {row['date']!r} is not an ISO date (YYYY-MM-DD)") from None
    close = _positive_decimal(where, "close", row["close"])
    vwap = _positive_decimal(where, "vwap", row["vwap"]) if row.get("vwap") else None
    volume = None
    if row.get("volume"):
        try:
            volume = int(row["volume"])
        except ValueError:
            raise UserError(f"{where}: volume {row['volume']!r} is not a whole number") from None
        if volume < 0:
            raise UserError(f"{where}: volume must not be negative")
    return PriceBar(day, close, volume, vwap)


def _positive_decimal(where: str, name: str, text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise UserError(f"{where}: {name} {text!r} is not a number") from None
    if not value.is_finite() or value <= 0:
        raise UserError(f"{where}: {name} must be a positive number, got {text!r}")
    return value


def load_deal_closes(deal_dir: Path, closes: str | None, calendar: str) -> PriceSeries | None:
    """The deal folder's price file, or None when the deal names none or the file is absent."""
    if not closes:
        return None
    path = Path(deal_dir) / closes
    if not path.exists():
        return None
    return load_closes(path, calendar)
