"""The contract on the PDE's time levels: per level, the coupon paid, accrued interest,
conversion allowed, clean call price and soft-call trigger (and whether the call is on that
date only: a discrete call, not a window), dirty put price, escrowed dividends
to come, and, where the issuer's call opens the holder's election window, the window's end as
numbers (variance, drift, discount factors, survival, cash and conversion terms) from which the
solver prices the window in closed form at every node (``solver``).

The contract comes as ``GridContract`` arrays (``lattice.grid``), the one contract-as-arrays form
the lattice and the batch use, so the PDE reads the same facts. Rules are the lattice's
(``lattice.grid.fill_grid``) with dates exact instead of moved to the nearest step: a coupon is
paid at its level and accrues from its accrual start to its payment; a clean price gets the
accrued interest, a dirty call price is stored clean; calls take the lowest price of the windows
covering a level (with that window's trigger), puts the highest.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from pipedeal.valuation.lattice.grid import GridContract

TOL = 1e-10
(CPN, ACCRUED, CONV_OK, CALL_PX, CALL_TRIG, PUT_PX, DIVADD, WIN, W_VAR, W_MU, W_DR, W_DC,
 W_SURV, W_CASH, W_ADD, W_DIV, W_CONV, CALL_ONCE) = range(18)
LEVEL_ROWS = 18


@njit(cache=True)
def accrued_at(c: GridContract, t: float) -> float:
    """Accrued interest at time t: the coupon paid next accrues linearly over its period (full
    between its accrual end and its payment), zero on its payment date."""
    acc = 0.0
    for k in range(c.pay.shape[0]):
        a0 = c.accrual_start[k]
        a1 = c.accrual_end[k]
        if c.pay[k] <= 1e-12 or a1 <= a0:
            continue
        if t >= a0 - TOL and t < c.pay[k] - TOL:
            acc = c.amount[k] * min(max((t - a0) / (a1 - a0), 0.0), 1.0)
    return acc


@njit(cache=True)
def convertible_at(c: GridContract, t: float) -> bool:
    return c.convertible and c.conversion_start - TOL <= t <= c.conversion_end + TOL


@njit(cache=True)
def dividends_ahead(div_t: np.ndarray, div_amt: np.ndarray, r_flat: float, t: float) -> float:
    """Value at t of the cash dividends still to come (one on t included: cum-dividend), each
    discounted at the flat rate as the lattice's escrow does."""
    v = 0.0
    for k in range(div_t.shape[0]):
        if div_t[k] >= t - TOL:
            v += div_amt[k] * math.exp(-r_flat * (div_t[k] - t))
    return v


@njit(cache=True)
def _cumulative(t: np.ndarray, rate: np.ndarray, out: np.ndarray) -> None:
    out[0] = 0.0
    for k in range(rate.shape[0]):
        out[k + 1] = out[k] + rate[k] * (t[k + 1] - t[k])


@njit(cache=True)
def _step_of(t: np.ndarray, k: int, te: float) -> int:
    """The step (from level k on) that holds time te: t[e] ≤ te ≤ t[e + 1], or the last."""
    last = t.shape[0] - 2
    while k < last and t[k + 1] < te - TOL:
        k += 1
    return k


@njit(cache=True)
def _at(t: np.ndarray, cum: np.ndarray, rate: np.ndarray, e: int, te: float) -> float:
    """The cumulative integral ``cum`` (of the per-step ``rate``) at time te in step e."""
    return cum[e] + rate[e] * (te - t[e])


@njit(cache=True)
def fill_levels(
    c: GridContract,
    t: np.ndarray,
    notice: float,
    redemption: float,
    accrued_conv: float,
    div_t: np.ndarray,
    div_amt: np.ndarray,
    r_flat: float,
    sig2: np.ndarray,
    rate: np.ndarray,
    spread: np.ndarray,
    lam: np.ndarray,
    mu: np.ndarray,
    rows: np.ndarray,
) -> None:
    """The per-level rows (``LEVEL_ROWS`` × levels) of contract ``c`` on levels ``t``; the
    per-step market (``sig2`` variance rate, ``rate``, ``spread``, ``lam`` default intensity,
    ``mu`` drift of the escrowed spot) gives the election window's integrals."""
    m = t.shape[0]
    T = t[m - 1]
    cum_var = np.empty(m)
    cum_r = np.empty(m)
    cum_s = np.empty(m)
    cum_l = np.empty(m)
    cum_mu = np.empty(m)
    _cumulative(t, sig2, cum_var)
    _cumulative(t, rate, cum_r)
    _cumulative(t, spread, cum_s)
    _cumulative(t, lam, cum_l)
    _cumulative(t, mu, cum_mu)
    cpn_T = 0.0
    for q in range(c.pay.shape[0]):
        if abs(c.pay[q] - T) < TOL:
            cpn_T += c.amount[q]
    for k in range(m):
        tk = t[k]
        cp = 0.0
        for q in range(c.pay.shape[0]):
            if c.pay[q] > 1e-12 and c.pay[q] <= T + 1e-12 and abs(c.pay[q] - tk) < TOL:
                cp += c.amount[q]
        acc = accrued_at(c, tk)
        call = np.inf
        trig = -1.0
        once = 0.0
        for q in range(c.call_start.shape[0]):
            if c.call_end[q] < -1e-12:
                continue
            if c.call_start[q] - TOL <= tk <= c.call_end[q] + TOL:
                px = c.call_price[q] - (0.0 if c.call_clean[q] > 0.0 else acc)
                if px < call:
                    call = px
                    trig = c.call_trigger[q]
                    once = 1.0 if c.call_end[q] - c.call_start[q] < TOL else 0.0
        for q in range(c.sched_time.shape[0]):
            if abs(c.sched_time[q] - tk) < TOL and c.sched_price[q] - acc < call:
                call = c.sched_price[q] - acc
                trig = -1.0
                once = 1.0
        put = 0.0
        for q in range(c.put_time.shape[0]):
            if c.put_time[q] >= -1e-12 and abs(c.put_time[q] - tk) < TOL:
                put = max(put, c.put_price[q] + (acc if c.put_clean[q] > 0.0 else 0.0))
        rows[CPN, k] = cp
        rows[ACCRUED, k] = acc
        rows[CONV_OK, k] = 1.0 if convertible_at(c, tk) else 0.0
        rows[CALL_PX, k] = call
        rows[CALL_TRIG, k] = trig
        rows[CALL_ONCE, k] = once
        rows[PUT_PX, k] = put
        rows[DIVADD, k] = dividends_ahead(div_t, div_amt, r_flat, tk)
        rows[WIN, k] = 0.0
        if call < np.inf and notice > 0.0 and tk < T - TOL:
            # the holder's election window after a call at tk: its end te, and what the
            # closed form needs there
            te = min(tk + notice, T)
            cdiff = 0.0
            for q in range(c.pay.shape[0]):
                if c.pay[q] > tk + TOL and c.pay[q] <= te + TOL and c.pay[q] <= T + 1e-12:
                    cdiff += c.amount[q]
            acc_e = accrued_at(c, te)
            cash_e = call + acc_e + cdiff
            if te >= T - TOL:
                cash_e = max(cash_e, redemption + cpn_T)
            e = _step_of(t, k, te)
            i_r = _at(t, cum_r, rate, e, te) - cum_r[k]
            i_s = _at(t, cum_s, spread, e, te) - cum_s[k]
            rows[WIN, k] = 1.0
            rows[W_VAR, k] = _at(t, cum_var, sig2, e, te) - cum_var[k]
            rows[W_MU, k] = _at(t, cum_mu, mu, e, te) - cum_mu[k]
            rows[W_DR, k] = math.exp(-i_r)
            rows[W_DC, k] = math.exp(-i_r - i_s)
            rows[W_SURV, k] = math.exp(-(_at(t, cum_l, lam, e, te) - cum_l[k]))
            rows[W_CASH, k] = cash_e
            rows[W_ADD, k] = accrued_conv * acc_e + cdiff
            rows[W_DIV, k] = dividends_ahead(div_t, div_amt, r_flat, te)
            rows[W_CONV, k] = 1.0 if convertible_at(c, te) else 0.0


def event_times(c: GridContract, notice: float, div_t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The contract's dates as times, and whether the value or a bound on it jumps or bends
    there (the steps below are graded, ``mesh.time_levels``): call windows' ends, puts,
    dividends, the conversion window, and the notice dates whose election window ends on a
    coupon date (from there the holder converting at the window's end keeps that coupon).
    Coupon dates are graded under an instant call or a call at a dirty price, else plain levels:
    the value moves by the coupon at every node, and the call price plus accrued with it.
    Discrete calls are plain levels."""
    smooth = [c.call_start, c.call_end, c.put_time, div_t,
              np.array([c.conversion_start, c.conversion_end])]
    plain = [c.sched_time]
    callable_ = c.call_start.shape[0] + c.sched_time.shape[0] > 0
    if notice > 0 and callable_:
        smooth.append(c.pay - notice)
    # an instant call (its bound max(conversion, cash) moves with the conversion value, which
    # keeps the coupon on its date) or a call at a dirty price jumps on a coupon date
    if callable_ and (notice == 0 or c.sched_time.shape[0] > 0 or np.any(c.call_clean == 0)):
        smooth.append(c.pay)
    else:
        plain.append(c.pay)
    ev = np.concatenate([*smooth, *plain])
    flags = np.concatenate([np.ones(sum(a.shape[0] for a in smooth), dtype=bool),
                            np.zeros(sum(a.shape[0] for a in plain), dtype=bool)])
    return ev, flags
