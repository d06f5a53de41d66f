"""Closing-price files: ``closes.csv`` with ``date,close[,volume,vwap]``.

Prices are exact ``Decimal``; every date must be a session of the deal's trading calendar, so a
price on a day the exchange was closed (2004-06-11 for XNAS) is an error, not silently used.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import stat
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import NamedTuple

import exchange_calendars as xcals
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
    _dates: tuple[dt.date, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_dates", tuple(b.date for b in self.bars))

    @property
    def first_date(self) -> dt.date | None:
        return self.bars[0].date if self.bars else None

    @property
    def last_date(self) -> dt.date | None:
        return self.bars[-1].date if self.bars else None

    def bar(self, day: dt.date) -> PriceBar | None:
        dates = self._dates
        i = bisect_left(dates, day)
        return self.bars[i] if i < len(dates) and dates[i] == day else None

    def between(self, start: dt.date, end: dt.date) -> tuple[PriceBar, ...]:
        return self.bars[bisect_left(self._dates, start) : bisect_right(self._dates, end)]


_REQUIRED = ("date", "close")
_OPTIONAL = ("volume", "vwap")

MAX_CLOSES_BYTES = 50 * 1024 * 1024
"""Largest price file read (50 MB: about a million rows)."""
MAX_INTEGER_DIGITS = 12
"""A price has at most this many digits before the decimal point..."""
MAX_DECIMALS = 8
"""...and this many after it."""
MAX_VOLUME = 10**15
"""Largest daily volume."""
_MAX_CELL = 40  # characters of a number cell; anything longer is not a plausible price


def read_text(path: Path) -> str:
    """The file's text; not a regular file, too large or not UTF-8 is one line (with the line)."""
    try:
        with path.open("rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                raise UserError(f"{path}: not a regular file")
            data = handle.read(MAX_CLOSES_BYTES + 1)
    except OSError as exc:
        raise UserError(f"{path}: cannot read price file: {exc.strerror}") from None
    if len(data) > MAX_CLOSES_BYTES:
        raise UserError(f"{path}: larger than {MAX_CLOSES_BYTES // 2**20} MB; not a price file?")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise UserError(
            f"{path}:{line}: not UTF-8 text (byte 0x{data[exc.start]:02x} at column {column})"
        ) from None


def _records(path: Path, text: str) -> Iterator[tuple[int, list[str]]]:
    """``(line number, cells)`` of every row that is not blank or a ``#`` comment."""
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if '"' not in line and "\0" not in line:
            yield number, [c.strip() for c in line.split(",")]  # the common case, fast
            continue
        if "\0" in line:
            raise UserError(f"{path}:{number}: NUL byte in the line")
        try:
            cells = next(csv.reader([line]))
        except csv.Error as exc:
            raise UserError(f"{path}:{number}: {exc}") from None
        yield number, [c.strip() for c in cells]


def load_closes(path: Path, calendar: str) -> PriceSeries:
    """Read and check a price file against ``calendar`` (one-line ``UserError`` on any fault).

    Linear in the file: one pass over the lines, one calendar lookup for the whole range."""
    cal = trading_calendar(calendar)
    records = _records(path, read_text(path))
    first = next(records, None)
    if first is None:
        raise UserError(f"{path}: empty price file; expected a header date,close")
    header_line, header = first
    missing = [c for c in _REQUIRED if c not in header]
    if missing:
        raise UserError(
            f"{path}:{header_line}: missing column(s) {', '.join(missing)} (need date,close)"
        )
    unknown = [c for c in header if c not in _REQUIRED + _OPTIONAL]
    if unknown:
        raise UserError(f"{path}:{header_line}: unknown column(s) {', '.join(unknown)}")
    if len(set(header)) != len(header):
        raise UserError(f"{path}:{header_line}: a column is named twice")
    bars: list[PriceBar] = []
    lines: list[int] = []
    columns = _Columns.of(header)
    for number, cells in records:
        if len(cells) != len(header):
            raise UserError(
                f"{path}:{number}: expected {len(header)} fields ({','.join(header)}), "
                f"found {len(cells)}"
            )
        bar = _parse_row(path, number, cells, columns)
        if bars and bar.date <= bars[-1].date:
            raise UserError(
                f"{path}:{number}: dates must be strictly ascending; {bar.date} follows "
                f"{bars[-1].date}"
            )
        bars.append(bar)
        lines.append(number)
    if bars:
        _check_sessions(path, calendar, cal, bars, lines)
    return PriceSeries(calendar=calendar, bars=tuple(bars), source=str(path))


def _check_sessions(
    path: Path,
    calendar: str,
    cal: xcals.ExchangeCalendar,
    bars: list[PriceBar],
    lines: list[int],
) -> None:
    low, high = cal.first_session.date(), cal.last_session.date()
    for bar, number in zip(bars, lines, strict=True):
        if not low <= bar.date <= high:
            raise UserError(
                f"{path}:{number}: {bar.date} is outside the {calendar} calendar "
                f"({low} to {high})"
            )
    sessions = set(
        cal.sessions_in_range(pd.Timestamp(bars[0].date), pd.Timestamp(bars[-1].date)).date
    )
    for bar, number in zip(bars, lines, strict=True):
        if bar.date not in sessions:
            raise UserError(
                f"{path}:{number}: {bar.date} is not a {calendar} trading session; remove that row"
            )


class _Columns(NamedTuple):
    """Where each column sits in a row (-1: absent)."""

    date: int
    close: int
    volume: int
    vwap: int

    @classmethod
    def of(cls, header: list[str]) -> _Columns:
        return cls(*(header.index(n) if n in header else -1 for n in cls._fields))


def _parse_row(path: Path, line: int, cells: list[str], at: _Columns) -> PriceBar:
    text = cells[at.date]
    try:
        if len(text) != 10:
            raise ValueError(text)
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise UserError(
            f"{path}:{line}: date {text[:40]!r} is not an ISO date (YYYY-MM-DD)"
        ) from None
    close = positive_price(path, line, "close", cells[at.close])
    vwap_cell = cells[at.vwap] if at.vwap >= 0 else ""
    vwap = positive_price(path, line, "vwap", vwap_cell) if vwap_cell else None
    volume = None
    cell = cells[at.volume] if at.volume >= 0 else ""
    if cell:
        where = f"{path}:{line}"
        if len(cell) > 16 or not cell.isascii() or not cell.isdigit():
            raise UserError(
                f"{where}: volume {cell[:_MAX_CELL]!r} is not a whole number of at most "
                f"{len(str(MAX_VOLUME)) - 1} digits"
            )
        volume = int(cell)
        if volume > MAX_VOLUME:
            raise UserError(f"{where}: volume {cell} is above {MAX_VOLUME:,}")
    return PriceBar(day, close, volume, vwap)


def positive_price(path: Path, line: int, name: str, text: str) -> Decimal:
    """``text`` as a positive price within the digit limits, or a user error naming the file,
    line and column ``name``."""
    where = f"{path}:{line}"
    if len(text) > _MAX_CELL:
        raise UserError(f"{where}: {name} {text[:_MAX_CELL]!r}... is not a price (too long)")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise UserError(f"{where}: {name} {text!r} is not a number") from None
    if not value.is_finite() or value <= 0:
        raise UserError(f"{where}: {name} must be a positive price, got {text!r}")
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)  # finite
    if -exponent > MAX_DECIMALS:  # maybe trailing zeros: 1.5000000000 is fine
        exponent = value.normalize().as_tuple().exponent
        assert isinstance(exponent, int)
    if value.adjusted() >= MAX_INTEGER_DIGITS or -exponent > MAX_DECIMALS:
        raise UserError(
            f"{where}: {name} {text!r} is out of range (at most {MAX_INTEGER_DIGITS} digits "
            f"before the point and {MAX_DECIMALS} after)"
        )
    return value


def load_deal_closes(deal_dir: Path, closes: str | None, calendar: str) -> PriceSeries | None:
    """The deal folder's price file, or None when the deal names none or the file is absent."""
    if not closes:
        return None
    path = Path(deal_dir) / closes
    if not path.exists():
        return None
    if not path.is_file():
        raise UserError(f"{path}: the deal's price file is not a regular file")
    return load_closes(path, calendar)
