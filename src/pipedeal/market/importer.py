"""Daily prices from a vendor's CSV file into a deal's ``closes.csv`` (``pipedeal market import``).

Vendors lay out the same data many ways: ``Date,Open,High,Low,Close,Adj Close,Volume`` (Yahoo!),
``Date,Close/Last,Volume,Open,High,Low`` with ``$1.53`` and newest first (Nasdaq), ``Dates,PX_LAST,
PX_VOLUME`` (Bloomberg), dates as ``2004-06-15``, ``06/15/2004`` or ``15-Jun-2004``, thousands
separators, a UTF-8 byte-order mark. ``read_prices`` finds the date, close (or, with
``adjusted``, the adjusted close) and volume columns by their names, reads every row, and checks
the result against the deal's exchange calendar: a row on a day the exchange was closed, a
session missing inside the file's range, a date given twice, or a price that is not a positive
number is a one-line ``UserError`` naming the file and the row (its line number). Nothing is
written unless the whole file passes; ``import_closes`` then replaces the deal's closes file in
one piece, in the ``date,close[,volume][,vwap]`` layout ``pipedeal.market.closes`` reads.

The close taken is the unadjusted one by default: a note's price rule reads the prices the market
printed on those days; an adjusted series changes with every later split or dividend.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
import tempfile
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pandas as pd

from pipedeal.errors import UserError
from pipedeal.market.calendars import trading_calendar
from pipedeal.market.closes import (
    MAX_VOLUME,
    PriceBar,
    load_closes,
    positive_price,
    read_text,
)
from pipedeal.terms.models import Deal

# Column names as vendors write them, compared lower-cased with punctuation as spaces
# ("Close/Last" -> "close last", "PX_LAST" -> "px last", "Adj. Close*" -> "adj close").
DATE_NAMES = {"date", "dates", "day", "trade date", "timestamp", "time", "datetime"}
CLOSE_NAMES = {
    "close", "close last", "last", "px last", "closing price", "close price", "price",
    "last price", "last close", "unadjusted close",
}  # fmt: skip
ADJUSTED_NAMES = {
    "adj close", "adjusted close", "adj close last", "adjclose", "close adjusted",
    "px last adjusted",
}  # fmt: skip
VOLUME_NAMES = {"volume", "vol", "px volume", "shares traded", "total volume"}
VWAP_NAMES = {"vwap", "px vwap", "eqy weighted avg px", "volume weighted average price"}

DATE_FORMATS = (
    "%Y-%m-%d",  # ISO
    "%m/%d/%Y",  # US: 06/15/2004 (a slash date is read month first)
    "%d-%b-%Y",  # 15-Jun-2004
    "%d %b %Y",  # 15 Jun 2004
    "%b %d, %Y",  # Jun 15, 2004
    "%d-%b-%y",  # 15-Jun-04
    "%m/%d/%y",  # 06/15/04
    "%Y/%m/%d",  # 2004/06/15
    "%d.%m.%Y",  # 15.06.2004 (a dotted date is read day first)
    "%Y%m%d",  # 20040615
)
# an ISO date with a time of day (pandas' "2004-06-15 00:00:00", "2004-06-15T00:00:00-04:00")
_TIME_SUFFIX = re.compile(
    r"^(\d{4}-\d{2}-\d{2})[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:?\d{2}|Z)?$"
)
_NUMBER = re.compile(r"\d+(\.\d+)?|\d{1,3}(,\d{3})+(\.\d+)?")
_HEADER_SEARCH_LINES = 30  # a vendor's preamble (title, security, period) before the header


@dataclass(frozen=True)
class Columns:
    """Where the columns sit (-1: absent) and what the file called them."""

    date: int
    close: int
    volume: int
    vwap: int
    close_name: str


@dataclass(frozen=True)
class ImportedPrices:
    """The checked prices of a vendor file, ascending, and where they came from."""

    source: str
    calendar: str
    close_column: str
    adjusted: bool
    date_format: str
    bars: tuple[PriceBar, ...]
    # prices fixed at issue the import changed ("Purchaser 1: conversion price 1.53 -> 1.55")
    changed_prices: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "calendar": self.calendar,
            "close_column": self.close_column,
            "adjusted": self.adjusted,
            "date_format": self.date_format,
            "sessions": len(self.bars),
            "first": self.bars[0].date.isoformat() if self.bars else None,
            "last": self.bars[-1].date.isoformat() if self.bars else None,
            "changed_prices": list(self.changed_prices),
        }


Rows = list[tuple[int, list[str]]]
"""``(line number, cells)`` of a file's non-blank lines."""


def _name(cell: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", cell.lower()).split())


def _rows(path: Path | str, text: str) -> Rows:
    """``(line number, cells)`` of every non-blank line, split by the file's delimiter."""
    # the delimiter is the one the header line (the first naming a date) has most of
    head = text.splitlines()[:_HEADER_SEARCH_LINES]
    line = next((x for x in head if "date" in x.lower() or "time" in x.lower()), "")
    delimiter = max(",;\t", key=line.count)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    out = []
    try:
        for cells in reader:
            if any(c.strip() for c in cells):
                out.append((reader.line_num, [c.strip() for c in cells]))
    except csv.Error as exc:
        raise UserError(f"{path}:{reader.line_num}: {exc}") from None
    return out


def find_columns(path: Path | str, rows: Rows, adjusted: bool) -> tuple[int, Columns]:
    """The header row (index into ``rows``) and its columns; a vendor's preamble is skipped."""
    for index, (line, cells) in enumerate(rows[:_HEADER_SEARCH_LINES]):
        names = [_name(c) for c in cells]
        dates = [i for i, n in enumerate(names) if n in DATE_NAMES]
        if not dates:
            continue
        closes = [i for i, n in enumerate(names) if n in CLOSE_NAMES]
        adjusteds = [i for i, n in enumerate(names) if n in ADJUSTED_NAMES]
        volumes = [i for i, n in enumerate(names) if n in VOLUME_NAMES]
        vwaps = [i for i, n in enumerate(names) if n in VWAP_NAMES]
        where = f"{path}:{line}"
        wanted = adjusteds if adjusted else closes
        if not wanted:
            if adjusted:
                raise UserError(f"{where}: --adjusted: no adjusted close column (e.g. 'Adj Close')")
            hint = "; the file has only an adjusted close: pass --adjusted" if adjusteds else ""
            raise UserError(
                f"{where}: no close column (e.g. Close, Close/Last, PX_LAST) in "
                f"{', '.join(cells)}{hint}"
            )
        found_columns = (("date", dates), ("close", wanted), ("volume", volumes), ("vwap", vwaps))
        for kind, found in found_columns:
            if len(found) > 1:
                both = " and ".join(repr(cells[i]) for i in found)
                raise UserError(f"{where}: two {kind} columns ({both}); keep one")
        volume = volumes[0] if volumes else -1
        vwap = vwaps[0] if vwaps else -1
        return index, Columns(dates[0], wanted[0], volume, vwap, cells[wanted[0]])
    raise UserError(
        f"{path}: no header with a date column (Date, Dates, Timestamp) in the first "
        f"{_HEADER_SEARCH_LINES} lines"
    )


def _date_format(text: str) -> str | None:
    for fmt in DATE_FORMATS:
        try:
            dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
        return fmt
    return None


def _parse_date(path: Path | str, line: int, text: str, fmt: str) -> dt.date:
    iso = _TIME_SUFFIX.match(text)
    cell = iso.group(1) if iso else text
    try:
        return dt.datetime.strptime(cell, fmt).date()
    except ValueError:
        raise UserError(
            f"{path}:{line}: date {text[:40]!r} does not read as {fmt} like the first row's"
        ) from None


def _price(path: Path | str, line: int, name: str, text: str) -> Decimal:
    """A vendor's price cell ("$1,234.50"): thousands separators and the dollar sign dropped,
    then the closes file's rule (``closes.positive_price``)."""
    cell = text.replace("$", "").replace(" ", "")
    if not _NUMBER.fullmatch(cell.lstrip("-")):
        raise UserError(f"{path}:{line}: {name} {text[:40]!r} is not a number")
    return positive_price(Path(path), line, name, cell.replace(",", ""))


def _volume(path: Path | str, line: int, text: str) -> int | None:
    cell = text.replace(",", "").replace(" ", "")
    if cell in ("", "-", "n/a", "N/A"):
        return None
    try:
        value = Decimal(cell)
    except InvalidOperation:
        raise UserError(f"{path}:{line}: volume {text[:40]!r} is not a number") from None
    if not value.is_finite() or value < 0 or value != value.to_integral_value():
        raise UserError(f"{path}:{line}: volume {text!r} is not a whole number of shares")
    if value > MAX_VOLUME:
        raise UserError(f"{path}:{line}: volume {text} is above {MAX_VOLUME:,}")
    return int(value)


def read_prices(path: Path | str, calendar: str, *, adjusted: bool = False) -> ImportedPrices:
    """Read and check a vendor's daily-price CSV against the exchange ``calendar``."""
    return parse_prices(read_text(Path(path)), Path(path), calendar, adjusted=adjusted)


def parse_prices(
    text: str, path: Path | str, calendar: str, *, adjusted: bool = False
) -> ImportedPrices:
    """``read_prices`` of CSV ``text`` (``path`` names it in messages)."""
    rows = _rows(path, text)
    header, at = find_columns(path, rows, adjusted)
    data = rows[header + 1 :]
    if not data:
        raise UserError(f"{path}: no price rows under the header (line {rows[header][0]})")
    need = max(at.date, at.close, at.volume, at.vwap) + 1
    first_cell = data[0][1][at.date] if len(data[0][1]) > at.date else ""
    first_iso = _TIME_SUFFIX.match(first_cell)
    fmt = _date_format(first_iso.group(1) if first_iso else first_cell)
    if fmt is None:
        raise UserError(
            f"{path}:{data[0][0]}: date {first_cell[:40]!r} is not a date format this reads "
            "(YYYY-MM-DD, MM/DD/YYYY, DD-Mon-YYYY, Mon DD, YYYY, DD.MM.YYYY, YYYYMMDD)"
        )
    seen: dict[dt.date, int] = {}
    bars: list[tuple[PriceBar, int]] = []
    for line, cells in data:
        if len(cells) < need:
            raise UserError(f"{path}:{line}: {len(cells)} fields, the header has {need} or more")
        day = _parse_date(path, line, cells[at.date], fmt)
        if day in seen:
            raise UserError(f"{path}:{line}: {day} is given twice (also on line {seen[day]})")
        seen[day] = line
        close = _price(path, line, at.close_name, cells[at.close])
        volume = _volume(path, line, cells[at.volume]) if at.volume >= 0 else None
        vwap_cell = cells[at.vwap] if at.vwap >= 0 else ""
        vwap = _price(path, line, "vwap", vwap_cell) if vwap_cell else None
        bars.append((PriceBar(day, close, volume, vwap), line))
    bars.sort(key=lambda b: b[0].date)  # vendors often list newest first
    check_sessions(path, calendar, bars)
    return ImportedPrices(
        str(path), calendar, at.close_name, adjusted, fmt, tuple(b for b, _ in bars)
    )


def check_sessions(path: Path | str, calendar: str, bars: list[tuple[PriceBar, int]]) -> None:
    """Every row on a session of ``calendar``, and every session from the first row's date to the
    last one's present (a gap is a missing download, not a quiet day)."""
    cal = trading_calendar(calendar)
    low, high = cal.first_session.date(), cal.last_session.date()
    for bar, line in bars:
        if not low <= bar.date <= high:
            raise UserError(
                f"{path}:{line}: {bar.date} is outside the {calendar} calendar ({low} to {high})"
            )
    first, last = bars[0][0].date, bars[-1][0].date
    sessions = [d.date() for d in cal.sessions_in_range(pd.Timestamp(first), pd.Timestamp(last))]
    open_days = set(sessions)
    for bar, line in bars:
        if bar.date not in open_days:
            raise UserError(
                f"{path}:{line}: {bar.date} ({bar.date:%A}) is not a {calendar} trading "
                "session: the exchange was closed"
            )
    have = {bar.date: line for bar, line in bars}
    for before, day in zip(sessions, sessions[1:], strict=False):
        if day not in have:
            after = next(d for d in sessions if d > day and d in have)
            raise UserError(
                f"{path}:{have[after]}: no row for the {calendar} session {day} between "
                f"{before} (line {have[before]}) and {after} (this line); the file has a gap"
            )


def closes_csv(prices: ImportedPrices) -> str:
    """The ``closes.csv`` text of ``prices`` (``date,close[,volume][,vwap]``, ascending)."""
    from pipedeal.outfiles import plain

    with_volume = any(b.volume is not None for b in prices.bars)
    with_vwap = any(b.vwap is not None for b in prices.bars)
    kind = "adjusted close" if prices.adjusted else "close"
    lines = [
        f"# imported by `pipedeal market` from {plain(Path(prices.source).name)}: the "
        f"{kind} column {plain(prices.close_column)!r}, {len(prices.bars)} {prices.calendar} "
        "sessions",
        "date,close" + (",volume" if with_volume else "") + (",vwap" if with_vwap else ""),
    ]
    for b in prices.bars:
        row = f"{b.date.isoformat()},{b.close}"
        if with_volume:
            row += f",{'' if b.volume is None else b.volume}"
        if with_vwap:
            row += f",{'' if b.vwap is None else b.vwap}"
        lines.append(row)
    return "\n".join(lines) + "\n"


def import_closes(
    file: Path | str, deal_dir: Path | str, *, adjusted: bool = False
) -> ImportedPrices:
    """Read ``file`` (``read_prices``) on the deal's trading calendar and replace the deal's
    closes file with it, in one piece; the file written is read back by ``load_closes``."""
    path = Path(file)
    return _import_text(read_text(path), path, deal_dir, adjusted)


def _closes_target(folder: Path, name: str | None) -> Path:
    if not name:
        raise UserError(
            f"{folder / 'deal.toml'}: [market] names no closes file; add closes = \"closes.csv\""
        )
    return folder / name


def write_closes(target: Path, text: str, calendar: str) -> None:
    """Write a closes file beside ``target`` and check it reads back, then put it in place."""
    if target.is_symlink() or (target.exists() and not target.is_file()):
        raise UserError(f"{target}: the deal's closes file is not a regular file; nothing written")
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    tmp = Path(name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        load_closes(tmp, calendar)  # what the deal will read: a failure here is a bug
        if target.exists():
            os.chmod(tmp, target.stat().st_mode & 0o7777)
        else:
            os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def fetch_closes(
    ticker: str, deal_dir: Path | str, start: dt.date, end: dt.date, *, adjusted: bool = False
) -> ImportedPrices:
    """Download ``ticker``'s daily prices from Yahoo! Finance (``yfinance``, the ``market``
    extra) and import them like a file: the same checks, the same closes file."""
    import importlib

    try:
        yf = importlib.import_module("yfinance")
    except ImportError:
        raise UserError(
            "market fetch: yfinance is not installed; pip install 'pipedeal[market]'"
        ) from None
    if end < start:
        raise UserError(f"--end {end} is before --start {start}")
    frame = yf.download(
        ticker, start=start.isoformat(), end=(end + dt.timedelta(days=1)).isoformat(),
        auto_adjust=False, actions=False, progress=False, multi_level_index=False,
    )  # fmt: skip
    if frame is None or frame.empty:
        raise UserError(f"market fetch: Yahoo! Finance has no prices for {ticker!r} {start}..{end}")
    # float64 prices of cents: six decimals take the float noise off (1.5299999713897705)
    table = frame[["Close", "Adj Close", "Volume"]].round({"Close": 6, "Adj Close": 6})
    table.index = [d.date().isoformat() for d in pd.to_datetime(table.index)]
    text = table.to_csv(index_label="Date")
    return _import_text(text, f"yfinance {ticker}", deal_dir, adjusted)


def _import_text(
    text: str, source: Path | str, deal_dir: Path | str, adjusted: bool
) -> ImportedPrices:
    """Check ``text`` on the deal's calendar and write it as the deal's closes file."""
    from pipedeal.terms.loader import load_deal

    folder = Path(deal_dir)
    terms = load_deal(folder)
    target = _closes_target(folder, terms.market.closes)
    if isinstance(source, Path) and source.resolve() == target.resolve():
        raise UserError(f"{source}: is the deal's own closes file; import from another file")
    prices = parse_prices(text, source, terms.market.trading_calendar, adjusted=adjusted)
    changes = _price_changes(terms, target, prices, source)
    write_closes(target, closes_csv(prices), terms.market.trading_calendar)
    return replace(prices, changed_prices=changes)


def _price_changes(
    terms: Deal, target: Path, prices: ImportedPrices, source: Path | str
) -> tuple[str, ...]:
    """The prices fixed at issue (conversion, exercise) that the new closes change, one line each;
    a ``UserError`` when the deal does not price on them (its windows not covered, say)."""
    from pipedeal.market.closes import PriceSeries, load_deal_closes
    from pipedeal.pricing.figures import deal_figures

    series = PriceSeries(prices.calendar, prices.bars, str(source))
    try:
        new = deal_figures(terms, series)
    except UserError as exc:
        raise UserError(f"{source}: the deal does not price on these closes: {exc.message}") from (
            None
        )
    try:
        old = deal_figures(terms, load_deal_closes(target.parent, target.name, prices.calendar))
    except UserError:
        return ()  # no usable closes before: nothing fixed to change
    out = []
    for a, b in zip(old.purchasers, new.purchasers, strict=True):
        name = a.purchaser.name
        if a.conversion_price != b.conversion_price:
            out.append(f"{name}: conversion price {a.conversion_price} -> {b.conversion_price}")
        if a.exercise_price != b.exercise_price:
            out.append(f"{name}: exercise price {a.exercise_price} -> {b.exercise_price}")
    return tuple(out)
