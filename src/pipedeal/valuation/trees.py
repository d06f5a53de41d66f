"""Binomial tree parameters (CRR, JR, Leisen–Reimer, Hull's defaultable tree) and an American
binomial pricer for vanilla options.

A tree is described by per-step arrays so that every lattice kernel in this package can share it:
``lnbase[i]`` is log(S(i, 0) / x0) (the lowest node at step i), ``lnratio`` is log(S(i, j+1) /
S(i, j)), ``pu[i]`` the up probability from step i (conditional on survival for default models).
The conventions copy QuantLib's ``binomialtree.cpp`` where QuantLib has the same tree, so that the
``ql`` mode reproduces ``BinomialConvertibleEngine`` number for number.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit

from pipedeal.errors import UserError

TREES = ("crr", "jr", "lr", "hull")


@dataclass(frozen=True)
class Tree:
    kind: str
    steps: int
    dt: float
    lnbase: np.ndarray  # length steps + 1
    lnratio: float
    pu: np.ndarray  # length steps


def peizer_pratt_inversion(z: float, n: int) -> float:
    """Peizer–Pratt method 2 inversion (Leisen–Reimer 1996), n odd."""
    r = z / (n + 1.0 / 3.0 + 0.1 / (n + 1.0))
    r = math.exp(-r * r * (n + 1.0 / 6.0))
    return 0.5 + (1.0 if z > 0 else -1.0) * math.sqrt(0.25 * (1.0 - r))


def build_tree(
    kind: str,
    steps: int,
    maturity: float,
    vol: float,
    drift_rates: np.ndarray | float,
    *,
    x0: float = 1.0,
    strike: float = 1.0,
    hazard: float = 0.0,
    param_steps: int | None = None,
) -> Tree:
    """Tree of ``steps`` steps over ``maturity`` years for dS/S = mu dt + vol dW.

    ``drift_rates``: mu per step (array of length ``steps``) or a constant (r − q + η·λ).
    ``hull``: Hull's defaultable tree, u = exp(sqrt((vol² − λ)dt)) with drift r + λ (the
    conditional-on-survival form of Hull's pu = (e^{rΔt} − d e^{−λΔt})/(u − d)).
    ``param_steps``: steps used for the tree's own parameters (QuantLib's Leisen–Reimer tree
    uses an odd step count while its lattice keeps the even one; the ``ql`` mode copies that).
    """
    if kind not in TREES:
        raise UserError(f"tree: unknown tree {kind!r} (use {', '.join(TREES)})")
    if steps < 1:
        raise UserError(f"steps: must be at least 1, got {steps}")
    dt = maturity / steps
    mu = np.broadcast_to(np.asarray(drift_rates, dtype=np.float64), (steps,)).copy()
    idx = np.arange(steps + 1, dtype=np.float64)
    if kind == "crr":
        dx = vol * math.sqrt(dt)
        drift_step = (mu - 0.5 * vol * vol) * dt
        pu = 0.5 + 0.5 * drift_step / dx
        lnbase = -idx * dx
        lnratio = 2.0 * dx
    elif kind == "hull":
        var = vol * vol - hazard
        if var <= 0:
            raise UserError("hull tree: needs vol² > default intensity")
        dx = math.sqrt(var * dt)
        u, d = math.exp(dx), math.exp(-dx)
        pu = (np.exp(mu * dt) - d) / (u - d)
        lnbase = -idx * dx
        lnratio = 2.0 * dx
    elif kind == "jr":
        up = vol * math.sqrt(dt)
        drift_step = (mu - 0.5 * vol * vol) * dt
        pu = np.full(steps, 0.5)
        lnbase = np.concatenate(([0.0], np.cumsum(drift_step))) - idx * up
        lnratio = 2.0 * up
    else:  # lr
        n_odd = param_steps if param_steps is not None else steps
        if n_odd % 2 == 0:
            n_odd += 1
        dt_p = maturity / n_odd
        mu_bar = float(np.mean(mu))
        drift_p = (mu_bar - 0.5 * vol * vol) * dt_p
        variance = vol * vol * maturity
        ermqdt = math.exp(drift_p + 0.5 * variance / n_odd)
        d2 = (math.log(x0 / strike) + drift_p * n_odd) / math.sqrt(variance)
        p = peizer_pratt_inversion(d2, n_odd)
        pdash = peizer_pratt_inversion(d2 + math.sqrt(variance), n_odd)
        up = ermqdt * pdash / p
        down = (ermqdt - p * up) / (1.0 - p)
        pu = np.full(steps, p)
        lnbase = idx * math.log(down)
        lnratio = math.log(up) - math.log(down)
    pu = np.asarray(pu, dtype=np.float64)
    if np.any(pu < 0) or np.any(pu > 1):
        raise UserError(f"{kind} tree: probability outside [0, 1] at {steps} steps; use more steps")
    return Tree(kind, steps, dt, np.asarray(lnbase, dtype=np.float64), float(lnratio), pu)


def build_time_dependent_tree(
    steps: int, maturity: float, vols: np.ndarray, drift_rates: np.ndarray
) -> Tree:
    """A recombining tree for a volatility that changes with time (``vols[i]`` over step i):
    node j of step i at log(S/x0) = lnbase[i] + j·L with one spacing L = 2·max(vol)·√Δt. Per
    step, the up probability p_i gives the log-price's step the variance vol_i²·Δt exactly,
    p_i(1 − p_i)·L² = vol_i²·Δt, so p_i = 1/2 ∓ √(1 − (vol_i / max vol)²)/2, taking the two
    roots on alternate steps (a skewed step is followed by its mirror, so the third moment
    cancels pairwise instead of piling up as O(√Δt)); and lnbase moves so that the price's
    expected growth over the step is e^{mu_i·Δt} exactly (risk-neutral). Where the vol is the
    largest, p = 1/2 (Jarrow–Rudd's tree, with an exact martingale)."""
    dt = maturity / steps
    vols = np.asarray(vols, dtype=np.float64)
    mu = np.broadcast_to(np.asarray(drift_rates, dtype=np.float64), (steps,))
    top = float(vols.max())
    spacing = 2.0 * top * math.sqrt(dt)
    ratio = np.minimum(vols / top, 1.0)
    half_gap = 0.5 * np.sqrt(1.0 - ratio * ratio)
    sign = np.where(np.arange(steps) % 2 == 0, -1.0, 1.0)
    pu = 0.5 + sign * half_gap
    # e^{shift}·(p·e^{L} + 1 − p) = e^{mu·Δt}
    shift = mu * dt - np.log(pu * math.exp(spacing) + (1.0 - pu))
    lnbase = np.concatenate(([0.0], np.cumsum(shift)))
    return Tree("td", steps, dt, lnbase, spacing, pu)


@njit(cache=True)
def _american_kernel(is_call, x0, k, lnbase, lnratio, pu, disc, american):
    n = pu.shape[0]
    v = np.empty(n + 1)
    for j in range(n + 1):
        s = x0 * math.exp(lnbase[n] + j * lnratio)
        v[j] = max(s - k, 0.0) if is_call else max(k - s, 0.0)
    for i in range(n - 1, -1, -1):
        p = pu[i]
        for j in range(i + 1):
            cont = disc[i] * (p * v[j + 1] + (1.0 - p) * v[j])
            if american:
                s = x0 * math.exp(lnbase[i] + j * lnratio)
                ex = s - k if is_call else k - s
                if ex > cont:
                    cont = ex
            v[j] = cont
    return v[0]


def binomial_option(
    is_call: bool,
    spot: float,
    strike: float,
    expiry_years: float,
    rate: float,
    vol: float,
    *,
    dividend_yield: float = 0.0,
    steps: int = 500,
    tree: str = "crr",
    american: bool = True,
) -> float:
    """American (or European) option on a binomial tree; used for warrants that may be exercised
    early (valuable only with dividends) and as a check of the trees against closed forms."""
    t = build_tree(tree, steps, expiry_years, vol, rate - dividend_yield, x0=spot, strike=strike)
    disc = np.full(steps, math.exp(-rate * t.dt))
    return float(_american_kernel(is_call, spot, strike, t.lnbase, t.lnratio, t.pu, disc, american))
