"""Black–Scholes–Merton closed forms, their Greeks, and warrant dilution conventions.

Kernels are numba-compiled and take plain float64 arguments. Greeks are per unit of the
underlying parameter: vega per 1.00 of volatility, rho per 1.00 of rate, theta per year.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from pipedeal.errors import UserError

_SQRT2 = math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)

DILUTION_CONVENTIONS = ("none", "hull", "galai-schneller")


@njit(cache=True)
def norm_cdf(x: float) -> float:
    return 0.5 * math.erfc(-x / _SQRT2)


@njit(cache=True)
def norm_pdf(x: float) -> float:
    return _INV_SQRT_2PI * math.exp(-0.5 * x * x)


@njit(cache=True)
def bs_price(is_call: bool, s: float, k: float, t: float, r: float, q: float, vol: float) -> float:
    """European option price under Black–Scholes–Merton (continuous r and dividend yield q)."""
    if t <= 0.0:
        return max(s - k, 0.0) if is_call else max(k - s, 0.0)
    sq = vol * math.sqrt(t)
    d1 = (math.log(s / k) + (r - q + 0.5 * vol * vol) * t) / sq
    d2 = d1 - sq
    if is_call:
        return s * math.exp(-q * t) * norm_cdf(d1) - k * math.exp(-r * t) * norm_cdf(d2)
    return k * math.exp(-r * t) * norm_cdf(-d2) - s * math.exp(-q * t) * norm_cdf(-d1)


@njit(cache=True)
def bs_greeks(is_call: bool, s: float, k: float, t: float, r: float, q: float, vol: float):
    """(price, delta, gamma, vega, theta, rho); theta is dV/dt of calendar time, per year."""
    sq = vol * math.sqrt(t)
    d1 = (math.log(s / k) + (r - q + 0.5 * vol * vol) * t) / sq
    d2 = d1 - sq
    dq = math.exp(-q * t)
    dr = math.exp(-r * t)
    pdf = norm_pdf(d1)
    gamma = dq * pdf / (s * sq)
    vega = s * dq * pdf * math.sqrt(t)
    if is_call:
        price = s * dq * norm_cdf(d1) - k * dr * norm_cdf(d2)
        delta = dq * norm_cdf(d1)
        theta = (
            -s * dq * pdf * vol / (2.0 * math.sqrt(t))
            - r * k * dr * norm_cdf(d2)
            + q * s * dq * norm_cdf(d1)
        )
        rho = k * t * dr * norm_cdf(d2)
    else:
        price = k * dr * norm_cdf(-d2) - s * dq * norm_cdf(-d1)
        delta = -dq * norm_cdf(-d1)
        theta = (
            -s * dq * pdf * vol / (2.0 * math.sqrt(t))
            + r * k * dr * norm_cdf(-d2)
            - q * s * dq * norm_cdf(-d1)
        )
        rho = -k * t * dr * norm_cdf(-d2)
    return price, delta, gamma, vega, theta, rho


@njit(cache=True)
def bs_d1_d2(s: float, k: float, t: float, r: float, q: float, vol: float):
    sq = vol * math.sqrt(t)
    d1 = (math.log(s / k) + (r - q + 0.5 * vol * vol) * t) / sq
    return d1, d1 - sq


@njit(cache=True)
def galai_schneller(
    s: float,
    k: float,
    t: float,
    r: float,
    q: float,
    vol: float,
    n: float,
    m: float,
    tol: float,
    max_iter: int,
):
    """Warrant value W solving W = N/(N+M)·C(S + (M/N)·W, K): returns (W, underlying, iterations).

    ``s`` is the observed share price after the warrants are announced (which already reflects
    them); the firm value per share the option is written on is S + (M/N)·W.
    """
    f = n / (n + m)
    w = f * bs_price(True, s, k, t, r, q, vol)
    for it in range(1, max_iter + 1):
        w_new = f * bs_price(True, s + (m / n) * w, k, t, r, q, vol)
        if abs(w_new - w) < tol:
            return w_new, s + (m / n) * w_new, it
        w = w_new
    return w, s + (m / n) * w, max_iter


def warrant_value(
    spot: float,
    strike: float,
    expiry_years: float,
    rate: float,
    vol: float,
    *,
    dividend_yield: float = 0.0,
    dilution: str = "none",
    shares_outstanding: float | None = None,
    warrants: float | None = None,
) -> float:
    """Value of one European warrant under a named dilution convention.

    ``none``: a plain Black–Scholes call. ``hull``: N/(N+M) × call (Hull, OFOD, "Warrants,
    employee stock options, and dilution"; S is the post-announcement price).
    ``galai-schneller``: the fixed point W = N/(N+M)·C(S + (M/N)W).
    """
    check_positive(spot=spot, strike=strike, expiry_years=expiry_years, vol=vol)
    if dilution not in DILUTION_CONVENTIONS:
        raise UserError(
            f"dilution: unknown convention {dilution!r} (use {', '.join(DILUTION_CONVENTIONS)})"
        )
    if dilution == "none":
        return float(bs_price(True, spot, strike, expiry_years, rate, dividend_yield, vol))
    if not shares_outstanding or shares_outstanding <= 0 or warrants is None or warrants < 0:
        raise UserError(f"dilution {dilution!r} needs shares_outstanding > 0 and warrants >= 0")
    n, m = float(shares_outstanding), float(warrants)
    if dilution == "hull":
        return (
            n
            / (n + m)
            * float(bs_price(True, spot, strike, expiry_years, rate, dividend_yield, vol))
        )
    w, _, _ = galai_schneller(
        spot, strike, expiry_years, rate, dividend_yield, vol, n, m, 1e-12, 200
    )
    return float(w)


def warrant_greeks(
    spot,
    strike,
    expiry_years,
    rate,
    vol,
    *,
    dividend_yield=0.0,
    dilution="none",
    shares_outstanding=None,
    warrants=None,
) -> dict[str, float]:
    """Value and Greeks of one warrant. ``none``/``hull``: closed form (scaled by N/(N+M));
    ``galai-schneller``: central bumps of the fixed point (spot 1%, vol 0.01, rate 1bp, 1 day)."""
    check_positive(spot=spot, strike=strike, expiry_years=expiry_years, vol=vol)
    if dilution in ("none", "hull"):
        f = 1.0
        if dilution == "hull":
            f = warrant_value(
                spot,
                strike,
                expiry_years,
                rate,
                vol,
                dividend_yield=dividend_yield,
                dilution="hull",
                shares_outstanding=shares_outstanding,
                warrants=warrants,
            ) / float(bs_price(True, spot, strike, expiry_years, rate, dividend_yield, vol))
        p, de, ga, ve, th, rh = bs_greeks(
            True, spot, strike, expiry_years, rate, dividend_yield, vol
        )
        return {
            "value": f * p,
            "delta": f * de,
            "gamma": f * ga,
            "vega": f * ve,
            "theta": f * th,
            "rho": f * rh,
        }

    def v(s=spot, t=expiry_years, r=rate, sig=vol):
        return warrant_value(
            s,
            strike,
            t,
            r,
            sig,
            dividend_yield=dividend_yield,
            dilution=dilution,
            shares_outstanding=shares_outstanding,
            warrants=warrants,
        )

    h = 0.01 * spot
    base = v()
    up, dn = v(s=spot + h), v(s=spot - h)
    day = 1.0 / 365.0
    return {
        "value": base,
        "delta": (up - dn) / (2 * h),
        "gamma": (up - 2 * base + dn) / (h * h),
        "vega": (v(sig=vol + 0.01) - v(sig=vol - 0.01)) / 0.02,
        "theta": (v(t=max(expiry_years - day, 1e-9)) - base) / day,
        "rho": (v(r=rate + 1e-4) - v(r=rate - 1e-4)) / 2e-4,
    }


def check_positive(**values: float) -> None:
    for name, value in values.items():
        if not (value > 0) or not np.isfinite(value):
            raise UserError(f"{name}: must be a positive number, got {value!r}")
