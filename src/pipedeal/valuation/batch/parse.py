"""The batch file: one PIPE-shaped note per CSV row, parsed into ``BatchNote`` (with its
contract as a ``DatedNote`` and its market as ``MarketInputs``); every fault is a one-line
``UserError`` naming file:line:column.

Columns (one note per row; ``docs/valuation.md`` documents them): ``valuation_date``,
``issue_date``, ``maturity_date``, ``coupon`` (annual rate, 0.075), ``frequency`` (payments a
year: 12, 4, 2, 1; 0 = no coupon), ``conversion_price``, ``call_start`` (first call date, empty:
not callable), ``window_days`` (holder's election window after a call, calendar days),
``spot``, ``volatility``, ``rate``, ``credit_spread``, ``recovery``, ``face``; optional ``id``,
``accrued_convertible`` (true/false, default true), ``dividend_yield`` (default 0), ``issuer``
(a label for risk aggregates, default empty), ``smoothing`` and ``richardson`` (true/false,
default false: tree acceleration), ``vol_curve`` and ``spread_curve`` (term structures as
``years:value`` pairs, e.g. ``0.25:0.9 1:0.7``; empty: the flat column).

``iter_batch_csv`` reads the file in chunks (bounded memory); ``read_batch_csv`` is all of them.
``check_header`` and ``parse_row`` are the checks both use, for other tabular sources
(``pipedeal.scale.columnar`` reads Parquet with them).
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pipedeal.errors import UserError
from pipedeal.market.curves import check_curve
from pipedeal.schedule.interest import add_months
from pipedeal.valuation.dated import DatedCall, DatedCoupon, DatedNote
from pipedeal.valuation.lattice.spec import MarketInputs

REQUIRED = (
    "valuation_date",
    "issue_date",
    "maturity_date",
    "coupon",
    "frequency",
    "conversion_price",
    "call_start",
    "window_days",
    "spot",
    "volatility",
    "rate",
    "credit_spread",
    "recovery",
    "face",
)
OPTIONAL = (
    "id",
    "accrued_convertible",
    "dividend_yield",
    "issuer",
    "smoothing",
    "richardson",
    "vol_curve",
    "spread_curve",
)


@dataclass(frozen=True)
class BatchNote:
    id: str
    valuation_date: dt.date
    issue_date: dt.date
    maturity_date: dt.date
    coupon: float
    frequency: int
    conversion_price: float
    call_start: dt.date | None
    window_days: int
    spot: float
    volatility: float
    rate: float
    credit_spread: float
    recovery: float
    face: float
    accrued_convertible: bool = True
    dividend_yield: float = 0.0
    issuer: str = ""
    smoothing: bool = False  # the last step in closed form (tf/hazard/hull)
    richardson: bool = False  # 2·V(steps) − V(steps / 2)
    vol_curve: tuple[tuple[float, float], ...] = ()  # (years, Black vol); () : flat
    spread_curve: tuple[tuple[float, float], ...] = ()  # (years, zero spread); () : flat

    def dated_note(self) -> DatedNote:
        coupons: list[DatedCoupon] = []
        if self.frequency > 0 and self.coupon > 0:
            months = 12 // self.frequency
            start, k = self.issue_date, 1
            while start < self.maturity_date:
                end = min(add_months(self.issue_date, months * k), self.maturity_date)
                amount = self.face * self.coupon * (end - start).days / 365.0
                coupons.append(DatedCoupon(end, amount, start, end))
                start, k = end, k + 1
        calls: tuple[DatedCall, ...] = ()
        if self.call_start is not None:
            calls = (DatedCall(self.call_start, self.maturity_date, self.face),)
        return DatedNote(
            maturity=self.maturity_date,
            conversion_ratio=self.face / self.conversion_price,
            face=self.face,
            coupons=tuple(coupons),
            calls=calls,
            conversion_start=self.issue_date,
            accrued_convertible=self.accrued_convertible,
            notice_days=self.window_days,
        )

    def market(self) -> MarketInputs:
        return MarketInputs(
            spot=self.spot,
            vol=self.volatility,
            rate=self.rate,
            dividend_yield=self.dividend_yield,
            credit_spread=self.credit_spread,
            recovery=self.recovery,
            vol_curve=self.vol_curve,
            spread_curve=self.spread_curve,
        )


FIRST_DATE = dt.date(1900, 1, 1)
LAST_DATE = dt.date(2199, 12, 31)
"""Dates of a batch row lie in this range."""
MAX_TERM_YEARS = 60
"""Longest note (valuation date to maturity)."""
MIN_PRICE = 1e-6
MAX_AMOUNT = 1e12
"""Prices (spot, conversion price) and face amounts lie in ``MIN_PRICE``..``MAX_AMOUNT``."""
MAX_LINE = 10_000
"""Longest line of a batch file, in characters."""
_MAX_CELL = 64


def _cells(path: Path | str, number: int, line: str) -> list[str]:
    """The CSV cells of one line; a NUL, an overlong line or a quoting fault is one line."""
    if len(line) > MAX_LINE:
        raise UserError(f"{path}:{number}: line longer than {MAX_LINE:,} characters")
    if "\0" in line:
        raise UserError(f"{path}:{number}: NUL byte in the line")
    try:
        return next(csv.reader([line]))
    except csv.Error as exc:
        raise UserError(f"{path}:{number}: {exc}") from None


def read_batch_csv(path: Path) -> list[BatchNote]:
    """Parse the batch file; any fault is a one-line ``UserError`` naming file:line:column."""
    notes = [n for chunk in iter_batch_csv(path) for n in chunk]
    if not notes:
        raise UserError(f"{path}: no notes (only a header)")
    return notes


def check_header(path: Path | str, line: int | str, header: list[str]) -> None:
    """``UserError`` naming ``path:line`` when ``header`` lacks a required column or has an
    unknown one."""
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise UserError(f"{path}:{line}: missing column(s) {', '.join(missing)}")
    unknown = [h for h in header if h not in REQUIRED and h not in OPTIONAL]
    if unknown:
        raise UserError(f"{path}:{line}: unknown column(s) {', '.join(unknown)}")
    if len(set(header)) != len(header):
        raise UserError(f"{path}:{line}: a column is named twice")


def iter_batch_csv(path: Path, chunk: int = 10_000) -> Iterator[list[BatchNote]]:
    """The batch file's notes, ``chunk`` at a time, read line by line (memory bounded by the
    chunk); the same checks and messages as ``read_batch_csv``. A fault raises when its line is
    reached: a caller that writes as it goes must write to a temporary file."""
    for header, rows in iter_batch_rows(path, chunk):
        yield parse_lines(path, header, rows)


def iter_batch_rows(
    path: Path, chunk: int = 10_000
) -> Iterator[tuple[list[str], list[tuple[int, str]]]]:
    """The file-level half of ``iter_batch_csv``: the checked header and the note lines as
    (line number, text), ``chunk`` lines at a time, comments and blank lines left out. A file
    fault (not UTF-8, say) first yields the lines before it, then raises, so that
    ``parse_lines`` over the parts reports faults in line order. ``parse_lines`` is the other
    half (it may run elsewhere: ``pipedeal.scale`` ships the lines to Dask workers)."""
    try:
        handle = path.open("rb")
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            handle.close()
            raise UserError(f"{path}: not a regular file")
    except OSError as exc:
        raise UserError(f"{path}: cannot read ({exc.strerror})") from None
    with handle:
        header: list[str] | None = None
        rows: list[tuple[int, str]] = []
        line_no = 0
        try:
            for line_no, data in enumerate(handle, start=1):
                # bytes per line: a fault names its own line, and a BOM is dropped
                raw = data.decode("utf-8-sig" if line_no == 1 else "utf-8")
                line = raw.rstrip("\r\n")
                if not line.strip() or line.lstrip().startswith("#"):
                    continue
                if header is None:
                    header = [h.strip() for h in _cells(path, line_no, line)]
                    check_header(path, line_no, header)
                    continue
                rows.append((line_no, line))
                if len(rows) >= chunk:
                    yield header, rows
                    rows = []
        except UnicodeDecodeError:
            if header is not None and rows:
                yield header, rows
            raise UserError(f"{path}:{line_no}: not UTF-8 text; save the file as UTF-8") from None
        if header is None:
            raise UserError(f"{path}: empty file; expected a header row")
        if rows:
            yield header, rows


def parse_lines(
    path: Path | str, header: list[str], rows: list[tuple[int, str]]
) -> list[BatchNote]:
    """The notes of (line number, text) rows under ``header`` (from ``iter_batch_rows``)."""
    notes = []
    for line_no, line in rows:
        cells = _cells(path, line_no, line)
        if len(cells) != len(header):
            raise UserError(
                f"{path}:{line_no}: expected {len(header)} columns, found {len(cells)}"
            )
        notes.append(parse_row(path, line_no, header, [c.strip() for c in cells]))
    return notes


def parse_row(path: Path | str, line: int | str, header: list[str], cells: list[str]) -> BatchNote:
    """One note from its cells (strings, as in the CSV); faults name ``path:line:column``."""
    return _parse_note(path, line, header, cells)


def _parse_note(
    path: Path | str, line: int | str, header: list[str], cells: list[str]
) -> BatchNote:
    row = dict(zip(header, cells, strict=True))

    def where(col: str) -> str:
        return f"{path}:{line}:{header.index(col) + 1} ({col})"

    def date(col: str) -> dt.date:
        try:
            if len(row[col]) != 10:
                raise ValueError(row[col])
            day = dt.date.fromisoformat(row[col])
        except ValueError:
            raise UserError(f"{where(col)}: {row[col][:_MAX_CELL]!r} is not an ISO date") from None
        if not FIRST_DATE <= day <= LAST_DATE:
            raise UserError(f"{where(col)}: {day} is outside {FIRST_DATE} to {LAST_DATE}")
        return day

    def num(
        col: str, lo: float | None = None, hi: float | None = None, positive: bool = False
    ) -> float:
        try:
            if len(row[col]) > _MAX_CELL:
                raise ValueError(row[col])
            value = float(row[col])
        except ValueError:
            raise UserError(f"{where(col)}: {row[col][:_MAX_CELL]!r} is not a number") from None
        if not math.isfinite(value):
            raise UserError(f"{where(col)}: must be finite")
        if positive and value <= 0:
            raise UserError(f"{where(col)}: must be positive, got {row[col]}")
        if lo is not None and value < lo:
            raise UserError(f"{where(col)}: must be at least {lo}, got {row[col]}")
        if hi is not None and value > hi:
            raise UserError(f"{where(col)}: must be at most {hi}, got {row[col]}")
        return value

    valuation, issue, maturity = date("valuation_date"), date("issue_date"), date("maturity_date")
    if maturity <= valuation:
        raise UserError(
            f"{where('maturity_date')}: maturity {maturity} is not after the "
            f"valuation date {valuation}"
        )
    if maturity <= issue:
        raise UserError(f"{where('maturity_date')}: maturity is not after the issue date")
    if (maturity - min(issue, valuation)).days > 366 * MAX_TERM_YEARS:
        raise UserError(f"{where('maturity_date')}: a note longer than {MAX_TERM_YEARS} years")
    freq = num("frequency", lo=0)
    if freq not in (0, 1, 2, 4, 12):
        raise UserError(f"{where('frequency')}: use 12, 4, 2, 1 or 0, got {row['frequency']}")
    window = num("window_days", lo=0, hi=365)
    if window != int(window):
        raise UserError(f"{where('window_days')}: must be a whole number of days")
    ident = row.get("id", "")
    if len(ident) > 200 or any(ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 for c in ident):
        raise UserError(
            f"{where('id')}: an id has at most 200 characters and no control characters"
        )
    def flag(col: str, default: str) -> bool:
        text = (row.get(col, "") or default).lower()
        if text not in ("true", "false", "1", "0", "yes", "no"):
            raise UserError(f"{where(col)}: use true or false, got {row[col][:_MAX_CELL]!r}")
        return text in ("true", "1", "yes")

    def curve(col: str, variance: bool) -> tuple[tuple[float, float], ...]:
        text = row.get(col, "")
        if not text:
            return ()
        points = []
        for part in text.replace(";", " ").split():
            tenor, _, value = part.partition(":")
            try:
                point = (float(tenor), float(value))
            except ValueError:
                raise UserError(
                    f"{where(col)}: {part[:_MAX_CELL]!r} is not years:value (e.g. 0.5:0.8)"
                ) from None
            points.append(point)
        try:
            check_curve(tuple(points), col, variance=variance)
        except UserError as exc:
            raise UserError(f"{where(col)}: {exc}") from None
        if len(points) > 100:
            raise UserError(f"{where(col)}: at most 100 points")
        if any(not (0 <= x <= 5 and t <= 100) for t, x in points):
            raise UserError(f"{where(col)}: tenors at most 100 years, values in 0..5")
        return tuple(points)
    return BatchNote(
        id=ident or str(line),
        valuation_date=valuation,
        issue_date=issue,
        maturity_date=maturity,
        coupon=num("coupon", lo=0, hi=1),
        frequency=int(freq),
        conversion_price=num("conversion_price", lo=MIN_PRICE, hi=MAX_AMOUNT),
        call_start=date("call_start") if row["call_start"] else None,
        window_days=int(window),
        spot=num("spot", lo=MIN_PRICE, hi=MAX_AMOUNT),
        volatility=num("volatility", positive=True, hi=5),
        rate=num("rate", lo=-0.1, hi=1),
        credit_spread=num("credit_spread", lo=0, hi=5),
        recovery=num("recovery", lo=0, hi=0.999),
        face=num("face", lo=0.01, hi=MAX_AMOUNT),
        accrued_convertible=flag("accrued_convertible", "true"),
        dividend_yield=num("dividend_yield", lo=0, hi=1) if row.get("dividend_yield") else 0.0,
        issuer=row.get("issuer", ""),
        smoothing=flag("smoothing", "false"),
        richardson=flag("richardson", "false"),
        vol_curve=curve("vol_curve", True),
        spread_curve=curve("spread_curve", False),
    )
