"""The batch file: one PIPE-shaped note per CSV row, parsed into ``BatchNote`` (with its
contract as a ``DatedNote`` and its market as ``MarketInputs``); every fault is a one-line
``UserError`` naming file:line:column.

Columns (one note per row; ``docs/valuation.md`` documents them): ``valuation_date``,
``issue_date``, ``maturity_date``, ``coupon`` (annual rate, 0.075), ``frequency`` (payments a
year: 12, 4, 2, 1; 0 = no coupon), ``conversion_price``, ``call_start`` (first call date, empty:
not callable), ``window_days`` (holder's election window after a call, calendar days),
``spot``, ``volatility``, ``rate``, ``credit_spread``, ``recovery``, ``face``; optional ``id``,
``accrued_convertible`` (true/false, default true), ``dividend_yield`` (default 0).
"""

from __future__ import annotations

import csv
import datetime as dt
import math
from dataclasses import dataclass
from pathlib import Path

from pipedeal.errors import UserError
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
OPTIONAL = ("id", "accrued_convertible", "dividend_yield")


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
        )


def read_batch_csv(path: Path) -> list[BatchNote]:
    """Parse the batch file; any fault is a one-line ``UserError`` naming file:line:column."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UserError(f"{path}: cannot read ({exc.strerror})") from None
    lines = text.splitlines()
    rows = [
        (n, line)
        for n, line in enumerate(lines, start=1)
        if line.strip() and not line.lstrip().startswith("#")
    ]
    if not rows:
        raise UserError(f"{path}: empty file; expected a header row")
    header_line, header_text = rows[0]
    header = [h.strip() for h in next(csv.reader([header_text]))]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise UserError(f"{path}:{header_line}: missing column(s) {', '.join(missing)}")
    unknown = [h for h in header if h not in REQUIRED and h not in OPTIONAL]
    if unknown:
        raise UserError(f"{path}:{header_line}: unknown column(s) {', '.join(unknown)}")
    notes = []
    for line_no, line in rows[1:]:
        cells = next(csv.reader([line]))
        if len(cells) != len(header):
            raise UserError(f"{path}:{line_no}: expected {len(header)} columns, found {len(cells)}")
        notes.append(_parse_note(path, line_no, header, [c.strip() for c in cells]))
    if not notes:
        raise UserError(f"{path}: no notes (only a header)")
    return notes


def _parse_note(path: Path, line: int, header: list[str], cells: list[str]) -> BatchNote:
    row = dict(zip(header, cells, strict=True))

    def where(col: str) -> str:
        return f"{path}:{line}:{header.index(col) + 1} ({col})"

    def date(col: str) -> dt.date:
        try:
            return dt.date.fromisoformat(row[col])
        except ValueError:
            raise UserError(f"{where(col)}: {row[col]!r} is not an ISO date") from None

    def num(
        col: str, lo: float | None = None, hi: float | None = None, positive: bool = False
    ) -> float:
        try:
            value = float(row[col])
        except ValueError:
            raise UserError(f"{where(col)}: {row[col]!r} is not a number") from None
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
    freq = num("frequency", lo=0)
    if freq not in (0, 1, 2, 4, 12):
        raise UserError(f"{where('frequency')}: use 12, 4, 2, 1 or 0, got {row['frequency']}")
    window = num("window_days", lo=0, hi=365)
    if window != int(window):
        raise UserError(f"{where('window_days')}: must be a whole number of days")
    acc = row.get("accrued_convertible", "") or "true"
    if acc.lower() not in ("true", "false", "1", "0", "yes", "no"):
        raise UserError(f"{where('accrued_convertible')}: use true or false, got {acc!r}")
    return BatchNote(
        id=row.get("id") or str(line),
        valuation_date=valuation,
        issue_date=issue,
        maturity_date=maturity,
        coupon=num("coupon", lo=0, hi=1),
        frequency=int(freq),
        conversion_price=num("conversion_price", positive=True),
        call_start=date("call_start") if row["call_start"] else None,
        window_days=int(window),
        spot=num("spot", positive=True),
        volatility=num("volatility", positive=True),
        rate=num("rate", lo=-0.1, hi=1),
        credit_spread=num("credit_spread", lo=0, hi=5),
        recovery=num("recovery", lo=0, hi=0.999),
        face=num("face", positive=True),
        accrued_convertible=acc.lower() in ("true", "1", "yes"),
        dividend_yield=num("dividend_yield", lo=0, hi=1) if row.get("dividend_yield") else 0.0,
    )
