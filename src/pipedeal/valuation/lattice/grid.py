"""The contract on the lattice's time grid: per-step arrays (coupon paid, accrued interest,
conversion allowed, call price and trigger, put price, escrowed dividends) that both rollbacks
read.

The grid is built in one place, ``fill_grid`` (compiled), from the contract as arrays
(``GridContract``). ``grid_inputs`` calls it for a ``ConvertibleSpec`` (via ``contract_arrays``)
and adds the escrowed dividends of the market; the batch pricer's compiled per-note builder
(``valuation.batch.inputs._build_note``) calls it on arrays it writes into scratch. Dates go to
the nearest grid time as QuantLib's ``TimeGrid::closestIndex`` has it (``closest_index``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
from numba import njit

from pipedeal.errors import UserError
from pipedeal.valuation.lattice.spec import ConvertibleSpec, MarketInputs

# rows of the array ``fill_grid`` writes, each at least steps + 1 long
TIMES, CPN, ACCRUED, CONV_OK, CALL_PX, CALL_TRIG, PUT_PX, DIVADD = range(8)
GRID_ROWS = 8


class GridContract(NamedTuple):
    """The contract's features in model years, as arrays: what ``fill_grid`` reads."""

    maturity: float
    pay: np.ndarray  # coupons: payment time,
    amount: np.ndarray  # cash paid,
    accrual_start: np.ndarray  # and accrual period
    accrual_end: np.ndarray
    conversion_start: float
    conversion_end: float
    convertible: bool  # False: a conversion ratio of 0 (no conversion anywhere)
    call_start: np.ndarray  # call windows (``Call``): first and last time,
    call_end: np.ndarray
    call_price: np.ndarray  # price,
    call_clean: np.ndarray  # 1.0: clean (accrued added), 0.0: dirty,
    call_trigger: np.ndarray  # soft-call trigger (-1.0: none)
    sched_time: np.ndarray  # discrete calls (``ConvertibleSpec.call_schedule``): times,
    sched_price: np.ndarray  # dirty prices
    put_time: np.ndarray
    put_price: np.ndarray
    put_clean: np.ndarray  # 1.0: clean, 0.0: dirty


@dataclass
class GridInputs:
    """Per-step arrays for the kernel (length steps + 1)."""

    cpn: np.ndarray
    accrued: np.ndarray
    conv_ok: np.ndarray
    call_px: np.ndarray  # clean (tf/hazard) or dirty (ql); +inf where no call
    call_trig: np.ndarray  # -1 where no trigger
    put_px: np.ndarray  # dirty; 0 where no put
    divadd: np.ndarray  # PV at step i of dividends still to come (escrowed model)
    x0: float  # spot less the PV of dividends
    extras: dict[str, Any] = field(default_factory=dict)


def closest_indices(times: np.ndarray, ts: np.ndarray) -> np.ndarray:
    """``closest_index`` for many times at once."""
    n = times.shape[0]
    k = np.searchsorted(times, ts, side="left")
    kc = np.clip(k, 1, n - 1)
    upper = (times[kc] - ts) < (ts - times[kc - 1])
    out = np.where(upper, kc, kc - 1)
    out = np.where(k == 0, 0, out)
    return np.where(k == n, n - 1, out)


def closest_index(times: np.ndarray, t: float) -> int:
    """QuantLib's ``TimeGrid::closestIndex``: nearest grid time, ties to the earlier one."""
    n = times.shape[0]
    k = int(np.searchsorted(times, t, side="left"))
    if k == 0:
        return 0
    if k == n:
        return n - 1
    return k if (times[k] - t) < (t - times[k - 1]) else k - 1


@njit(cache=True)
def closest(times: np.ndarray, t: float) -> int:
    """``closest_index``, compiled (``times`` must end at the grid's last time)."""
    n = times.shape[0]
    k = int(np.searchsorted(times, t))
    if k == 0:
        return 0
    if k == n:
        return n - 1
    return k if (times[k] - t) < (t - times[k - 1]) else k - 1


@njit(cache=True)
def closest_from(times: np.ndarray, t: float, k: int) -> tuple[int, int]:
    """``closest`` with the search resumed at ``k``, the position the previous call returned:
    amortized O(1) a call over nondecreasing ``t`` (daily callabilities), the same answer for
    any ``t``. Returns (index, position)."""
    n = times.shape[0]
    if k > n or (k > 0 and times[k - 1] >= t):
        k = int(np.searchsorted(times, t))
    while k < n and times[k] < t:
        k += 1
    if k == 0:
        return 0, k
    if k == n:
        return n - 1, k
    return (k if (times[k] - t) < (t - times[k - 1]) else k - 1), k


@njit(cache=True)
def fill_grid(c: GridContract, n: int, ql: bool, accrued_too: bool, rows: np.ndarray) -> None:
    """The grid of contract ``c`` (a ``GridContract``) over n steps, into ``rows`` (at least
    ``GRID_ROWS`` × (n + 1); row ``DIVADD`` is set to zero, the market's dividends are
    ``grid_inputs``'). ``ql``: QuantLib's conventions (clean call prices made dirty here,
    conversion at maturity tested with T itself); ``accrued_too`` False leaves accrued interest
    at zero (not an input of the ``ql`` rollback, whose call prices come dirty).

    Coupons go to their nearest steps (paid ones up to maturity); the coupon paid at step p
    accrues over [its start step, p) and is zero again at p; conversion between the steps
    nearest its window; calls at the lowest price of the windows (and discrete calls) covering
    a step, with that window's trigger; puts at the highest price."""
    T = c.maturity
    times = rows[TIMES, : n + 1]  # length n + 1 exactly: the nearest-time searches use its end
    cpn = rows[CPN]
    accrued = rows[ACCRUED]
    conv_ok = rows[CONV_OK]
    call_px = rows[CALL_PX]
    call_trig = rows[CALL_TRIG]
    put_px = rows[PUT_PX]
    divadd = rows[DIVADD]
    step = T / n  # QuantLib's TimeGrid(end, steps): dt·i
    for i in range(n + 1):
        times[i] = i * step
        cpn[i] = 0.0
        accrued[i] = 0.0
        conv_ok[i] = 0.0
        call_px[i] = np.inf
        call_trig[i] = -1.0
        put_px[i] = 0.0
        divadd[i] = 0.0
    for k in range(c.pay.shape[0]):
        pay = c.pay[k]
        if pay <= 1e-12:
            continue
        p = closest(times, pay)
        if pay <= T + 1e-12:
            cpn[p] += c.amount[k]
        a0 = c.accrual_start[k]
        a1 = c.accrual_end[k]
        if accrued_too and a1 > a0:
            s = closest(times, max(a0, 0.0))
            span = a1 - a0
            for i in range(s, p):
                accrued[i] = c.amount[k] * min(max((times[i] - a0) / span, 0.0), 1.0)
    c0 = times[closest(times, c.conversion_start)]
    c1 = times[closest(times, c.conversion_end)]
    for i in range(n + 1):
        if times[i] >= c0 and times[i] <= c1:
            conv_ok[i] = 1.0
    if ql:
        # QuantLib tests the window with the asset's time, which at maturity is T itself, not
        # the grid's (T/n)·n: when that product rounds below T, QuantLib loses conversion at
        # maturity. Copied so that ``ql`` stays number-for-number.
        conv_ok[n] = 1.0 if (c0 <= T and c1 >= T) else 0.0
    if not c.convertible:
        for i in range(n + 1):
            conv_ok[i] = 0.0
    # ``ql``: QuantLib drops a callability dated on (or before) the settlement date whatever
    # ``Settings.includeReferenceDateEvents`` says (``ConvertibleBond`` tests
    # ``hasOccurred(settlement, false)``); the other models keep a call that is open today
    first = 1e-12 if ql else -1e-12
    for k in range(c.call_end.shape[0]):
        if c.call_end[k] < first:
            continue
        i0 = closest(times, max(c.call_start[k], 0.0))
        i1 = closest(times, c.call_end[k])
        clean = c.call_clean[k] > 0.0
        for i in range(i0, i1 + 1):
            price = c.call_price[k]
            if ql and clean:
                price += accrued[i]
            elif not ql and not clean:
                price -= accrued[i]  # the kernel adds accrued at the settlement step
            if price < call_px[i]:
                call_px[i] = price
                call_trig[i] = c.call_trigger[k]
    at = 0
    for k in range(c.sched_time.shape[0]):
        if c.sched_time[k] >= first:
            i, at = closest_from(times, c.sched_time[k], at)
            if c.sched_price[k] < call_px[i]:
                call_px[i] = c.sched_price[k]
    for k in range(c.put_time.shape[0]):
        if c.put_time[k] < first:
            continue
        i = closest(times, c.put_time[k])
        price = c.put_price[k] + (accrued[i] if c.put_clean[k] > 0.0 else 0.0)
        put_px[i] = max(put_px[i], price)


def _floats(values: list[float]) -> np.ndarray:
    return np.array(values, dtype=np.float64)


def contract_arrays(spec: ConvertibleSpec) -> GridContract:
    """``spec`` as the arrays ``fill_grid`` reads."""
    cs, calls, puts = spec.coupons, spec.calls, spec.puts
    sched_t, sched_px = spec.call_schedule if spec.call_schedule is not None else ((), ())
    T = spec.maturity
    return GridContract(
        maturity=float(T),
        pay=_floats([c.pay for c in cs]),
        amount=_floats([c.amount for c in cs]),
        accrual_start=_floats([c.accrual_start for c in cs]),
        accrual_end=_floats([c.accrual_end for c in cs]),
        conversion_start=float(spec.conversion_start),
        conversion_end=float(T if spec.conversion_end is None else spec.conversion_end),
        convertible=spec.conversion_ratio != 0,
        call_start=_floats([c.start for c in calls]),
        call_end=_floats([c.end for c in calls]),
        call_price=_floats([c.price for c in calls]),
        call_clean=_floats([1.0 if c.clean else 0.0 for c in calls]),
        call_trigger=_floats([-1.0 if c.trigger is None else c.trigger for c in calls]),
        sched_time=np.ascontiguousarray(sched_t, dtype=np.float64),
        sched_price=np.ascontiguousarray(sched_px, dtype=np.float64),
        put_time=_floats([p.time for p in puts]),
        put_price=_floats([p.price for p in puts]),
        put_clean=_floats([1.0 if p.clean else 0.0 for p in puts]),
    )


def grid_inputs(
    spec: ConvertibleSpec,
    mkt: MarketInputs,
    steps: int,
    ql: bool,
    contract: GridContract | None = None,
) -> GridInputs:
    """The per-step arrays of ``spec`` (or of ``contract``, the same contract already as arrays)
    over ``steps`` steps, with the market's cash dividends escrowed: the tree carries the spot
    less their present value (``x0``) and ``divadd[i]`` adds back, at step i, the value there of
    the dividends still to come."""
    c = contract_arrays(spec) if contract is None else contract
    rows = np.empty((GRID_ROWS, steps + 1))
    fill_grid(c, steps, ql, True, rows)
    times = rows[TIMES]
    divadd = rows[DIVADD]
    T = c.maturity
    x0 = mkt.spot
    r = mkt.zero_rate(T)
    for d in mkt.dividends:
        if d.time <= 1e-12:
            continue
        td = d.time if d.discount_time is None else d.discount_time
        x0 -= d.amount * mkt.discount(td)
        tg = times[closest_index(times, d.time)]
        ahead = (tg >= times) | (np.abs(tg - times) < 1e-12)
        divadd[ahead] += d.amount * math.exp(-r * tg) / np.exp(-r * times[ahead])
    if x0 <= 0:
        raise UserError("dividends: their present value exceeds the spot price")
    return GridInputs(
        rows[CPN],
        rows[ACCRUED],
        rows[CONV_OK],
        rows[CALL_PX],
        rows[CALL_TRIG],
        rows[PUT_PX],
        divadd,
        x0,
    )
