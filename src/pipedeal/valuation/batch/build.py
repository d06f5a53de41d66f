"""Lattice inputs of CSV notes (``KernelArgs``), built two ways that give the same numbers
(tested equal): ``prepare_fast`` in Python (the note's contract as ``GridContract`` arrays, then
``setup``), and ``_build_note``, compiled, straight from a row of ``fields``' arrays into a
thread's scratch. Both place the contract on the grid with ``lattice.grid.fill_grid``, the one
grid builder. ``prepare`` is the general path (``DatedNote`` → ``to_spec`` → ``setup``) that
``prepare_fast`` is tested against.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numba import njit

from pipedeal.valuation.batch.parse import BatchNote
from pipedeal.valuation.dated import _accrued_act365, to_spec, weekdays
from pipedeal.valuation.lattice.api import MODEL_CODE, setup
from pipedeal.valuation.lattice.grid import GRID_ROWS, GridContract, fill_grid
from pipedeal.valuation.lattice.kernel import KernelArgs
from pipedeal.valuation.lattice.spec import ConvertibleSpec

# tree codes of the compiled input builder (Leisen–Reimer takes the per-note Python path)
FAST_TREES = {"crr": 0, "jr": 1, "hull": 2}
# rows of a thread's scratch ``g``: the grid (``lattice.grid``: times, cpn, accrued, conv_ok,
# call_px, call_trig, put_px, divadd), then the tree; the rollback's scratch after those
LNBASE, PU, RR, SPREAD, PDEF, SVOL, SMU = range(GRID_ROWS, GRID_ROWS + 7)
INPUT_ROWS = GRID_ROWS + 7
# rows of a thread's contract scratch ``cpns``: 0-3 every coupon (pay and accrual ordinals,
# amount), 4-7 those paid after the valuation date (years), 8-9 daily callabilities (years,
# dirty price; ql), 10-14 the call window (start, end, price, clean, trigger; column 0)
CONTRACT_ROWS = 15
_EMPTY = np.empty(0)


def prepare(note: BatchNote, model: str, steps: int, tree: str | None = None) -> KernelArgs:
    """Kernel arguments of ``note`` by the general path (``to_spec`` of its ``DatedNote``)."""
    origin = note.valuation_date
    spec = to_spec(
        note.dated_note(), origin, ql_conventions=model == "ql", is_business_day=weekdays
    )
    return setup(
        spec, note.market(), model=model, steps=steps, tree=tree, smoothing=note.smoothing
    ).args


def prepare_fast(
    note: BatchNote,
    model: str,
    steps: int,
    tree: str | None = None,
    call_start: float | None = None,
) -> KernelArgs:
    """``prepare`` without building the general contract objects: the note's features as
    ``GridContract`` arrays (same arguments, tested equal; several times faster).
    ``call_start``: the call window's start in years, in place of the note's date (smoothing
    interpolates between the steps on either side of it; not for ``ql``)."""
    origin = note.valuation_date.toordinal()
    ql = model == "ql"
    d = note.dated_note()
    cs = [c for c in d.coupons if c.pay_date.toordinal() > origin]
    pay = np.array([c.pay_date.toordinal() - origin for c in cs], dtype=np.float64) / 365.0
    amt = np.array([c.amount for c in cs], dtype=np.float64)
    a0 = np.array([c.accrual_start.toordinal() - origin for c in cs], dtype=np.float64) / 365.0
    a1 = np.array([c.accrual_end.toordinal() - origin for c in cs], dtype=np.float64) / 365.0
    T = (note.maturity_date.toordinal() - origin) / 365.0
    window = [_EMPTY] * 5  # start, end, price, clean, trigger
    ct = cpx = _EMPTY
    if note.call_start is not None:
        if ql:  # one callability per weekday, dirty: face plus that day's accrued
            days = np.arange(note.call_start.toordinal(), note.maturity_date.toordinal() + 1)
            days = days[(days + 6) % 7 < 5]
            ct = (days - origin) / 365.0
            cpx = note.face + _accrued_act365(d, days)
        else:
            start = (note.call_start.toordinal() - origin) / 365.0
            if call_start is not None:
                start = call_start
            window = [np.array([x]) for x in (start, T, note.face, 1.0, -1.0)]
    contract = GridContract(
        maturity=T,
        pay=pay,
        amount=amt,
        accrual_start=a0,
        accrual_end=a1,
        conversion_start=0.0,
        conversion_end=T,
        convertible=d.conversion_ratio != 0,
        call_start=window[0],
        call_end=window[1],
        call_price=window[2],
        call_clean=window[3],
        call_trigger=window[4],
        sched_time=ct,
        sched_price=cpx,
        put_time=_EMPTY,
        put_price=_EMPTY,
        put_clean=_EMPTY,
    )
    spec = ConvertibleSpec(
        maturity=T,
        conversion_ratio=d.conversion_ratio,
        face=d.face,
        accrued_convertible=d.accrued_convertible,
        notice_years=d.notice_days / 365.0,
    )
    mkt = note.market()
    return setup(
        spec, mkt, model=model, steps=steps, tree=tree, contract=contract,
        smoothing=note.smoothing,
    ).args


def fields(
    notes: Sequence[BatchNote], model: str, tree: str, steps: int
) -> tuple[np.ndarray, np.ndarray]:
    """The notes as arrays for ``_build_note``: ints (valuation, issue, maturity and call start
    ordinals (0: none), frequency, window days, accrued convertible, smoothing) and floats (coupon,
    conversion price, spot, vol, rate, spread, recovery, face, dividend yield, and for Hull's
    tree e^{(r − q + λ)Δt} by numpy's exp, as ``build_tree`` has it)."""
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
                1 if n.smoothing else 0,
            )
            for n in notes
        ],
        dtype=np.int64,
    ).reshape(len(notes), 8)
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
                0.0,
            )
            for n in notes
        ],
        dtype=np.float64,
    ).reshape(len(notes), 10)
    if tree == "hull":
        T = (ints[:, 2] - ints[:, 0]) / 365.0
        lam = flts[:, 5] / (1.0 - flts[:, 6]) if MODEL_CODE[model] == 2 else 0.0
        flts[:, 9] = np.exp((flts[:, 4] - flts[:, 8] + lam) * (T / steps))
    return ints, flts


def contract_scratch(ints: np.ndarray) -> int:
    """Columns of ``cpns`` that the notes ``ints`` (``fields``) need: their coupons (at most
    one per 28 days) and their days from the first call to maturity."""
    if ints.shape[0] == 0:
        return 2
    coupons = int(np.maximum(ints[:, 2] - ints[:, 1], 0).max() // 28 + 2)
    calls = np.where(ints[:, 3] > 0, ints[:, 2] - ints[:, 3] + 1, 0)
    return max(coupons, int(calls.max()) + 1)


@njit(cache=True)
def _civil(o: int) -> tuple[int, int, int]:
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
def _ordinal(y: int, m: int, d: int) -> int:
    y = y - 1 if m <= 2 else y
    era = (y if y >= 0 else y - 399) // 400
    yoe = y - era * 400
    doy = (153 * (m - 3 if m > 2 else m + 9) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468 + 719163


@njit(cache=True)
def _add_months(o: int, months: int) -> int:
    """``pipedeal.schedule.interest.add_months`` on ordinals (clamped to the month's end)."""
    y, m, d = _civil(o)
    index = m - 1 + months
    y2 = y + index // 12
    m2 = index % 12 + 1
    nxt = _ordinal(y2 + 1, 1, 1) if m2 == 12 else _ordinal(y2, m2 + 1, 1)
    last = nxt - _ordinal(y2, m2, 1)
    return _ordinal(y2, m2, min(d, last))


@njit(cache=True)
def _note_contract(
    ints: np.ndarray, flts: np.ndarray, ql: bool, cpns: np.ndarray, call_from: float = np.nan
) -> GridContract:
    """The contract of one CSV note (``BatchNote.dated_note``, and ``prepare_fast``'s daily
    callabilities or call window) as a ``GridContract`` over rows of ``cpns``; ``call_from``:
    the call window's start in years in place of the note's date (NaN: the date)."""
    origin, issue, maturity, call_start = ints[0], ints[1], ints[2], ints[3]
    freq = ints[4]
    coupon, face = flts[0], flts[7]
    T = (maturity - origin) / 365.0
    # coupons: all of them, for the accrued interest of call prices
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
    # those paid after the valuation date, in years
    live = 0
    for c in range(nc):
        if cpns[0, c] <= origin:
            continue
        cpns[4, live] = (cpns[0, c] - origin) / 365.0
        cpns[5, live] = cpns[1, c]
        cpns[6, live] = (cpns[2, c] - origin) / 365.0
        cpns[7, live] = (cpns[3, c] - origin) / 365.0
        live += 1
    days = 0
    windows = 0
    if call_start > 0 and ql:
        # one callability per weekday, clean price face plus that day's accrued
        kc = 0
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
            ct = (day - origin) / 365.0
            if ct > 1e-12:  # QuantLib drops a callability on the valuation date (lattice.grid)
                cpns[8, days] = ct
                cpns[9, days] = face + acc
                days += 1
    elif call_start > 0:
        first = (call_start - origin) / 365.0
        if not np.isnan(call_from):
            first = call_from
        cpns[10, 0] = first
        cpns[11, 0] = T
        cpns[12, 0] = face
        cpns[13, 0] = 1.0
        cpns[14, 0] = -1.0
        windows = 1
    return GridContract(
        T,
        cpns[4, :live],
        cpns[5, :live],
        cpns[6, :live],
        cpns[7, :live],
        0.0,
        T,
        True,
        cpns[10, :windows],
        cpns[11, :windows],
        cpns[12, :windows],
        cpns[13, :windows],
        cpns[14, :windows],
        cpns[8, :days],
        cpns[9, :days],
        cpns[0, :0],
        cpns[0, :0],
        cpns[0, :0],
    )


@njit(cache=True)
def _note_tree(
    flts: np.ndarray, model: int, tree: int, n: int, T: float, g: np.ndarray
) -> tuple[int, float, float, float, float]:
    """``setup``'s rates, intensity and tree (``build_tree``) for one CSV note, into rows
    ``LNBASE``, ``PU``, ``RR``, ``SPREAD``, ``PDEF``, ``SVOL``, ``SMU`` of ``g``. Returns
    (status, dt, lnratio, pdef, eta); status 2: Hull's tree needs vol² above the intensity,
    3: an up probability outside [0, 1]."""
    vol, rate, spread, recovery, divy = flts[3], flts[4], flts[5], flts[6], flts[8]
    lnbase = g[LNBASE]
    pu = g[PU]
    rr = g[RR]
    sp = g[SPREAD]
    pd = g[PDEF]
    svol = g[SVOL]
    smu = g[SMU]
    dt = T / n
    lam = spread / (1.0 - recovery) if model == 2 else 0.0
    eta = 1.0
    mu = rate - divy + eta * lam  # setup(): r − q + ηλ (hull: η = 1)
    # the diffusion's vol (Hull's tree: sqrt(vol² − λ)), for smoothing's closed forms
    vol_d = math.sqrt(vol * vol - lam) if (tree == 2 and vol * vol > lam) else vol
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
            return 2, dt, 0.0, 0.0, eta
        dx = math.sqrt(var * dt)
        u = math.exp(dx)
        d = math.exp(-dx)
        p_up = (flts[9] - d) / (u - d)  # flts[9]: e^{mu·dt} by numpy, as build_tree has it
        for i in range(n + 1):
            lnbase[i] = -float(i) * dx
        lnratio = 2.0 * dx
    if p_up < 0 or p_up > 1:
        return 3, dt, 0.0, 0.0, eta
    pdef = 1.0 - math.exp(-lam * dt)
    for i in range(n):
        pu[i] = p_up
        rr[i] = rate
        sp[i] = spread
        pd[i] = pdef
        svol[i] = vol_d
        smu[i] = mu
    return 0, dt, lnratio, pdef, eta


@njit(cache=True, error_model="numpy")
def _build_note(
    ints: np.ndarray,
    flts: np.ndarray,
    model: int,
    tree: int,
    n: int,
    g: np.ndarray,
    cpns: np.ndarray,
    early: np.ndarray,
    call_from: float = np.nan,
) -> tuple[int, KernelArgs]:
    """Kernel inputs of one CSV note over rows of ``g`` (see ``INPUT_ROWS``; width at least
    n + 2): the same numbers as ``prepare_fast`` (``BatchNote.dated_note`` → ``fill_grid`` →
    ``setup`` → ``build_tree``); ``call_from``: as ``prepare_fast``'s ``call_start`` (NaN:
    none). Returns (status, ``KernelArgs``); status 0: fine, else the note fails a check of
    ``setup`` (Python then raises its error) and the arguments are not to be used."""
    window_days = ints[5]
    cprice, spot, vol, rate = flts[1], flts[2], flts[3], flts[4]
    spread, recovery, face = flts[5], flts[6], flts[7]
    ql = model == 0
    T = (ints[2] - ints[0]) / 365.0
    kappa = face / cprice
    ok = (
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
    status, dt, lnratio, pdef, eta, window = 1, 0.0, 0.0, 0.0, 1.0, 0
    if ok:
        # accrued interest: not an input of the ql rollback (its call prices come dirty)
        fill_grid(_note_contract(ints, flts, ql, cpns, call_from), n, ql, not ql, g)
        status, dt, lnratio, pdef, eta = _note_tree(flts, model, tree, n, T, g)
        if not ql:
            window = int(np.rint((window_days / 365.0) / dt))
    args = KernelArgs(
        model,
        n,
        dt,
        spot,
        g[LNBASE, : n + 1],
        lnratio,
        g[PU, :n],
        g[RR, :n],
        g[SPREAD, :n],
        g[PDEF, :n],
        eta,
        recovery * face,
        kappa,
        face,
        1.0 if ints[6] else 0.0,
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
        1.0 if (ints[7] and not ql) else 0.0,
        g[SVOL, :n],
        g[SMU, :n],
        window_days / 365.0 if not ql else 0.0,
        early,
    )
    return status, args


@njit(cache=True)
def call_start_between(ints: np.ndarray, n: int) -> tuple[int, float, bool]:
    """``lattice.api.call_start_between_steps`` for a CSV note on n steps, compiled: (the step
    before its call date, the fraction after it, whether the nearest step is the one before);
    a step of −1 when the date is not strictly between two steps inside (0, T)."""
    if ints[3] <= 0:
        return -1, 0.0, True
    T = (ints[2] - ints[0]) / 365.0
    start = (ints[3] - ints[0]) / 365.0
    if not (0.0 < start < T):
        return -1, 0.0, True
    k_real = start / (T / n)
    k = int(math.floor(k_real))
    frac = k_real - k
    if frac < 1e-9 or frac > 1.0 - 1e-9:
        return -1, 0.0, True
    return k, frac, frac <= 0.5
