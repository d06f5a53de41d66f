"""Notes described with dates, placed on model time.

``DatedNote`` is the contract as a user or the deal layer states it (dates, clean prices, a notice
window in days); ``to_spec`` turns it into the model-time ``ConvertibleSpec`` the lattices use.
With ``ql_conventions=True`` it copies QuantLib's choices exactly (times from the settlement date
on the curve's day count, clean call/put prices made dirty with the coupon day count at each call
date, one callability per business day of a call window), so that the ``ql`` model reproduces
``BinomialConvertibleEngine``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from pipedeal.valuation.convertible import Call, ConvertibleSpec, Coupon, Dividend, Put
from pipedeal.valuation.daycount import year_fraction


@dataclass(frozen=True)
class DatedCoupon:
    pay_date: dt.date
    amount: float
    accrual_start: dt.date
    accrual_end: dt.date


@dataclass(frozen=True)
class DatedCall:
    start: dt.date
    end: dt.date
    price: float
    clean: bool = True
    trigger: float | None = None


@dataclass(frozen=True)
class DatedPut:
    date: dt.date
    price: float
    clean: bool = True


@dataclass(frozen=True)
class DatedDividend:
    date: dt.date
    amount: float


@dataclass(frozen=True)
class DatedNote:
    maturity: dt.date
    conversion_ratio: float
    face: float = 100.0
    redemption: float | None = None
    coupons: tuple[DatedCoupon, ...] = ()
    calls: tuple[DatedCall, ...] = ()
    puts: tuple[DatedPut, ...] = ()
    conversion_start: dt.date | None = None
    conversion_end: dt.date | None = None
    accrued_convertible: bool = False
    notice_days: int = 0  # calendar days of the holder's election window after a call
    coupon_day_count: str = "ACT/365F"  # for accrued interest on clean prices

    def accrued_on(self, day: dt.date) -> float:
        """Accrued interest on ``day`` (QuantLib's rule: the coupon whose payment is the next
        after ``day``; zero on a payment date)."""
        for c in sorted(self.coupons, key=lambda c: c.pay_date):
            if c.pay_date > day:
                if day <= c.accrual_start:
                    return 0.0
                full = year_fraction(c.accrual_start, c.accrual_end, self.coupon_day_count)
                part = year_fraction(
                    c.accrual_start, min(day, c.accrual_end), self.coupon_day_count
                )
                return c.amount * part / full if full > 0 else 0.0
        return 0.0


def to_spec(
    note: DatedNote,
    origin: dt.date,
    *,
    time_day_count: str = "ACT/365F",
    ql_conventions: bool = False,
    is_business_day: Callable[[dt.date], bool] | None = None,
) -> ConvertibleSpec:
    def t(d: dt.date) -> float:
        return year_fraction(origin, d, time_day_count)

    coupons = tuple(
        Coupon(t(c.pay_date), c.amount, t(c.accrual_start), t(c.accrual_end))
        for c in note.coupons
        if c.pay_date > origin
    )
    calls: list[Call] = []
    for c in note.calls:
        if ql_conventions:
            day = c.start
            while day <= c.end:
                if is_business_day is None or is_business_day(day):
                    px = c.price + (note.accrued_on(day) if c.clean else 0.0)
                    calls.append(Call(t(day), t(day), px, clean=False, trigger=c.trigger))
                day += dt.timedelta(days=1)
        else:
            calls.append(Call(t(c.start), t(c.end), c.price, c.clean, c.trigger))
    puts = tuple(
        Put(t(p.date), p.price + (note.accrued_on(p.date) if p.clean else 0.0), clean=False)
        if ql_conventions
        else Put(t(p.date), p.price, p.clean)
        for p in note.puts
    )
    return ConvertibleSpec(
        maturity=t(note.maturity),
        conversion_ratio=note.conversion_ratio,
        face=note.face,
        redemption=note.redemption,
        coupons=coupons,
        calls=tuple(calls),
        puts=puts,
        conversion_start=t(note.conversion_start) if note.conversion_start else 0.0,
        conversion_end=t(note.conversion_end) if note.conversion_end else None,
        accrued_convertible=note.accrued_convertible,
        notice_years=note.notice_days / 365.0,
    )


def dividends_for(
    dividends: tuple[DatedDividend, ...],
    origin: dt.date,
    curve_reference: dt.date,
    time_day_count: str = "ACT/365F",
) -> tuple[Dividend, ...]:
    """Dividends after ``origin`` in model time; the spot is reduced by their value discounted
    from ``curve_reference`` (QuantLib discounts from the curve's reference date, the grid times
    run from the bond's settlement date)."""
    return tuple(
        Dividend(
            year_fraction(origin, d.date, time_day_count),
            d.amount,
            year_fraction(curve_reference, d.date, time_day_count),
        )
        for d in dividends
        if d.date > origin
    )
