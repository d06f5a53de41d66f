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

import numpy as np

from pipedeal.valuation.daycount import year_fraction
from pipedeal.valuation.lattice.spec import Call, ConvertibleSpec, Coupon, Dividend, Put


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
    sched_t: list[np.ndarray] = []
    sched_px: list[np.ndarray] = []
    for c in note.calls:
        if (
            ql_conventions
            and c.trigger is None
            and note.coupon_day_count == "ACT/365F"
            and time_day_count in _DAYS
        ):
            # fast path: every business day of the window at once (QuantLib: one callability
            # a day, clean price plus that day's accrued)
            days = np.arange(c.start.toordinal(), c.end.toordinal() + 1)
            if is_business_day is None or is_business_day is weekdays:
                days = days[(days + 6) % 7 < 5] if is_business_day is weekdays else days
            else:
                days = days[[is_business_day(dt.date.fromordinal(int(o))) for o in days]]
            sched_t.append((days - origin.toordinal()) / _DAYS[time_day_count])
            px = np.full(days.shape, c.price, dtype=np.float64)
            if c.clean:
                px += _accrued_act365(note, days)
            sched_px.append(px)
            continue
        if ql_conventions:
            day = c.start
            while day <= c.end:
                if is_business_day is None or is_business_day(day):
                    dirty = c.price + (note.accrued_on(day) if c.clean else 0.0)
                    calls.append(Call(t(day), t(day), dirty, clean=False, trigger=c.trigger))
                day += dt.timedelta(days=1)
        else:
            calls.append(Call(t(c.start), t(c.end), c.price, c.clean, c.trigger))
    puts = tuple(
        Put(t(p.date), p.price + (note.accrued_on(p.date) if p.clean else 0.0), clean=False)
        if ql_conventions
        else Put(t(p.date), p.price, p.clean)
        for p in note.puts
    )
    schedule = None
    if sched_t:
        schedule = (np.concatenate(sched_t), np.concatenate(sched_px))
    return ConvertibleSpec(
        call_schedule=schedule,
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


_DAYS = {"ACT/365F": 365.0, "ACT/360": 360.0}


def weekdays(day: dt.date) -> bool:
    """Monday to Friday: the business days ``value-batch`` uses for daily call dates."""
    return day.weekday() < 5


def _accrued_act365(note: DatedNote, days: np.ndarray) -> np.ndarray:
    """``DatedNote.accrued_on`` for many day ordinals (ACT/365F coupons), vectorized."""
    cs = sorted(note.coupons, key=lambda c: c.pay_date)
    if not cs:
        return np.zeros(days.shape)
    pay = np.array([c.pay_date.toordinal() for c in cs])
    start = np.array([c.accrual_start.toordinal() for c in cs], dtype=np.float64)
    end = np.array([c.accrual_end.toordinal() for c in cs], dtype=np.float64)
    amount = np.array([c.amount for c in cs])
    k = np.searchsorted(pay, days, side="right")  # first coupon paid after the day
    valid = k < len(cs)
    kk = np.minimum(k, len(cs) - 1)
    part = np.minimum(days, end[kk]) - start[kk]
    full = end[kk] - start[kk]
    acc = np.where(
        (days > start[kk]) & valid & (full > 0),
        amount[kk] * part / np.where(full > 0, full, 1.0),
        0.0,
    )
    return acc


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
