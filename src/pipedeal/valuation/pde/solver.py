"""The compiled solver: Crank–Nicolson in log spot on the mesh, backward from maturity (the
steps marked implicit by the mesh after a jump). At each level the bounds that hold over time
(conversion, a call window) are imposed implicitly, as a complementarity problem solved by a
primal–dual active set (``_policy``: the rows where a bound binds read the bound), and the
date's own events (a put, a call on that date only) explicitly after the step, in the lattice's
order (call, put, conversion); tridiagonal systems by the Thomas algorithm.

``tf`` (model 1): two equations, the cash-only part U discounted at r + spread, the total V at
r with the source −spread·U (so V − U is discounted at r). ``hazard`` (model 2): one equation,
discounted at r + λ, drift r − q + ηλ, source λ·max(κS(1 − η), R·face).

Far boundaries: the value is linear in the share price (V_SS = 0), folded into the first and last
interior rows so the systems stay tridiagonal.

The holder's election window after a call: at a notice level the called note is worth the
window's end payoff (the better of the cash and the shares, and for ``tf`` its cash part) in
expectation over the window, in closed form (lognormal over a short window: two normal
distribution values per node, and only where a node's value reaches the called value's floor),
so a window costs O(nodes) per notice level whatever its length.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numba import njit

from pipedeal.valuation.pde.levels import (
    ACCRUED,
    CALL_ONCE,
    CALL_PX,
    CALL_TRIG,
    CONV_OK,
    CPN,
    DIVADD,
    PUT_PX,
    W_ADD,
    W_CASH,
    W_CONV,
    W_DC,
    W_DIV,
    W_DR,
    W_MU,
    W_SURV,
    W_VAR,
    WIN,
)

MODEL_TF, MODEL_HAZARD = 1, 2
SQRT1_2 = 1.0 / math.sqrt(2.0)


class PdeArgs(NamedTuple):
    """Everything the solver reads for one note: the mesh, the per-step market, the contract's
    per-level rows (``levels.fill_levels``) and the model's constants."""

    model: int  # MODEL_TF or MODEL_HAZARD
    x: np.ndarray  # nodes: log of the escrowed spot
    spot_node: int
    t: np.ndarray  # time levels, 0 … T
    theta: np.ndarray  # per step: 0.5 Crank–Nicolson, 1.0 implicit
    sig2: np.ndarray  # per step: variance rate of the escrowed spot
    rate: np.ndarray  # per step: risk-free rate
    q: float  # dividend yield
    spread: np.ndarray  # per step: credit spread (tf)
    lam: np.ndarray  # per step: default intensity (hazard; 0 for tf)
    eta: float
    recovery_value: float
    kappa: float
    redemption: float
    accrued_conv: float
    cpn_conv: float
    call_cash: float
    rows: np.ndarray  # levels.LEVEL_ROWS × levels
    out: np.ndarray  # 3 × nodes: the values at levels 0, 1, 2 (Greeks)


@njit(cache=True)
def _operator(x, ex, a, b, disc, lo, di, up):
    """The generator a·V_xx + b·V_x − disc·V on the interior nodes (central differences on the
    non-uniform grid, exponentially fitted where central ones would lose monotonicity), with the
    linear-in-S far-field rows folded in."""
    n = x.shape[0]
    for j in range(1, n - 1):
        hm = x[j] - x[j - 1]
        hp = x[j + 1] - x[j]
        s = hm + hp
        l2 = 2.0 / (hm * s)
        u2 = 2.0 / (hp * s)
        lo_j = a * l2 - b * hp / (hm * s)
        up_j = a * u2 + b * hm / (hp * s)
        di_j = -a * (l2 + u2) + b * (hp - hm) / (hm * hp) - disc
        if lo_j < 0.0 or up_j < 0.0:
            # the drift dominates the diffusion over a cell: exponential fitting (Il'in,
            # Allen–Southwell), central differences with the diffusion raised to
            # (b·h/2)·coth(b·h/(2a)), which keeps the matrix monotone and is exact for the
            # cell's exponential boundary layer (plain upwinding adds b·h/2 of diffusion)
            pe = b * 0.5 * s / (2.0 * a) if a > 0.0 else np.inf
            fitted = b * 0.5 * s * 0.5 / math.tanh(pe) if a > 0.0 else abs(b) * 0.5 * s * 0.5
            fitted = max(fitted, a)
            lo_j = fitted * l2 - b * hp / (hm * s)
            up_j = fitted * u2 + b * hm / (hp * s)
            di_j = -fitted * (l2 + u2) + b * (hp - hm) / (hm * hp) - disc
            if lo_j < 0.0 or up_j < 0.0:  # a strongly uneven cell: upwind the drift
                lo_j = a * l2 + (-b / hm if b < 0.0 else 0.0)
                up_j = a * u2 + (b / hp if b > 0.0 else 0.0)
                di_j = -a * (l2 + u2) - abs(b) / (hm if b < 0.0 else hp) - disc
        lo[j] = lo_j
        di[j] = di_j
        up[j] = up_j
    w0 = (ex[1] - ex[0]) / (ex[2] - ex[1])
    wn = (ex[n - 1] - ex[n - 2]) / (ex[n - 2] - ex[n - 3])
    di[1] += lo[1] * (1.0 + w0)
    up[1] -= lo[1] * w0
    lo[1] = 0.0
    di[n - 2] += up[n - 2] * (1.0 + wn)
    lo[n - 2] -= up[n - 2] * wn
    up[n - 2] = 0.0


@njit(cache=True)
def _solve_rows(lo, di, up, h, rhs, policy, target, v):
    """v = (I − h·L)⁻¹ rhs on the interior rows by the Thomas algorithm, where the rows whose
    ``policy`` is not 0 read v[j] = target[policy[j] − 1, j] instead (a bound that binds)."""
    n = rhs.shape[0]
    cp = target[2]  # scratch row: the eliminated upper diagonal
    prev_c = 0.0
    prev_d = 0.0
    for j in range(1, n - 1):
        if policy[j] != 0:
            cp[j] = 0.0
            prev_d = target[policy[j] - 1, j]
            prev_c = 0.0
        else:
            a_lo = -h * lo[j]
            p = 1.0 / ((1.0 - h * di[j]) - a_lo * prev_c)
            prev_c = (-h * up[j]) * p
            prev_d = (rhs[j] - a_lo * prev_d) * p
            cp[j] = prev_c
        v[j] = prev_d
    for j in range(n - 3, 0, -1):
        v[j] -= cp[j] * v[j + 1]


@njit(cache=True)
def _policy(lo, di, up, h, rhs, tv, tu, v, policy, args, wc, ex, obs, lazy):
    """The next active set for lower ≤ v ≤ upper (``tv`` rows 0, 1) with A·v = rhs where
    neither binds (A = I − h·L; primal–dual active set): a free row whose value crossed a bound
    holds to it (an upper bound still a floor of the window's value is made exact first); a row
    held to the lower (upper) bound is freed where the PDE pulls its value up (down); where the
    lower bound is above the upper one it wins (the lattice's order). Returns whether any row
    changed."""
    changed = False
    lower = tv[0]
    upper = tv[1]
    for j in range(1, v.shape[0] - 1):
        p = policy[j]
        if lazy[j] == 1 and (v[j] > upper[j] or lower[j] >= upper[j]):
            _resolve(args, wc, ex, j, obs, lazy, tv, tu)
        if lower[j] >= upper[j]:
            q = 1
        elif p == 0:
            q = 1 if v[j] < lower[j] else (2 if v[j] > upper[j] else 0)
        else:
            a = v[j] - h * (lo[j] * v[j - 1] + di[j] * v[j] + up[j] * v[j + 1]) - rhs[j]
            tol = 1e-12 * (1.0 + abs(v[j]))
            released = a < -tol if p == 1 else a > tol
            q = 0 if released else p
        if q != p:
            policy[j] = q
            changed = True
    return changed


@njit(cache=True)
def _explicit(lo, di, up, h, v, rhs):
    """rhs = (I + h·L) v on the interior rows."""
    n = v.shape[0]
    for j in range(1, n - 1):
        rhs[j] = v[j] + h * (lo[j] * v[j - 1] + di[j] * v[j] + up[j] * v[j + 1])


@njit(cache=True)
def _boundaries(ex, v):
    n = v.shape[0]
    w0 = (ex[1] - ex[0]) / (ex[2] - ex[1])
    wn = (ex[n - 1] - ex[n - 2]) / (ex[n - 2] - ex[n - 3])
    v[0] = (1.0 + w0) * v[1] - w0 * v[2]
    v[n - 1] = (1.0 + wn) * v[n - 2] - wn * v[n - 3]


@njit(cache=True)
def _ncdf(z):
    return 0.5 * math.erfc(-z * SQRT1_2)


# per-level constants of the election window's closed form (``_window_constants``)
(WC_ON, WC_SD, WC_GROWTH, WC_CASH, WC_ADD, WC_XS, WC_DR, WC_DC, WC_SURV, WC_VAR, WC_MU, WC_C,
 WC_DV) = range(13)
WC_SIZE = 13


@njit(cache=True)
def _window_constants(args, k, last, wc):
    """The election window of a call at level k, as the constants its closed form needs
    (``wc[WC_ON]`` 0: no window; 1: the conversion at its end uncertain, priced per node
    when needed (``_window_at``); 2: the end payoff known without it)."""
    rows = args.rows
    wc[WC_ON] = 0.0
    if rows[WIN, k] <= 0.0 or last or rows[CALL_PX, k] == np.inf:
        return
    kappa = args.kappa
    w_var = rows[W_VAR, k]
    wc[WC_SD] = math.sqrt(w_var)
    wc[WC_VAR] = w_var
    wc[WC_MU] = rows[W_MU, k]
    wc[WC_GROWTH] = math.exp(rows[W_MU, k])
    wc[WC_CASH] = rows[W_CASH, k]
    wc[WC_ADD] = kappa * rows[W_DIV, k] + rows[W_ADD, k]
    can_conv = rows[W_CONV, k] > 0.0 and kappa > 0.0
    wc[WC_XS] = (rows[W_CASH, k] - wc[WC_ADD]) / kappa if can_conv else -1.0
    wc[WC_DR] = rows[W_DR, k]
    wc[WC_DC] = rows[W_DC, k]
    wc[WC_SURV] = rows[W_SURV, k]
    wc[WC_C] = rows[CPN, k]
    wc[WC_DV] = rows[DIVADD, k]
    wc[WC_ON] = 1.0 if can_conv and wc[WC_XS] > 0.0 else 2.0
    if not can_conv:
        wc[WC_XS] = np.inf  # never converted: all cash


@njit(cache=True)
def _window_value(args, wc, x_e, s):
    """(value, cash part) at the call's level of the called note at escrowed spot ``x_e``
    (share price ``s``): the better of cash and shares at the window's end in expectation,
    discounted (``tf``: the cash part at r + spread; ``hazard``: survival, the default leg)."""
    kappa = args.kappa
    xs = wc[WC_XS]
    growth = wc[WC_GROWTH]
    conv_add = wc[WC_ADD]
    conv_part = 0.0
    cash_prob = 1.0
    if xs <= 0.0:
        conv_part = kappa * x_e * growth + conv_add
        cash_prob = 0.0
    elif xs < np.inf:
        sd = wc[WC_SD]
        d2 = (math.log(x_e / xs) + wc[WC_MU] - 0.5 * wc[WC_VAR]) / sd
        # beyond 7.5 standard deviations the tails are below 1e-13
        if d2 > 7.5:
            conv_part = kappa * x_e * growth + conv_add
            cash_prob = 0.0
        elif d2 > -7.5 - sd:
            n2 = _ncdf(d2)
            conv_part = kappa * x_e * growth * _ncdf(d2 + sd) + conv_add * n2
            cash_prob = 1.0 - n2
    c = wc[WC_C]
    if args.model == MODEL_TF:
        cash_u = wc[WC_DC] * wc[WC_CASH] * cash_prob
        return wc[WC_DR] * conv_part + cash_u + c, cash_u + c
    dflt = kappa * s * (1.0 - args.eta)
    dflt = dflt if dflt > args.recovery_value else args.recovery_value
    w_dr = wc[WC_DR]
    surv = wc[WC_SURV]
    return surv * w_dr * (conv_part + wc[WC_CASH] * cash_prob) + (1.0 - surv) * w_dr * dflt + c, 0.0


@njit(cache=True)
def _window_floor(args, wc, x_e, s):
    """A lower bound of ``_window_value`` without the normal distribution (Jensen:
    E[max(Y, K)] ≥ max(E[Y], K)); a node whose value is below it is not called."""
    best = args.kappa * x_e * wc[WC_GROWTH] + wc[WC_ADD]
    best = best if best > wc[WC_CASH] else wc[WC_CASH]
    if args.model == MODEL_TF:
        return min(wc[WC_DR], wc[WC_DC]) * best + wc[WC_C]
    dflt = args.kappa * s * (1.0 - args.eta)
    dflt = dflt if dflt > args.recovery_value else args.recovery_value
    w_dr = wc[WC_DR]
    surv = wc[WC_SURV]
    return surv * w_dr * best + (1.0 - surv) * w_dr * dflt + wc[WC_C]


OBS_ROWS = 8


@njit(cache=True)
def _obstacles(args, k, last, ex, obs, wc, lazy):
    """The contract at level k as bounds on the value at each node, in the lattice's order
    (call, put, conversion: V = max(conversion, put, min(call, continuation + coupon))).
    Bounds that hold over time (conversion, a call window) are imposed implicitly by the
    solver, a date's own events (a put, a call on that date only) explicitly after it (imposed
    implicitly they would act over the whole step before: first order). ``obs`` rows: 0, 1 the
    conversion bound (−inf: none) and its cash part; 2, 3 the call window's bound (+inf: none)
    and its cash part, the election window's value when the call opens one; 4 the coupon paid
    at the level (the same at every node); 5, 6 a call on this date only, as 2, 3; 7 the put
    (−inf: none; its cash part is itself). Where the election window's value needs the normal
    distribution it is left for later (``lazy[j]`` 1, row 2 a floor of it, ``_resolve``): only
    nodes whose value reaches the floor need it."""
    rows = args.rows
    kappa = args.kappa
    c = rows[CPN, k]
    dv = rows[DIVADD, k]
    ac = args.accrued_conv * rows[ACCRUED, k]
    kc = c if (not last or args.cpn_conv > 0.0) else 0.0
    has_call = rows[CALL_PX, k] < np.inf
    once = rows[CALL_ONCE, k] > 0.0
    # the trigger is a node (``mesh.space_grid``): exp(log(trigger)) may round below it
    trig = rows[CALL_TRIG, k] * (1.0 - 1e-12) if rows[CALL_TRIG, k] >= 0.0 else -np.inf
    convertible = rows[CONV_OK, k] > 0.0
    ppc = rows[PUT_PX, k] + c if rows[PUT_PX, k] > 0.0 else -np.inf
    cash = rows[CALL_PX, k] + rows[ACCRUED, k] + c
    keep_u = args.call_cash > 0.0
    _window_constants(args, k, last, wc)
    windowed = wc[WC_ON]
    for j in range(ex.shape[0]):
        s = ex[j] + dv
        conv = kappa * s + ac + kc if convertible else -np.inf
        obs[0, j] = conv
        obs[1, j] = kc
        obs[2, j] = np.inf
        obs[3, j] = 0.0
        obs[4, j] = c
        obs[5, j] = np.inf
        obs[6, j] = 0.0
        obs[7, j] = ppc
        lazy[j] = 0
        if not (has_call and s >= trig):
            continue
        if windowed == 1.0 and not once:
            called = _window_floor(args, wc, ex[j], s)
            called_u = 0.0
            lazy[j] = 1
        elif windowed > 0.0:
            called, called_u = _window_value(args, wc, ex[j], s)
        elif conv > cash:
            called = conv
            called_u = c if keep_u else 0.0
        else:
            called = cash
            called_u = cash if keep_u else 0.0
        row = 5 if once else 2
        obs[row, j] = called
        obs[row + 1, j] = called_u


@njit(cache=True)
def _resolve(args, wc, ex, j, obs, lazy, tv, tu):
    """The window's exact value at node j in place of its floor (``obs`` and, in continuation
    terms, ``tv``/``tu``)."""
    lazy[j] = 0
    val, cash_part = _window_value(args, wc, ex[j], ex[j] + wc[WC_DV])
    obs[2, j] = val
    obs[3, j] = cash_part
    tv[1, j] = val - obs[4, j]
    tu[1, j] = cash_part - obs[4, j]


@njit(cache=True)
def _project(obs, v, u, lo, hi, coupon):
    """The lattice's explicit rule on nodes lo..hi − 1: V = max(conversion, put, min(calls,
    V (+ the coupon when ``coupon``))), the cash part with it."""
    for j in range(lo, hi):
        c = obs[4, j] if coupon else 0.0
        val = v[j] + c
        cash_part = u[j] + c
        for row in (2, 5):
            if obs[row, j] < val:
                val = obs[row, j]
                cash_part = obs[row + 1, j]
        if val < obs[7, j]:
            val = obs[7, j]
            cash_part = val
        if val <= obs[0, j]:
            val = obs[0, j]
            cash_part = obs[1, j]
        v[j] = val
        u[j] = cash_part


@njit(cache=True)
def _default_leg(args, k, ex, out):
    """λ-weighted default value per node at level k (hazard): max(κS(1 − η), R·face)."""
    dv = args.rows[DIVADD, k]
    ome = 1.0 - args.eta
    for j in range(ex.shape[0]):
        d = args.kappa * (ex[j] + dv) * ome
        out[j] = d if d > args.recovery_value else args.recovery_value


MAX_POLICY_ITERATIONS = 12


@njit(cache=True)
def _clip(tv, tu, v, u, args, wc, ex, obs, lazy):
    """The explicit rule on the last iterate, where the active set has not settled (rare: a
    row that flips back and forth between two bounds): v = max(lower, min(upper, v))."""
    for j in range(1, v.shape[0] - 1):
        if lazy[j] == 1 and v[j] > tv[1, j]:
            _resolve(args, wc, ex, j, obs, lazy, tv, tu)
        if v[j] > tv[1, j]:
            v[j] = tv[1, j]
            u[j] = tu[1, j]
        if v[j] <= tv[0, j]:
            v[j] = tv[0, j]
            u[j] = tu[0, j]


@njit(cache=True, error_model="numpy", nogil=True)
def solve(args: PdeArgs) -> float:
    """The value at the spot node at time 0; the values at levels 0, 1 and 2 into ``args.out``.

    Each step solves for the continuation with the level's bounds imposed implicitly (policy
    iteration: the rows where a bound binds read the bound; usually two solves a step, the
    previous step's rows as the first guess), then adds the level's coupon; maturity is the
    lattice's explicit rule."""
    x = args.x
    n = x.shape[0]
    t = args.t
    m = t.shape[0] - 1
    tf = args.model == MODEL_TF
    ex = np.exp(x)
    v = np.full(n, args.redemption)
    u = np.full(n, args.redemption if tf else 0.0)
    rhs = np.empty(n)
    rhs_v = np.empty(n)
    u_next = np.empty(n)
    dflt_hi = np.empty(n)
    dflt_lo = np.empty(n)
    obs = np.empty((OBS_ROWS, n))
    tv = np.empty((3, n))  # bounds on V (continuation terms), then solver scratch
    tu = np.empty((3, n))  # their cash parts (tf)
    policy = np.zeros(n, dtype=np.int64)
    lazy = np.zeros(n, dtype=np.int64)
    wc = np.zeros(WC_SIZE)
    used = np.zeros(n, dtype=np.int64)
    lo_v = np.zeros(n)
    di_v = np.zeros(n)
    up_v = np.zeros(n)
    lo_u = np.zeros(n)
    di_u = np.zeros(n)
    up_u = np.zeros(n)
    _obstacles(args, m, True, ex, obs, wc, lazy)
    _project(obs, v, u, 0, n, True)
    if m <= 2:
        args.out[m, :] = v
    key_s = key_r = key_c = key_l = np.nan
    if not tf:
        _default_leg(args, m, ex, dflt_hi)
    for k in range(m - 1, -1, -1):
        h = t[k + 1] - t[k]
        th = args.theta[k]
        s2 = args.sig2[k]
        r = args.rate[k]
        sc = args.spread[k]
        lam = args.lam[k]
        if s2 != key_s or r != key_r or sc != key_c or lam != key_l:
            a = 0.5 * s2
            if tf:
                b = r - args.q - a
                _operator(x, ex, a, b, r, lo_v, di_v, up_v)
                _operator(x, ex, a, b, r + sc, lo_u, di_u, up_u)
            else:
                b = r - args.q + args.eta * lam - a
                _operator(x, ex, a, b, r + lam, lo_v, di_v, up_v)
            key_s, key_r, key_c, key_l = s2, r, sc, lam
        hi = th * h
        he = (1.0 - th) * h
        _obstacles(args, k, False, ex, obs, wc, lazy)
        for j in range(n):  # the bounds on the continuation (before the level's coupon)
            tv[0, j] = obs[0, j] - obs[4, j]
            tv[1, j] = obs[2, j] - obs[4, j]
            tu[0, j] = obs[1, j] - obs[4, j]
            tu[1, j] = obs[3, j] - obs[4, j]
            if (policy[j] == 1 and tv[0, j] == -np.inf) or (policy[j] == 2 and tv[1, j] == np.inf):
                policy[j] = 0  # the bound it held to is gone at this level
            if policy[j] == 2 and lazy[j] == 1:
                _resolve(args, wc, ex, j, obs, lazy, tv, tu)
        if tf:
            if he > 0.0:
                _explicit(lo_u, di_u, up_u, he, u, rhs)
                _explicit(lo_v, di_v, up_v, he, v, rhs_v)
            else:
                rhs[:] = u
                rhs_v[:] = v
            for j in range(1, n - 1):
                rhs_v[j] -= sc * he * u[j]
            # U with the rows bound at the step before held at their cash parts, then V with
            # the source −spread·U and its bounds imposed implicitly, then U again if V's set
            # changed (iterating U and V's sets jointly cycles where a cash call leaves U = 0)
            _solve_rows(lo_u, di_u, up_u, hi, rhs, policy, tu, u)
            for j in range(1, n - 1):
                u_next[j] = rhs_v[j] - sc * hi * u[j]
            used[:] = policy
            for _ in range(MAX_POLICY_ITERATIONS):
                _solve_rows(lo_v, di_v, up_v, hi, u_next, policy, tv, v)
                if not _policy(lo_v, di_v, up_v, hi, u_next, tv, tu, v, policy, args, wc, ex,
                               obs, lazy):
                    break
            else:
                _clip(tv, tu, v, u, args, wc, ex, obs, lazy)
            if np.any(used != policy):  # U again, with V's final set
                _solve_rows(lo_u, di_u, up_u, hi, rhs, policy, tu, u)
            _boundaries(ex, u)
        else:
            _default_leg(args, k, ex, dflt_lo)
            if he > 0.0:
                _explicit(lo_v, di_v, up_v, he, v, rhs)
            else:
                rhs[:] = v
            for j in range(1, n - 1):
                rhs[j] += lam * (hi * dflt_lo[j] + he * dflt_hi[j])
            for _ in range(MAX_POLICY_ITERATIONS):
                _solve_rows(lo_v, di_v, up_v, hi, rhs, policy, tv, v)
                if not _policy(lo_v, di_v, up_v, hi, rhs, tv, tu, v, policy, args, wc, ex, obs,
                               lazy):
                    break
            else:
                _clip(tv, tu, v, u, args, wc, ex, obs, lazy)
            dflt_hi[:] = dflt_lo
        _boundaries(ex, v)
        # the coupon on top, then the date's own put and call; the two far nodes (linear
        # extrapolation) by the explicit rule alone
        for j in (0, n - 1):
            if lazy[j] == 1 and v[j] + obs[4, j] > obs[2, j]:
                _resolve(args, wc, ex, j, obs, lazy, tv, tu)
        _project(obs, v, u, 1, n - 1, True)
        _project(obs, v, u, 0, 1, True)
        _project(obs, v, u, n - 1, n, True)
        if k <= 2:
            args.out[k, :] = v
    return v[args.spot_node]
