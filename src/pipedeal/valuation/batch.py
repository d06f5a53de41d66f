"""Many notes in one call: a CSV of PIPE-shaped notes → values, priced by a numba-parallel loop
over the same lattice kernel as single notes (``convertible.lattice_kernel``).

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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numba import njit, prange

from pipedeal.errors import UserError
from pipedeal.schedule.interest import add_months
from pipedeal.valuation.convertible import MODELS, MarketInputs, lattice_kernel, setup
from pipedeal.valuation.dated import DatedCall, DatedCoupon, DatedNote, to_spec, weekdays

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
        calls = ()
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

    def date(col: str, optional: bool = False) -> dt.date | None:
        if optional and not row[col]:
            return None
        try:
            return dt.date.fromisoformat(row[col])
        except ValueError:
            raise UserError(f"{where(col)}: {row[col]!r} is not an ISO date") from None

    def num(col: str, lo: float | None = None, hi: float | None = None, positive=False) -> float:
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
        call_start=date("call_start", optional=True),
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


# --- the parallel kernel -----------------------------------------------------------------------


@njit(parallel=True, cache=True)
def _batch_kernel(
    models,
    ns,
    dts,
    x0s,
    lnbase,
    lnratios,
    pu,
    rr,
    spreads,
    pdefs,
    etas,
    recs,
    kappas,
    reds,
    accs,
    cpnconvs,
    windows,
    callcash,
    cpn,
    accrued,
    conv_ok,
    call_px,
    call_trig,
    put_px,
    divadd,
    out,
):
    for k in prange(models.shape[0]):
        n = ns[k]
        out[k] = lattice_kernel(
            models[k],
            n,
            dts[k],
            x0s[k],
            lnbase[k, : n + 1],
            lnratios[k],
            pu[k, :n],
            rr[k, :n],
            spreads[k],
            pdefs[k],
            etas[k],
            recs[k],
            kappas[k],
            reds[k],
            accs[k],
            cpnconvs[k],
            windows[k],
            callcash[k],
            cpn[k, : n + 1],
            accrued[k, : n + 1],
            conv_ok[k, : n + 1],
            call_px[k, : n + 1],
            call_trig[k, : n + 1],
            put_px[k, : n + 1],
            divadd[k, : n + 1],
            np.zeros(3),
        )


_SCALARS = (0, 1, 2, 3, 5, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17)  # positions in setup().args
_ARRAYS_N1 = (4, 18, 19, 20, 21, 22, 23, 24)  # length n + 1
_ARRAYS_N = (6, 7)  # length n


def price_setups(setups: Sequence[tuple]) -> np.ndarray:
    """Price prepared kernel argument tuples (``setup(...).args``) in parallel."""
    m = len(setups)
    width = max(a[1] for a in setups) + 1
    cols = {}
    for pos in _SCALARS:
        dtype = np.int64 if pos in (0, 1, 16) else np.float64
        cols[pos] = np.array([a[pos] for a in setups], dtype=dtype)
    for pos in _ARRAYS_N1 + _ARRAYS_N:
        arr = np.zeros((m, width))
        for k, a in enumerate(setups):
            arr[k, : a[pos].shape[0]] = a[pos]
        cols[pos] = arr
    out = np.empty(m)
    _batch_kernel(*(cols[p] for p in range(25)), out)
    return out


@njit(cache=True)
def _closest(times, t):
    # convertible.closest_index, compiled: nearest grid time, ties to the earlier one
    n = times.shape[0]
    k = np.searchsorted(times, t)
    if k == 0:
        return 0
    if k == n:
        return n - 1
    return k if (times[k] - t) < (t - times[k - 1]) else k - 1


@njit(cache=True)
def _grid_fast(n, T, ql, pay, amt, a0, a1, call_start, call_end, call_price, ct, cpx):
    """``convertible.grid_inputs`` for a CSV note (coupons, one call window or daily QuantLib
    callabilities, conversion from issue; no puts, no dividends), compiled."""
    times = np.arange(n + 1) * (T / n)
    cpn = np.zeros(n + 1)
    accrued = np.zeros(n + 1)
    conv_ok = np.zeros(n + 1)
    call_px = np.full(n + 1, np.inf)
    for k in range(pay.shape[0]):
        p = _closest(times, pay[k])
        if pay[k] <= T + 1e-12:
            cpn[p] += amt[k]
        if a1[k] > a0[k]:
            s = _closest(times, max(a0[k], 0.0))
            span = a1[k] - a0[k]
            for i in range(s, p):
                accrued[i] = amt[k] * min(max((times[i] - a0[k]) / span, 0.0), 1.0)
    c0 = times[0]
    c1 = times[_closest(times, T)]
    for i in range(n + 1):
        if times[i] >= c0 and times[i] <= c1:
            conv_ok[i] = 1.0
    if ql:
        conv_ok[n] = 1.0 if (c0 <= T and c1 >= T) else 0.0
        for k in range(ct.shape[0]):
            if ct[k] >= -1e-12:
                i = _closest(times, ct[k])
                if cpx[k] < call_px[i]:
                    call_px[i] = cpx[k]
    elif call_end >= -1e-12:
        i0 = _closest(times, max(call_start, 0.0))
        i1 = _closest(times, call_end)
        for i in range(i0, i1 + 1):
            if call_price < call_px[i]:
                call_px[i] = call_price
    return cpn, accrued, conv_ok, call_px


def prepare_fast(note: BatchNote, model: str, steps: int, tree: str | None = None) -> tuple:
    """``prepare`` without building the general contract objects: same arguments (tested equal),
    several times faster; used by ``price_notes``."""
    from pipedeal.valuation.convertible import ConvertibleSpec, GridInputs
    from pipedeal.valuation.dated import _accrued_act365

    origin = note.valuation_date.toordinal()
    ql = model == "ql"
    d = note.dated_note()
    cs = [c for c in d.coupons if c.pay_date.toordinal() > origin]
    pay = np.array([c.pay_date.toordinal() - origin for c in cs], dtype=np.float64) / 365.0
    amt = np.array([c.amount for c in cs], dtype=np.float64)
    a0 = np.array([c.accrual_start.toordinal() - origin for c in cs], dtype=np.float64) / 365.0
    a1 = np.array([c.accrual_end.toordinal() - origin for c in cs], dtype=np.float64) / 365.0
    T = (note.maturity_date.toordinal() - origin) / 365.0
    cstart = cend = -1.0
    ct = cpx = np.empty(0)
    if note.call_start is not None:
        cstart = (note.call_start.toordinal() - origin) / 365.0
        cend = T
        if ql:
            days = np.arange(note.call_start.toordinal(), note.maturity_date.toordinal() + 1)
            days = days[(days + 6) % 7 < 5]
            ct = (days - origin) / 365.0
            cpx = note.face + _accrued_act365(d, days)
    spec = ConvertibleSpec(
        maturity=T,
        conversion_ratio=d.conversion_ratio,
        face=d.face,
        accrued_convertible=d.accrued_convertible,
        notice_years=d.notice_days / 365.0,
    )

    def grid_fn(n: int, is_ql: bool) -> GridInputs:
        cpn, acc, conv, cpx_n = _grid_fast(
            n, T, is_ql, pay, amt, a0, a1, cstart, cend, note.face, ct, cpx
        )
        zeros = np.zeros(n + 1)
        return GridInputs(
            cpn, acc, conv, cpx_n, np.full(n + 1, -1.0), zeros, zeros.copy(), note.spot
        )

    return setup(spec, note.market(), model=model, steps=steps, tree=tree, grid_fn=grid_fn).args


def prepare(note: BatchNote, model: str, steps: int, tree: str | None = None) -> tuple:
    origin = note.valuation_date
    spec = to_spec(
        note.dated_note(), origin, ql_conventions=model == "ql", is_business_day=weekdays
    )
    return setup(spec, note.market(), model=model, steps=steps, tree=tree).args


def price_notes(
    notes: Sequence[BatchNote],
    *,
    model: str = "tf",
    steps: int = 500,
    tree: str | None = None,
    chunk: int = 256,
    on_progress: Callable[[int], None] | None = None,
) -> np.ndarray:
    """Values (in the notes' face units) of every note; ``on_progress(done)`` after each chunk."""
    if model not in MODELS:
        raise UserError(f"--model: unknown model {model!r} (use {', '.join(MODELS)})")
    if steps < 1 or steps > 20000:
        raise UserError(f"--steps: must be between 1 and 20000, got {steps}")
    out = np.empty(len(notes))
    for start in range(0, len(notes), chunk):
        part = notes[start : start + chunk]
        args = [prepare_fast(n, model, steps, tree) for n in part]
        out[start : start + len(part)] = price_setups(args)
        if on_progress is not None:
            on_progress(start + len(part))
    if not np.all(np.isfinite(out)):
        bad = int(np.flatnonzero(~np.isfinite(out))[0])
        raise UserError(f"note {notes[bad].id}: the lattice overflowed (INF); check its inputs")
    return out
