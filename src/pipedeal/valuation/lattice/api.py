"""The Python face of the lattices: the named models and trees, ``setup`` (a contract and a
market → ``KernelArgs`` on a tree), ``price`` and ``greeks`` (tree delta and gamma, bump-and-reprice
for the rest, ``BUMPS``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from pipedeal.errors import UserError
from pipedeal.market.curves import black_vol, flat_spread, flat_vol, step_values, zero_spread
from pipedeal.valuation.lattice.grid import GridContract, grid_inputs
from pipedeal.valuation.lattice.kernel import (
    MODEL_HAZARD,
    MODEL_QL,
    MODEL_TF,
    KernelArgs,
    lattice_kernel,
)
from pipedeal.valuation.lattice.spec import ConvertibleSpec, Dividend, MarketInputs, validate
from pipedeal.valuation.trees import build_time_dependent_tree, build_tree

MODELS = ("tf", "hazard", "hull", "ql")
MODEL_CODE = {"ql": MODEL_QL, "tf": MODEL_TF, "hazard": MODEL_HAZARD, "hull": MODEL_HAZARD}
# TF model: what the cash-only part becomes where the issuer's call binds. "afv": zero, as in
# AFV 2003's TF constraints (reproduces their Table 2/4); "cash": the cash the holder takes.
# With an election window (notice_years > 0) the called note is valued as an option over the
# window and its cash leg is always the cash component ("afv" applies to instant calls only).
TF_CALL_RULES = ("afv", "cash")
DEFAULT_TREE = {"tf": "crr", "hazard": "crr", "hull": "hull", "ql": "crr"}


@dataclass(frozen=True)
class LatticeSetup:
    """Everything the kernel needs, as arrays; built once per (contract, market, model)."""

    args: KernelArgs
    model: str
    tree: str
    steps: int


def setup(
    spec: ConvertibleSpec,
    mkt: MarketInputs,
    *,
    model: str = "tf",
    steps: int = 500,
    tree: str | None = None,
    tf_call: str = "afv",
    contract: GridContract | None = None,
    smoothing: bool = False,
) -> LatticeSetup:
    """Kernel arguments for one note. ``contract``: ``spec``'s features already as arrays (the
    batch pricer builds them from a CSV row without the contract objects); its grid is built
    by the same ``grid_inputs``. ``smoothing``: the last step's expectation and the holder's
    election window in closed form (``rollback_tfhz._smooth_last_step``,
    ``_window_closed_form``; not in ``ql`` mode, which copies QuantLib); the call date's
    interpolation is ``price``'s (two lattices).

    Term structures (``mkt.vol_curve``, ``mkt.spread_curve``, ``mkt.rate_curve``) come per
    step from ``pipedeal.market.curves.step_values``: per-step discounting, default
    probabilities and drifts; a volatility that changes with time takes the time-dependent
    tree (``trees.build_time_dependent_tree``; from ``crr`` or ``jr``). ``ql`` mode reads the
    curves as QuantLib's engine does: the Black vol, zero rate and zero spread to maturity."""
    if model not in MODELS:
        raise UserError(f"model: unknown model {model!r} (use {', '.join(MODELS)})")
    if tf_call not in TF_CALL_RULES:
        raise UserError(f"tf_call: unknown rule {tf_call!r} (use {', '.join(TF_CALL_RULES)})")
    validate(spec, mkt)
    tree = tree or DEFAULT_TREE[model]
    if model == "hull":
        tree = "hull"
    ql = model == "ql"
    if smoothing and ql:
        raise UserError("smoothing: not in ql mode (it reproduces QuantLib's engine step for step)")
    if tree == "lr" and not ql and steps % 2 == 0:
        steps += 1  # Leisen–Reimer needs an odd step count (``ql`` copies QuantLib instead)
    g = grid_inputs(spec, mkt, steps, ql, contract)
    T = spec.maturity
    dt = T / steps
    vols, rates, spreads = step_values(mkt, np.arange(steps + 1) * dt)
    if ql:
        rr = np.full(steps, mkt.zero_rate(T))
        spreads = np.full(steps, zero_spread(mkt, T))
        vols = np.full(steps, black_vol(mkt, T))
    elif not mkt.rate_curve:
        rr = np.full(steps, mkt.zero_rate(T))
    else:
        rr = rates
    varying_vol = flat_vol(mkt) is None and not ql
    if model == "hull" and (varying_vol or flat_spread(mkt) is None):
        raise UserError("hull: needs a flat volatility and credit spread (no vol_curve or "
                        "spread_curve; its tree steps by sqrt((vol² − intensity)·Δt))")
    if model in ("hazard", "hull"):
        lam = (
            np.full(steps, mkt.hazard)
            if mkt.hazard is not None
            else spreads / (1.0 - mkt.recovery)
        )
    else:
        lam = np.zeros(steps)
    eta = 1.0 if model == "hull" else mkt.eta
    drift = rr - mkt.dividend_yield + (eta * lam if model != "hull" else lam)
    param_steps = steps
    if ql and tree == "lr" and steps % 2 == 0:
        param_steps = steps + 1  # QuantLib's LR tree uses steps + 1, its lattice keeps steps
    strike = spec.redemption_amount / spec.conversion_ratio if spec.conversion_ratio else 1.0
    vol = float(vols[0])
    if varying_vol:
        if tree not in ("crr", "jr"):
            raise UserError(f"vol_curve: needs the crr or jr tree (time-dependent), not {tree}")
        tr = build_time_dependent_tree(steps, T, vols, drift)
    else:
        tr = build_tree(
            tree, steps, T, vol, drift, x0=g.x0, strike=strike, hazard=float(lam[0]),
            param_steps=param_steps,
        )
    lnbase = tr.lnbase
    lnratio = tr.lnratio
    if ql and tree == "lr" and param_steps != steps:
        # QuantLib keeps the odd tree's nodes but walks them on the even lattice
        tr_odd = build_tree(tree, param_steps, T, vol, drift[0], x0=g.x0, strike=strike)
        lnbase = tr_odd.lnbase[: steps + 1]
        lnratio = tr_odd.lnratio
    if np.all(lam == lam[0]):  # math.exp, as the compiled batch builder has it, to the bit
        pdef = np.full(steps, 1.0 - math.exp(-float(lam[0]) * dt))
    else:
        pdef = np.array([1.0 - math.exp(-float(x) * dt) for x in lam])
    window = int(round(spec.notice_years / dt)) if not ql else 0
    # the diffusion's vol per step (Hull's tree: sqrt(vol² − intensity)) for the closed forms
    svol = np.sqrt(np.maximum(vols * vols - lam, 0.0)) if tree == "hull" else vols
    args = KernelArgs(
        model=MODEL_CODE[model],
        n=steps,
        dt=dt,
        x0=float(g.x0),
        lnbase=lnbase,
        lnratio=float(lnratio),
        pu=tr.pu,
        rr=rr,
        spread=np.ascontiguousarray(spreads, dtype=np.float64),
        pdef=pdef,
        eta=float(eta),
        recovery_value=float(mkt.recovery * spec.face),
        kappa=float(spec.conversion_ratio),
        redemption=float(spec.redemption_amount),
        accrued_conv=1.0 if spec.accrued_convertible else 0.0,
        cpn_conv=1.0 if spec.final_coupon_on_conversion else 0.0,
        window=window,
        call_cash=1.0 if tf_call == "cash" else 0.0,
        cpn=g.cpn,
        accrued=g.accrued,
        conv_ok=g.conv_ok,
        call_px=g.call_px,
        call_trig=g.call_trig,
        put_px=g.put_px,
        divadd=g.divadd,
        smooth=1.0 if smoothing else 0.0,
        svol=np.ascontiguousarray(svol, dtype=np.float64),
        smu=np.ascontiguousarray(drift, dtype=np.float64),
        notice=float(spec.notice_years) if not ql else 0.0,
        early=np.zeros(3),
    )
    return LatticeSetup(args, model, tree, steps)


def _value(
    spec: ConvertibleSpec,
    mkt: MarketInputs,
    model: str,
    steps: int,
    tree: str | None,
    tf_call: str,
    smoothing: bool,
    richardson: bool,
) -> float:
    """The lattice value; ``richardson``: 2·V(N) − V(N/2), which cancels an error in 1/N."""
    value = _smoothed_value(spec, mkt, model, steps, tree, tf_call, smoothing)
    if richardson:
        half = _smoothed_value(spec, mkt, model, max(steps // 2, 1), tree, tf_call, smoothing)
        value = 2.0 * value - half
    if not math.isfinite(value):
        raise UserError("valuation: the lattice overflowed (INF); check the inputs")
    return value


def _smoothed_value(
    spec: ConvertibleSpec,
    mkt: MarketInputs,
    model: str,
    steps: int,
    tree: str | None,
    tf_call: str,
    smoothing: bool,
) -> float:
    """One lattice; with ``smoothing``, also the first call date between two steps: the
    lattice moves it to the nearest step, and the value, smooth in that date, jumps as N moves
    the date from one side to the other (the largest part of what is left of the sawtooth
    after the closed forms); so the value is interpolated between the lattices with the call
    starting on the step before and on the step after (one more lattice)."""
    s = setup(spec, mkt, model=model, steps=steps, tree=tree, tf_call=tf_call,
              smoothing=smoothing)
    value = float(lattice_kernel(s.args))
    at = call_start_between_steps(spec, s.steps) if smoothing else None
    if at is None:
        return value
    k, frac, nearest_is_lower = at
    dt = spec.maturity / s.steps
    other = k + 1 if nearest_is_lower else k
    moved = setup(_first_call_from(spec, other * dt), mkt, model=model, steps=steps, tree=tree,
                  tf_call=tf_call, smoothing=True)
    v_other = float(lattice_kernel(moved.args))
    v_lo, v_hi = (value, v_other) if nearest_is_lower else (v_other, value)
    return v_lo + frac * (v_hi - v_lo)


def call_start_between_steps(spec: ConvertibleSpec, steps: int) -> tuple[int, float, bool] | None:
    """Where the first call window starts on a lattice of ``steps`` steps, when it starts
    strictly between two steps inside (0, T): (the step before, the fraction of a step after
    it, whether the nearest step is the one before), else None."""
    starts = [c.start for c in spec.calls if 0.0 < c.start < spec.maturity]
    if not starts or len(spec.calls) != len(starts) or spec.call_schedule is not None:
        return None
    start = min(starts)
    k_real = start / (spec.maturity / steps)
    k = math.floor(k_real)
    frac = k_real - k
    if frac < 1e-9 or frac > 1.0 - 1e-9:
        return None
    return k, frac, frac <= 0.5


def _first_call_from(spec: ConvertibleSpec, start: float) -> ConvertibleSpec:
    first = min(range(len(spec.calls)), key=lambda i: spec.calls[i].start)
    calls = tuple(replace(c, start=start) if i == first else c for i, c in enumerate(spec.calls))
    return replace(spec, calls=calls)


def price(
    spec: ConvertibleSpec,
    mkt: MarketInputs,
    *,
    model: str = "tf",
    steps: int = 500,
    tree: str | None = None,
    tf_call: str = "afv",
    parity_average: bool = False,
    smoothing: bool = False,
    richardson: bool = False,
) -> float:
    """Value of the note (same units as ``face``) at time 0 under ``model``.

    ``parity_average``: the mean of the values at ``steps`` and ``steps + 1``, which cancels the
    odd/even oscillation of binomial trees on notes with call and conversion boundaries.
    ``smoothing``: the last step in closed form (no kink between the nodes at maturity).
    ``richardson``: 2·V(steps) − V(steps / 2), extrapolating away an error in 1/steps (the
    second lattice costs a quarter of the first).
    """
    if parity_average:
        kw = dict(model=model, tree=tree, tf_call=tf_call, smoothing=smoothing,
                  richardson=richardson)
        return 0.5 * (
            price(spec, mkt, steps=steps, **kw)  # type: ignore[arg-type]
            + price(spec, mkt, steps=steps + 1, **kw)  # type: ignore[arg-type]
        )
    return _value(spec, mkt, model, steps, tree, tf_call, smoothing, richardson)


BUMPS = {
    "spot_rel": 0.01,
    "vol": 0.01,
    "rate": 1e-4,
    "spread": 1e-4,
    "days": 1,
}


def greeks(
    spec: ConvertibleSpec,
    mkt: MarketInputs,
    *,
    model: str = "tf",
    steps: int = 500,
    tree: str | None = None,
    spot_greeks: str = "tree",
    smoothing: bool = False,
    richardson: bool = False,
) -> dict[str, float]:
    """Value and Greeks.

    delta, gamma: ``spot_greeks="tree"`` (default) reads them off the lattice's three nodes at
    step 2 (one lattice, so no re-gridding noise; they are the Greeks at t = 2Δt); ``"bump"``
    uses central differences of spot ±1% instead. The others are bump-and-reprice, central:
    vega per 1.00 of vol (bump ±0.01); rho per 1.00 of rate (±1bp); credit_spread_sensitivity per
    1.00 of spread (±1bp; the hazard rate moves with it when it is derived from the spread;
    one-sided at a zero spread); theta: value one calendar day later minus value now, × 365
    (within two days of maturity: half the remaining life later, per year).
    """
    if spot_greeks not in ("tree", "bump"):
        raise UserError(f"spot_greeks: use tree or bump, got {spot_greeks!r}")

    def v(sp: ConvertibleSpec = spec, m: MarketInputs = mkt) -> float:
        return price(sp, m, model=model, steps=steps, tree=tree, smoothing=smoothing,
                     richardson=richardson)

    s0 = setup(spec, mkt, model=model, steps=steps, tree=tree, smoothing=smoothing)
    base = float(lattice_kernel(s0.args))
    if not math.isfinite(base):
        raise UserError("valuation: the lattice overflowed (INF); check the inputs")
    if richardson or smoothing:
        base = v()  # the value with the call date interpolated (and extrapolated)
    if spot_greeks == "tree" and s0.steps >= 2:
        a = s0.args
        x0, lnbase, lnratio, divadd, early = a.x0, a.lnbase, a.lnratio, a.divadd, a.early
        sn = [x0 * math.exp(lnbase[2] + j * lnratio) + divadd[2] for j in range(3)]
        d_lo = (early[1] - early[0]) / (sn[1] - sn[0])
        d_hi = (early[2] - early[1]) / (sn[2] - sn[1])
        delta = (early[2] - early[0]) / (sn[2] - sn[0])
        gamma = (d_hi - d_lo) / (0.5 * (sn[2] - sn[0]))
    else:
        h = BUMPS["spot_rel"] * mkt.spot
        up, dn = v(m=replace(mkt, spot=mkt.spot + h)), v(m=replace(mkt, spot=mkt.spot - h))
        delta = (up - dn) / (2 * h)
        gamma = (up - 2 * base + dn) / (h * h)
    dv = BUMPS["vol"]
    dr = BUMPS["rate"]
    ds = BUMPS["spread"]
    # theta: a day later; within two days of maturity a day would reach (or pass) it, where the
    # shifted note has no life left to value, so the step is half the remaining life instead
    day = min(BUMPS["days"] / 365.0, 0.5 * spec.maturity)
    theta = (v(sp=spec.shifted(day), m=_shift_market(mkt, day)) - base) / day
    return {
        "value": base,
        "delta": delta,
        "gamma": gamma,
        "vega": (v(m=_bump_vol(mkt, dv)) - v(m=_bump_vol(mkt, -dv))) / (2 * dv),
        "theta": theta,
        "rho": (
            v(m=replace(mkt, rate=mkt.rate + dr, rate_curve=_bump_curve(mkt, dr)))
            - v(m=replace(mkt, rate=mkt.rate - dr, rate_curve=_bump_curve(mkt, -dr)))
        )
        / (2 * dr),
        "credit_spread_sensitivity": _spread_derivative(v, mkt, base, ds),
    }


def _spread_derivative(v: Callable[..., float], mkt: MarketInputs, base: float, h: float) -> float:
    up = v(m=_bump_spread(mkt, h))
    if mkt.credit_spread >= h:
        return (up - v(m=_bump_spread(mkt, -h))) / (2 * h)
    return (up - base) / h  # one-sided at a zero spread


def _bump_curve(mkt: MarketInputs, h: float) -> tuple[tuple[float, float], ...]:
    return tuple((t, z + h) for t, z in mkt.rate_curve)


def _bump_spread(mkt: MarketInputs, h: float) -> MarketInputs:
    spread = max(mkt.credit_spread + h, 0.0)
    hazard = None if mkt.hazard is None else max(mkt.hazard + h / (1.0 - mkt.recovery), 0.0)
    curve = tuple((t, max(x + h, 0.0)) for t, x in mkt.spread_curve)
    return replace(mkt, credit_spread=spread, hazard=hazard, spread_curve=curve)


def _bump_vol(mkt: MarketInputs, h: float) -> MarketInputs:
    """Volatility ± h, the curve's pillars too (a parallel shift of Black vols)."""
    return replace(mkt, vol=mkt.vol + h, vol_curve=tuple((t, x + h) for t, x in mkt.vol_curve))


def _shift_market(mkt: MarketInputs, years: float) -> MarketInputs:
    return replace(
        mkt,
        dividends=tuple(
            Dividend(
                d.time - years,
                d.amount,
                None if d.discount_time is None else d.discount_time - years,
            )
            for d in mkt.dividends
        ),
    )
