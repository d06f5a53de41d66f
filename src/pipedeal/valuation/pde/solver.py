"""The compiled solver: Crank–Nicolson in log spot on the mesh, backward from maturity, the
contract's events applied at each level by projection (the lattice's order: call, put,
conversion), tridiagonal systems by the Thomas algorithm with the factorization kept while the
step and the market do not change.

``tf`` (model 1): two equations, the cash-only part U discounted at r + spread, the total V at
r with the source −spread·U (so V − U is discounted at r). ``hazard`` (model 2): one equation,
discounted at r + λ, drift r − q + ηλ, source λ·max(κS(1 − η), R·face).

Far boundaries: the value is linear in the share price (V_SS = 0), folded into the first and last
interior rows so the systems stay tridiagonal.

The holder's election window after a call: at a notice level the called note is worth the
window's end payoff (the better of the cash and the shares, and for ``tf`` its cash part) in
expectation over the window, in closed form (lognormal over a short window: two normal
distribution values per node), so a window costs O(nodes) per notice level whatever its length.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numba import njit

from pipedeal.valuation.pde.levels import (
    ACCRUED,
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
    non-uniform grid, the drift one-sided where central ones would lose monotonicity), with the
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
        if lo_j < 0.0 or up_j < 0.0:  # upwind the drift
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
def _policy(lo, di, up, h, rhs, lower, upper, v, policy):
    """The next active set for lower ≤ v ≤ upper with A·v = rhs where neither binds
    (A = I − h·L; primal–dual active set): a free row whose value crossed a bound holds to it;
    a row held to the lower (upper) bound is freed where the PDE pulls its value up (down);
    where the lower bound is above the upper one it wins (the lattice's order). Returns whether
    any row changed."""
    changed = False
    for j in range(1, v.shape[0] - 1):
        p = policy[j]
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


@njit(cache=True)
def _obstacles(args, k, last, ex, obs):
    """The contract at level k as bounds on the value at each node, in the lattice's order
    (call, put, conversion: V = max(lower, min(upper, continuation + coupon))): ``obs`` rows
    0, 1 the lower bound (put, conversion; −inf: none) and its cash part, 2, 3 the upper bound
    (the issuer's call, with the election window's value when the call opens one; +inf: none)
    and its cash part, 4 the coupon paid at the level (the same at every node)."""
    rows = args.rows
    kappa = args.kappa
    tf = args.model == MODEL_TF
    c = rows[CPN, k]
    dv = rows[DIVADD, k]
    ac = args.accrued_conv * rows[ACCRUED, k]
    kc = c if (not last or args.cpn_conv > 0.0) else 0.0
    has_call = rows[CALL_PX, k] < np.inf
    # the trigger is a node (``mesh.space_grid``): exp(log(trigger)) may round below it
    trig = rows[CALL_TRIG, k] * (1.0 - 1e-12) if rows[CALL_TRIG, k] >= 0.0 else -np.inf
    convertible = rows[CONV_OK, k] > 0.0
    ppc = rows[PUT_PX, k] + c if rows[PUT_PX, k] > 0.0 else -np.inf
    cash = rows[CALL_PX, k] + rows[ACCRUED, k] + c
    windowed = rows[WIN, k] > 0.0 and not last
    keep_u = args.call_cash > 0.0
    ome = 1.0 - args.eta
    rv = args.recovery_value
    # election window, closed form: X_e lognormal; conversion at the end where X_e > xs
    w_var = rows[W_VAR, k]
    w_mu = rows[W_MU, k]
    sd = math.sqrt(w_var) if windowed else 0.0
    growth = math.exp(w_mu) if windowed else 0.0
    w_cash = rows[W_CASH, k]
    conv_add = kappa * rows[W_DIV, k] + rows[W_ADD, k]
    can_conv = windowed and rows[W_CONV, k] > 0.0 and kappa > 0.0
    xs = (w_cash - conv_add) / kappa if can_conv else 0.0
    w_dr = rows[W_DR, k]
    w_dc = rows[W_DC, k]
    w_surv = rows[W_SURV, k]
    for j in range(ex.shape[0]):
        s = ex[j] + dv
        conv = kappa * s + ac + kc if convertible else -np.inf
        if conv >= ppc:
            obs[0, j] = conv
            obs[1, j] = kc
        else:
            obs[0, j] = ppc
            obs[1, j] = ppc
        obs[2, j] = np.inf
        obs[3, j] = 0.0
        if has_call and s >= trig:
            if windowed:
                conv_part = 0.0
                cash_prob = 1.0
                if can_conv:
                    if xs <= 0.0:
                        conv_part = kappa * ex[j] * growth + conv_add
                        cash_prob = 0.0
                    else:
                        d2 = (math.log(ex[j] / xs) + w_mu - 0.5 * w_var) / sd
                        # beyond 7.5 standard deviations the tails are below 1e-13
                        if d2 > 7.5:
                            conv_part = kappa * ex[j] * growth + conv_add
                            cash_prob = 0.0
                        elif d2 > -7.5 - sd:
                            n2 = _ncdf(d2)
                            conv_part = kappa * ex[j] * growth * _ncdf(d2 + sd) + conv_add * n2
                            cash_prob = 1.0 - n2
                if tf:
                    called_u = w_dc * w_cash * cash_prob
                    obs[2, j] = w_dr * conv_part + called_u + c
                    obs[3, j] = called_u + c
                else:
                    dflt = kappa * s * ome
                    dflt = dflt if dflt > rv else rv
                    obs[2, j] = (w_surv * w_dr * (conv_part + w_cash * cash_prob)
                                 + (1.0 - w_surv) * w_dr * dflt + c)
            elif conv > cash:
                obs[2, j] = conv
                obs[3, j] = c if keep_u else 0.0
            else:
                obs[2, j] = cash
                obs[3, j] = cash if keep_u else 0.0
        obs[4, j] = c


@njit(cache=True)
def _project(obs, v, u):
    """The lattice's explicit rule, V = max(lower, min(upper, V + coupon)) (at maturity)."""
    for j in range(v.shape[0]):
        c = obs[4, j]
        val = v[j] + c
        cash_part = u[j] + c
        if obs[2, j] < val:
            val = obs[2, j]
            cash_part = obs[3, j]
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
def _clip(tv, tu, v, u):
    """The explicit rule on the last iterate, where the active set has not settled (rare: a
    row that flips back and forth between two bounds): v = max(lower, min(upper, v))."""
    for j in range(1, v.shape[0] - 1):
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
    obs = np.empty((5, n))
    tv = np.empty((3, n))  # bounds on V (continuation terms), then solver scratch
    tu = np.empty((3, n))  # their cash parts (tf)
    policy = np.zeros(n, dtype=np.int64)
    used = np.zeros(n, dtype=np.int64)
    lo_v = np.zeros(n)
    di_v = np.zeros(n)
    up_v = np.zeros(n)
    lo_u = np.zeros(n)
    di_u = np.zeros(n)
    up_u = np.zeros(n)
    _obstacles(args, m, True, ex, obs)
    _project(obs, v, u)
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
        _obstacles(args, k, False, ex, obs)
        for j in range(n):  # the bounds on the continuation (before the level's coupon)
            tv[0, j] = obs[0, j] - obs[4, j]
            tv[1, j] = obs[2, j] - obs[4, j]
            tu[0, j] = obs[1, j] - obs[4, j]
            tu[1, j] = obs[3, j] - obs[4, j]
            if (policy[j] == 1 and tv[0, j] == -np.inf) or (policy[j] == 2 and tv[1, j] == np.inf):
                policy[j] = 0  # the bound it held to is gone at this level
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
                if not _policy(lo_v, di_v, up_v, hi, u_next, tv[0], tv[1], v, policy):
                    break
            else:
                _clip(tv, tu, v, u)
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
                if not _policy(lo_v, di_v, up_v, hi, rhs, tv[0], tv[1], v, policy):
                    break
            else:
                _clip(tv, tu, v, u)
            dflt_hi[:] = dflt_lo
        _boundaries(ex, v)
        # the coupon on top; the two far nodes (linear extrapolation) by the explicit rule
        for j in range(1, n - 1):
            v[j] += obs[4, j]
            u[j] += obs[4, j]
        _project_node(obs, v, u, 0)
        _project_node(obs, v, u, n - 1)
        if k <= 2:
            args.out[k, :] = v
    return v[args.spot_node]


@njit(cache=True)
def _project_node(obs, v, u, j):
    c = obs[4, j]
    val = v[j] + c
    cash_part = u[j] + c
    if obs[2, j] < val:
        val = obs[2, j]
        cash_part = obs[3, j]
    if val <= obs[0, j]:
        val = obs[0, j]
        cash_part = obs[1, j]
    v[j] = val
    u[j] = cash_part
