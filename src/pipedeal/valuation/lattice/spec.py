"""The contract and the market in model time (years from the valuation or settlement date):
coupons, calls, puts and cash dividends as plain frozen dataclasses (``ConvertibleSpec``,
``MarketInputs``) and the checks every model runs on them (``validate``). No numerics beyond the
rate curve's interpolation: the grid (``grid``) and the rollbacks read these.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

from pipedeal.errors import UserError


@dataclass(frozen=True)
class Coupon:
    pay: float  # payment time
    amount: float  # cash paid
    accrual_start: float
    accrual_end: float


@dataclass(frozen=True)
class Call:
    """Issuer call at ``price`` from ``start`` to ``end`` (equal: one date). Clean prices get the
    accrued interest added; ``trigger``: only when the stock is at or above this (soft call)."""

    start: float
    end: float
    price: float
    clean: bool = True
    trigger: float | None = None


@dataclass(frozen=True)
class Put:
    time: float
    price: float
    clean: bool = True


@dataclass(frozen=True)
class Dividend:
    time: float
    amount: float
    discount_time: float | None = None  # time from the curve's reference date, if different


@dataclass(frozen=True)
class ConvertibleSpec:
    maturity: float
    conversion_ratio: float  # shares per note (per ``face``)
    face: float = 100.0
    redemption: float | None = None  # paid at maturity; default face
    coupons: tuple[Coupon, ...] = ()
    calls: tuple[Call, ...] = ()
    puts: tuple[Put, ...] = ()
    conversion_start: float = 0.0
    conversion_end: float | None = None  # default maturity
    accrued_convertible: bool = False
    notice_years: float = 0.0  # holder's election window after a call
    # A holder converting on a payment date before maturity keeps that day's coupon. At maturity
    # the holder takes either redemption plus the last coupon or the shares: False (default, as
    # in AFV 2003) V(T) = max(κS, redemption + coupon); True: κS + coupon. ``ql`` mode follows
    # QuantLib (coupon added before the conversion test) whatever this says.
    final_coupon_on_conversion: bool = False
    # discrete calls as arrays (times, dirty prices): the fast path for many daily call dates
    call_schedule: tuple[np.ndarray, np.ndarray] | None = field(default=None, compare=False)

    @property
    def redemption_amount(self) -> float:
        return self.face if self.redemption is None else self.redemption

    def accrued(self, t: float) -> float:
        for c in self.coupons:
            if c.accrual_start <= t < c.accrual_end:
                return c.amount * (t - c.accrual_start) / (c.accrual_end - c.accrual_start)
        return 0.0

    def shifted(self, years: float) -> ConvertibleSpec:
        """The same contract seen ``years`` later (for theta): every time moves back."""
        s = years
        end = None if self.conversion_end is None else self.conversion_end - s
        return replace(
            self,
            maturity=self.maturity - s,
            coupons=tuple(
                Coupon(c.pay - s, c.amount, c.accrual_start - s, c.accrual_end - s)
                for c in self.coupons
            ),
            calls=tuple(replace(c, start=c.start - s, end=c.end - s) for c in self.calls),
            puts=tuple(replace(p, time=p.time - s) for p in self.puts),
            conversion_start=self.conversion_start - s,
            conversion_end=end,
        )


@dataclass(frozen=True)
class MarketInputs:
    spot: float
    vol: float
    rate: float  # continuous, flat unless ``rate_curve`` is given
    dividend_yield: float = 0.0
    credit_spread: float = 0.0
    recovery: float = 0.0
    hazard: float | None = None  # default credit_spread / (1 - recovery)
    eta: float = 1.0  # fraction the stock falls on default
    dividends: tuple[Dividend, ...] = ()
    rate_curve: tuple[tuple[float, float], ...] = ()  # (time, continuous zero rate) pillars
    # term structures (``pipedeal.market.curves``): (years, Black vol) and (years, zero spread)
    # pillars; empty: the flat ``vol`` and ``credit_spread``
    vol_curve: tuple[tuple[float, float], ...] = ()
    spread_curve: tuple[tuple[float, float], ...] = ()

    @property
    def intensity(self) -> float:
        if self.hazard is not None:
            return self.hazard
        return self.credit_spread / (1.0 - self.recovery)

    def zero_rate(self, t: float) -> float:
        if not self.rate_curve:
            return self.rate
        ts = np.array([p[0] for p in self.rate_curve])
        zs = np.array([p[1] for p in self.rate_curve])
        return float(np.interp(t, ts, zs))

    def discount(self, t: float) -> float:
        return math.exp(-self.zero_rate(t) * t)


def validate(spec: ConvertibleSpec, mkt: MarketInputs) -> None:
    checks = [
        (spec.maturity > 0, "maturity: must be after the valuation date"),
        (mkt.spot > 0, f"spot: must be positive, got {mkt.spot}"),
        (mkt.vol > 0, f"volatility: must be positive, got {mkt.vol}"),
        (spec.conversion_ratio >= 0, "conversion ratio: must not be negative"),
        (spec.face > 0, "face: must be positive"),
        (0 <= mkt.recovery < 1, f"recovery: must be in [0, 1), got {mkt.recovery}"),
        (mkt.credit_spread >= 0, f"credit spread: must not be negative, got {mkt.credit_spread}"),
        (0 <= mkt.eta <= 1, f"eta: must be in [0, 1], got {mkt.eta}"),
        (spec.notice_years >= 0, "notice window: must not be negative"),
    ]
    from pipedeal.market.curves import check_curve

    check_curve(mkt.vol_curve, "vol_curve", variance=True)
    check_curve(mkt.spread_curve, "spread_curve")
    if any(x < 0 for _, x in mkt.spread_curve):
        raise UserError("spread_curve: spreads must not be negative")
    for ok, message in checks:
        if not ok or any(
            isinstance(v, float) and not math.isfinite(v)
            for v in (mkt.spot, mkt.vol, mkt.rate, mkt.credit_spread)
        ):
            raise UserError(message if not ok else "market inputs: must be finite numbers")
