"""Many notes in one call: a CSV of PIPE-shaped notes → values; inputs built in numba, blocks of
notes priced on a thread pool with the same lattice kernels as single notes (``convertible``).

Columns (one note per row; ``docs/valuation.md`` documents them): ``valuation_date``,
``issue_date``, ``maturity_date``, ``coupon`` (annual rate, 0.075), ``frequency`` (payments a
year: 12, 4, 2, 1; 0 = no coupon), ``conversion_price``, ``call_start`` (first call date, empty:
not callable), ``window_days`` (holder's election window after a call, calendar days),
``spot``, ``volatility``, ``rate``, ``credit_spread``, ``recovery``, ``face``; optional ``id``,
``accrued_convertible`` (true/false, default true), ``dividend_yield`` (default 0).

Caching: the ``cache=True`` functions here inline kernels from ``convertible.py``, and numba keys
a cache entry on its own file only. After editing a kernel in ``convertible.py`` during
development, delete ``src/pipedeal/valuation/__pycache__/*.nb[ic]`` or this module keeps the old
kernel. (An install writes every file anew, so users are not affected.)
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numba import njit, prange

from pipedeal.errors import UserError
from pipedeal.schedule.interest import add_months
from pipedeal.valuation.convertible import (
    DEFAULT_TREE,
    MODELS,
    QL_WORK_ROWS,
    WORK_ROWS,
    MarketInputs,
    _ql_rollback,
    _tfhz_rollback,
    lattice_kernel,
    setup,
    work_width,
)
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
def _fill_grid(n, T, accrued_too, pay, amt, a0, a1, times, cpn, accrued, conv_ok, call_px):
    """The grid part of ``convertible.grid_inputs`` for a CSV note, in place: ``times``
    (length n + 1 exactly: the nearest-time searches use its end), coupons on their nearest
    steps, accrued interest (when ``accrued_too``), conversion from issue, no calls yet
    (``call_px`` +inf). ``pay``, ``amt``, ``a0``, ``a1``: the coupons paid after the valuation
    date (years). Shared by ``_grid_fast`` and ``_build_note``."""
    step = T / n
    for i in range(n + 1):
        times[i] = i * step
        cpn[i] = 0.0
        accrued[i] = 0.0
        conv_ok[i] = 0.0
        call_px[i] = np.inf
    for k in range(pay.shape[0]):
        p = _closest(times, pay[k])
        if pay[k] <= T + 1e-12:
            cpn[p] += amt[k]
        if a1[k] > a0[k] and accrued_too:
            s = _closest(times, max(a0[k], 0.0))
            span = a1[k] - a0[k]
            for i in range(s, p):
                accrued[i] = amt[k] * min(max((times[i] - a0[k]) / span, 0.0), 1.0)
    c0 = times[0]
    c1 = times[_closest(times, T)]
    for i in range(n + 1):
        if times[i] >= c0 and times[i] <= c1:
            conv_ok[i] = 1.0


@njit(cache=True)
def _grid_fast(n, T, ql, pay, amt, a0, a1, call_start, call_end, call_price, ct, cpx):
    """``convertible.grid_inputs`` for a CSV note (coupons, one call window or daily QuantLib
    callabilities, conversion from issue; no puts, no dividends), compiled."""
    times = np.empty(n + 1)
    cpn = np.empty(n + 1)
    accrued = np.empty(n + 1)
    conv_ok = np.empty(n + 1)
    call_px = np.empty(n + 1)
    _fill_grid(n, T, True, pay, amt, a0, a1, times, cpn, accrued, conv_ok, call_px)
    c0 = times[0]
    c1 = times[_closest(times, T)]
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


# --- CSV notes straight to values: inputs built in numba, blocks of notes on a thread pool ------

# tree codes of the compiled input builder (Leisen–Reimer takes the per-note Python path)
_FAST_TREES = {"crr": 0, "jr": 1, "hull": 2}
_GRID_ROWS = 11  # times, cpn, accrued, conv_ok, call_px, call_trig, put_px, divadd, lnbase, pu, rr
_BLOCK = 8  # notes per thread-pool task: small enough to balance two busy cores


@njit(cache=True)
def _civil(o):
    """(year, month, day) of a proleptic Gregorian ordinal (``date.toordinal``)."""
    z = o - 719163 + 719468  # days from 0000-03-01
    era = (z if z >= 0 else z - 146096) // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = mp + 3 if mp < 10 else mp - 9
    return yoe + era * 400 + (1 if month <= 2 else 0), month, day


@njit(cache=True)
def _ordinal(y, m, d):
    y = y - 1 if m <= 2 else y
    era = (y if y >= 0 else y - 399) // 400
    yoe = y - era * 400
    doy = (153 * (m - 3 if m > 2 else m + 9) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468 + 719163


@njit(cache=True)
def _add_months(o, months):
    """``pipedeal.schedule.interest.add_months`` on ordinals (clamped to the month's end)."""
    y, m, d = _civil(o)
    index = m - 1 + months
    y2 = y + index // 12
    m2 = index % 12 + 1
    nxt = _ordinal(y2 + 1, 1, 1) if m2 == 12 else _ordinal(y2, m2 + 1, 1)
    last = nxt - _ordinal(y2, m2, 1)
    return _ordinal(y2, m2, min(d, last))


@njit(cache=True)
def _closest_from(times, t, k):
    """``_closest`` for nondecreasing ``t`` across calls: ``k`` is the previous search result."""
    n = times.shape[0]
    while k < n and times[k] < t:
        k += 1
    if k == 0:
        return 0, k
    if k == n:
        return n - 1, k
    return (k if (times[k] - t) < (t - times[k - 1]) else k - 1), k


@njit(cache=True, error_model="numpy")
def _build_note(ints, flts, model, tree, n, g, cpns):
    """Kernel inputs of one CSV note, written into ``g`` (rows: see ``_GRID_ROWS``; width
    n + 2) — the same numbers as ``prepare_fast`` (``BatchNote.dated_note`` → ``_grid_fast`` →
    ``setup`` → ``build_tree``). Returns (status, dt, x0, lnratio, lam, pdef, eta, window);
    status 0: fine, else the note fails a check of ``setup`` (Python then raises its error)."""
    origin, issue, maturity, call_start = ints[0], ints[1], ints[2], ints[3]
    freq, window_days = ints[4], ints[5]
    coupon, cprice, spot, vol, rate = flts[0], flts[1], flts[2], flts[3], flts[4]
    spread, recovery, face, divy = flts[5], flts[6], flts[7], flts[8]
    ql = model == 0
    times = g[0, : n + 1]  # length n + 1 exactly: the nearest-time searches use its end
    cpn = g[1]
    accrued = g[2]
    conv_ok = g[3]
    call_px = g[4]
    call_trig = g[5]
    put_px = g[6]
    divadd = g[7]
    lnbase = g[8]
    pu = g[9]
    rr = g[10]
    T = (maturity - origin) / 365.0
    kappa = face / cprice
    bad = not (
        T > 0
        and spot > 0
        and vol > 0
        and kappa >= 0
        and face > 0
        and 0 <= recovery < 1
        and spread >= 0
        and window_days >= 0
        and cprice > 0
        and math.isfinite(spot)
        and math.isfinite(vol)
        and math.isfinite(rate)
        and math.isfinite(spread)
    )
    if bad:
        return 1, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0
    # coupons (BatchNote.dated_note): all of them, for the accrued interest of call prices
    nc = 0
    if freq > 0 and coupon > 0:
        months = 12 // freq
        start, k = issue, 1
        while start < maturity:
            end = min(_add_months(issue, months * k), maturity)
            cpns[0, nc] = end
            cpns[1, nc] = face * coupon * (end - start) / 365.0
            cpns[2, nc] = start
            cpns[3, nc] = end
            nc += 1
            start, k = end, k + 1
    # the grid (_fill_grid, as _grid_fast): coupons paid after the valuation date, in years,
    # into rows 4-7 of the scratch
    live = 0
    for c in range(nc):
        if cpns[0, c] <= origin:
            continue
        cpns[4, live] = (cpns[0, c] - origin) / 365.0
        cpns[5, live] = cpns[1, c]
        cpns[6, live] = (cpns[2, c] - origin) / 365.0
        cpns[7, live] = (cpns[3, c] - origin) / 365.0
        live += 1
    # accrued interest: not an input of the ql rollback
    _fill_grid(
        n,
        T,
        not ql,
        cpns[4, :live],
        cpns[5, :live],
        cpns[6, :live],
        cpns[7, :live],
        times,
        cpn,
        accrued,
        conv_ok,
        call_px,
    )
    for i in range(n + 1):
        call_trig[i] = -1.0
        put_px[i] = 0.0
        divadd[i] = 0.0
    c0 = times[0]
    c1 = times[_closest(times, T)]
    if ql:
        conv_ok[n] = 1.0 if (c0 <= T and c1 >= T) else 0.0
    if call_start > 0:
        cstart = (call_start - origin) / 365.0
        if ql:
            # one callability per weekday, clean price face plus that day's accrued
            kc = 0
            kt = 0
            for day in range(call_start, maturity + 1):
                if (day + 6) % 7 >= 5:
                    continue
                while kc < nc and cpns[0, kc] <= day:
                    kc += 1
                acc = 0.0
                if kc < nc:
                    a_start = cpns[2, kc]
                    full = cpns[3, kc] - a_start
                    if day > a_start and full > 0:
                        acc = cpns[1, kc] * (min(float(day), cpns[3, kc]) - a_start) / full
                px = face + acc
                ct = (day - origin) / 365.0
                if ct >= -1e-12:
                    i, kt = _closest_from(times, ct, kt)
                    if px < call_px[i]:
                        call_px[i] = px
        else:
            i0 = _closest(times, max(cstart, 0.0))
            i1 = _closest(times, T)
            for i in range(i0, i1 + 1):
                if face < call_px[i]:
                    call_px[i] = face
    # setup(): rates, intensity, the tree
    dt = T / n
    lam = spread / (1.0 - recovery) if model == 2 else 0.0
    eta = 1.0
    mu = rate - divy + eta * lam  # setup(): r − q + ηλ (hull: η = 1)
    if tree == 0:
        dx = vol * math.sqrt(dt)
        drift_step = (mu - 0.5 * vol * vol) * dt
        p_up = 0.5 + 0.5 * drift_step / dx
        for i in range(n + 1):
            lnbase[i] = -float(i) * dx
        lnratio = 2.0 * dx
    elif tree == 1:
        up = vol * math.sqrt(dt)
        drift_step = (mu - 0.5 * vol * vol) * dt
        p_up = 0.5
        acc_d = 0.0
        lnbase[0] = 0.0 - 0.0 * up
        for i in range(1, n + 1):
            acc_d += drift_step
            lnbase[i] = acc_d - float(i) * up
        lnratio = 2.0 * up
    else:
        var = vol * vol - lam
        if var <= 0:
            return 2, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0
        dx = math.sqrt(var * dt)
        u = math.exp(dx)
        d = math.exp(-dx)
        p_up = (flts[9] - d) / (u - d)  # flts[9]: e^{mu·dt} by numpy, as build_tree has it
        for i in range(n + 1):
            lnbase[i] = -float(i) * dx
        lnratio = 2.0 * dx
    if p_up < 0 or p_up > 1:
        return 3, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0
    for i in range(n):
        pu[i] = p_up
        rr[i] = rate
    pdef = 1.0 - math.exp(-lam * dt)
    window = int(np.rint((window_days / 365.0) / dt)) if not ql else 0
    return 0, dt, spot, lnratio, lam, pdef, eta, window


@njit(cache=True, nogil=True, error_model="numpy")
def _price_block(ints, flts, lo, hi, model, tree, n, g, cpns, out, status):
    """Build the inputs of notes lo..hi-1 and price them, into ``out``; one thread, reusing
    ``g`` (grid rows then the rollbacks' scratch) and ``cpns`` for every note."""
    early = np.zeros(3)
    for k in range(lo, hi):
        st, dt, x0, lnratio, lam, pdef, eta, window = _build_note(
            ints[k], flts[k], model, tree, n, g, cpns
        )
        status[k] = st
        if st != 0:
            out[k] = np.nan
            continue
        face = flts[k, 7]
        kappa = face / flts[k, 1]
        if model == 0:
            out[k] = _ql_rollback(
                n,
                dt,
                x0,
                g[8],
                math.exp(lnratio),
                g[9],
                g[10, 0],
                flts[k, 5],
                kappa,
                face,
                g[1],
                g[3],
                g[4],
                g[5],
                g[6],
                g[7],
                early,
                g[_GRID_ROWS:],
            )
        else:
            out[k] = _tfhz_rollback(
                model,
                n,
                dt,
                x0,
                g[8, : n + 1],
                math.exp(lnratio),
                g[9, :n],
                g[10, :n],
                flts[k, 5],
                pdef,
                eta,
                flts[k, 6] * face,
                kappa,
                face,
                1.0 if ints[k, 6] else 0.0,
                0.0,
                window,
                0.0,
                g[1, : n + 1],
                g[2, : n + 1],
                g[3, : n + 1],
                g[4, : n + 1],
                g[5, : n + 1],
                g[6, : n + 1],
                g[7, : n + 1],
                early,
                g[_GRID_ROWS:],
            )


def _fields(notes: Sequence[BatchNote]) -> tuple[np.ndarray, np.ndarray]:
    ints = np.array(
        [
            (
                n.valuation_date.toordinal(),
                n.issue_date.toordinal(),
                n.maturity_date.toordinal(),
                n.call_start.toordinal() if n.call_start is not None else 0,
                n.frequency,
                n.window_days,
                1 if n.accrued_convertible else 0,
            )
            for n in notes
        ],
        dtype=np.int64,
    ).reshape(len(notes), 7)
    flts = np.array(
        [
            (
                n.coupon,
                n.conversion_price,
                n.spot,
                n.volatility,
                n.rate,
                n.credit_spread,
                n.recovery,
                n.face,
                n.dividend_yield,
                0.0,  # hull tree: e^{(r − q + λ)Δt}, filled in by _price_fast
            )
            for n in notes
        ],
        dtype=np.float64,
    ).reshape(len(notes), 10)
    return ints, flts


def price_notes(
    notes: Sequence[BatchNote],
    *,
    model: str = "tf",
    steps: int = 500,
    tree: str | None = None,
    chunk: int = 256,
    on_progress: Callable[[int], None] | None = None,
) -> np.ndarray:
    """Values (in the notes' face units) of every note; ``on_progress(done)`` each time at
    least ``chunk`` more notes are done, and at the end.

    CRR, JR and Hull trees: each note's inputs are built in numba and priced there, blocks of
    notes on ``numba.get_num_threads()`` threads; Leisen–Reimer: inputs per note in Python,
    priced by a numba-parallel loop."""
    if model not in MODELS:
        raise UserError(f"--model: unknown model {model!r} (use {', '.join(MODELS)})")
    if steps < 1 or steps > 20000:
        raise UserError(f"--steps: must be between 1 and 20000, got {steps}")
    tree_name = "hull" if model == "hull" else (tree or DEFAULT_TREE[model])
    if tree_name not in _FAST_TREES:  # Leisen–Reimer: per-note inputs in Python
        out = np.empty(len(notes))
        for start in range(0, len(notes), chunk):
            part = notes[start : start + chunk]
            args = [prepare_fast(n, model, steps, tree) for n in part]
            out[start : start + len(part)] = price_setups(args)
            if on_progress is not None:
                on_progress(start + len(part))
    else:
        out = _price_fast(notes, model, steps, tree_name, chunk, on_progress, tree)
    if not np.all(np.isfinite(out)):
        bad = int(np.flatnonzero(~np.isfinite(out))[0])
        raise UserError(f"note {notes[bad].id}: the lattice overflowed (INF); check its inputs")
    return out


_pool: tuple[int, ThreadPoolExecutor] | None = None  # (workers, pool)
_pool_lock = threading.Lock()
_local = threading.local()


def _workers() -> int:
    import numba

    return max(1, numba.get_num_threads())


def _executor() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None or _pool[0] != _workers():
            if _pool is not None:
                _pool[1].shutdown(wait=False)
            workers = _workers()
            _pool = (workers, ThreadPoolExecutor(workers, thread_name_prefix="pipedeal-batch"))
        return _pool[1]


def _scratch(n: int, coupons: int) -> tuple[np.ndarray, np.ndarray]:
    """This thread's scratch arrays (C-contiguous), kept between calls of the same steps."""
    g = getattr(_local, "g", None)
    c = getattr(_local, "c", None)
    width = int(work_width(n))
    if g is None or g.shape[1] != width:
        g = _local.g = np.empty((_GRID_ROWS + max(QL_WORK_ROWS, WORK_ROWS), width))
    if c is None or c.shape[1] < coupons:
        c = _local.c = np.empty((8, coupons))
    return g, c


def _price_fast(notes, model, steps, tree_name, chunk, on_progress, tree) -> np.ndarray:
    """Inputs built and priced in numba, blocks of ``_BLOCK`` notes handed to a pool of
    ``numba.get_num_threads()`` threads as they free up (the GIL is released inside)."""
    m = len(notes)
    ints, flts = _fields(notes)
    code = {"ql": 0, "tf": 1, "hazard": 2, "hull": 2}[model]
    tcode = _FAST_TREES[tree_name]
    if tcode == _FAST_TREES["hull"]:
        # Hull's up probability uses numpy's exp (build_tree); computed here the same way
        T = (ints[:, 2] - ints[:, 0]) / 365.0
        lam = flts[:, 5] / (1.0 - flts[:, 6]) if code == 2 else 0.0
        flts[:, 9] = np.exp((flts[:, 4] - flts[:, 8] + lam) * (T / steps))
    out = np.empty(m)
    status = np.zeros(m, dtype=np.int64)
    span = np.maximum(ints[:, 2] - ints[:, 1], 0)
    coupons = int(span.max() // 28 + 2) if m else 1

    def run(lo: int, hi: int) -> int:
        g, c = _scratch(steps, coupons)
        _price_block(ints, flts, lo, hi, code, tcode, steps, g, c, out, status)
        return hi - lo

    blocks = [(lo, min(lo + _BLOCK, m)) for lo in range(0, m, _BLOCK)]
    if len(blocks) <= 1 or _workers() == 1:
        for lo, hi in blocks:
            run(lo, hi)
            if on_progress is not None:
                on_progress(hi)
    else:
        futures = [_executor().submit(run, lo, hi) for lo, hi in blocks]
        done = reported = 0
        for f in futures:  # in order: the first failure raises first
            done += f.result()
            if on_progress is not None and (done - reported >= chunk or done == m):
                on_progress(done)
                reported = done
    bad = np.flatnonzero(status)
    if bad.size:
        k = int(bad[0])
        prepare_fast(notes[k], model, steps, tree)  # raises the note's error
        raise UserError(f"note {notes[k].id}: invalid inputs")
    return out
