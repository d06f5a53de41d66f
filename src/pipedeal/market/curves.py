"""Term structures of volatility, risk-free rate and credit spread, as per-step values on any
time grid (the lattice's uniform steps, the PDE's aligned steps): ``step_values``.

- Volatility: Black (implied) volatilities to each tenor, ``vol_curve`` = ((years, vol), ...).
  Total variance w(t) = vol(t)²·t is linear between pillars (piecewise-flat forward variance, as
  QuantLib's ``BlackVarianceCurve`` with its default linear interpolation), w(t) = vol₁²·t before
  the first pillar, and the last vol is held flat after the last one. The vol over a step
  [a, b] is the root of its average forward variance, sqrt((w(b) − w(a)) / (b − a)).
- Credit spread: zero spreads to each tenor, ``spread_curve`` = ((years, spread), ...),
  flat-forward: the integrated spread s(t)·t is linear between pillars, s₁·t before the first,
  and continues at the last segment's forward spread after the last. The spread over a step is
  its average forward spread.
- Risk-free rate: ``MarketInputs.rate_curve`` as before (zero rates linear in time, continuous);
  the rate over a step is its forward rate from the discount factors.

A curve whose values are all equal is that flat number, exactly (``flat_vol``,
``flat_spread``): the lattice then builds the same tree as for the scalar input, to the bit.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from pipedeal.errors import UserError

if TYPE_CHECKING:
    from pipedeal.valuation.lattice.spec import MarketInputs

Curve = tuple[tuple[float, float], ...]


def check_curve(curve: Curve, name: str, *, variance: bool = False) -> None:
    """``UserError`` naming ``name`` unless the tenors are positive and increasing, the values
    finite and (``variance``) the total variance never falls."""
    last_t, last_w = 0.0, 0.0
    for k, (t, x) in enumerate(curve):
        if not (math.isfinite(t) and math.isfinite(x)):
            raise UserError(f"{name}[{k}]: must be finite numbers, got ({t}, {x})")
        if t <= last_t:
            raise UserError(f"{name}[{k}]: tenors must be positive and increasing, got {t}")
        if variance:
            if x <= 0:
                raise UserError(f"{name}[{k}]: volatility must be positive, got {x}")
            w = x * x * t
            if w < last_w:
                raise UserError(
                    f"{name}[{k}]: total variance falls ({x} to {t} years is below "
                    f"{math.sqrt(last_w / last_t)} to {last_t}): a negative forward variance"
                )
            last_w = w
        last_t = t


def _flat(curve: Curve) -> float | None:
    values = {x for _, x in curve}
    return values.pop() if len(values) == 1 else None


def flat_vol(mkt: MarketInputs) -> float | None:
    """The one volatility of ``mkt`` when it has no curve or a flat one, else None."""
    return mkt.vol if not mkt.vol_curve else _flat(mkt.vol_curve)


def flat_spread(mkt: MarketInputs) -> float | None:
    """The one credit spread of ``mkt`` when it has no curve or a flat one, else None."""
    return mkt.credit_spread if not mkt.spread_curve else _flat(mkt.spread_curve)


def total_variance(curve: Curve, t: np.ndarray | float) -> np.ndarray:
    """w(t) of a vol curve: linear between pillars, vol₁²·t before the first, the last vol
    flat after the last."""
    ts = np.array([0.0] + [p[0] for p in curve])
    ws = np.array([0.0] + [p[1] * p[1] * p[0] for p in curve])
    t = np.asarray(t, dtype=np.float64)
    last_vol2 = curve[-1][1] ** 2
    return np.where(t <= ts[-1], np.interp(t, ts, ws), last_vol2 * t)


def integrated_spread(curve: Curve, t: np.ndarray | float) -> np.ndarray:
    """∫₀ᵗ forward spread: s(t)·t linear between pillars, continuing at the last segment's
    forward after the last pillar."""
    ts = np.array([0.0] + [p[0] for p in curve])
    js = np.array([0.0] + [p[1] * p[0] for p in curve])
    t = np.asarray(t, dtype=np.float64)
    last_fwd = (js[-1] - js[-2]) / (ts[-1] - ts[-2])
    return np.where(t <= ts[-1], np.interp(t, ts, js), js[-1] + last_fwd * (t - ts[-1]))


def black_vol(mkt: MarketInputs, t: float) -> float:
    """The Black volatility to ``t`` (what QuantLib's tree engines read from a vol curve)."""
    flat = flat_vol(mkt)
    if flat is not None:
        return flat
    return math.sqrt(float(total_variance(mkt.vol_curve, t)) / t)


def zero_spread(mkt: MarketInputs, t: float) -> float:
    """The zero (average) credit spread to ``t``."""
    flat = flat_spread(mkt)
    if flat is not None:
        return flat
    return float(integrated_spread(mkt.spread_curve, t)) / t


def step_values(mkt: MarketInputs, times: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(vol, rate, spread) over each step [times[i], times[i + 1]] of a grid (any spacing):
    three arrays of length len(times) − 1 (the PDE and the lattice both read these)."""
    times = np.asarray(times, dtype=np.float64)
    dt = np.diff(times)
    if np.any(dt <= 0):
        raise ValueError("step_values: times must increase")
    fv = flat_vol(mkt)
    if fv is not None:
        vol = np.full(dt.shape, fv)
    else:
        w = total_variance(mkt.vol_curve, times)
        vol = np.sqrt(np.maximum(np.diff(w), 0.0) / dt)
    fs = flat_spread(mkt)
    if fs is not None:
        spread = np.full(dt.shape, fs)
    else:
        spread = np.diff(integrated_spread(mkt.spread_curve, times)) / dt
    if not mkt.rate_curve:
        rate = np.full(dt.shape, mkt.rate)
    else:
        disc = np.array([mkt.discount(float(t)) for t in times])
        rate = -np.diff(np.log(disc)) / dt
    return vol, rate, spread
