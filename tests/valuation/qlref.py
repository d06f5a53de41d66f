"""Build the same note in QuantLib (the independent cross-check) from a ``DatedNote``."""

from __future__ import annotations

import datetime as dt

import QuantLib as ql

from pipedeal.valuation.dated import DatedNote


def qd(d: dt.date) -> ql.Date:
    return ql.Date(d.day, d.month, d.year)


DAY_COUNTERS = {
    "ACT/365F": lambda: ql.Actual365Fixed(),
    "ACT/360": lambda: ql.Actual360(),
    "30/360": lambda: ql.Thirty360(ql.Thirty360.BondBasis),
}


def ql_convertible_npv(
    note: DatedNote,
    *,
    evaluation: dt.date,
    issue: dt.date,
    schedule: ql.Schedule,
    coupon_rate: float,
    settlement_days: int,
    calendar: ql.Calendar,
    spot: float,
    vol: float,
    rate: float,
    dividend_yield: float,
    spread: float,
    steps: int,
    tree: str = "crr",
    curve_day_count: str = "ACT/365F",
    dividends: tuple[tuple[dt.date, float], ...] = (),
    vol_curve: tuple[tuple[dt.date, float], ...] = (),
) -> float:
    """NPV of ``note`` in QuantLib's ``BinomialConvertibleEngine``; ``vol_curve``: Black vols
    to dates, as a ``BlackVarianceCurve`` (linear in variance, the last vol flat after)."""
    ql.Settings.instance().evaluationDate = qd(evaluation)
    cdc = DAY_COUNTERS[curve_day_count]()
    bond_dc = DAY_COUNTERS[note.coupon_day_count]()
    callability = ql.CallabilitySchedule()
    for c in note.calls:
        day = c.start
        while day <= c.end:
            if calendar.isBusinessDay(qd(day)):
                kind = ql.BondPrice.Clean if c.clean else ql.BondPrice.Dirty
                callability.append(
                    ql.Callability(ql.BondPrice(c.price, kind), ql.Callability.Call, qd(day))
                )
            day += dt.timedelta(days=1)
    for p in note.puts:
        kind = ql.BondPrice.Clean if p.clean else ql.BondPrice.Dirty
        callability.append(
            ql.Callability(ql.BondPrice(p.price, kind), ql.Callability.Put, qd(p.date))
        )
    start = note.conversion_start or evaluation
    exercise = ql.AmericanExercise(qd(start), qd(note.maturity))
    bond = ql.ConvertibleFixedCouponBond(
        exercise,
        note.conversion_ratio,
        callability,
        qd(issue),
        settlement_days,
        [coupon_rate],
        bond_dc,
        schedule,
        note.face,
    )
    today = qd(evaluation)
    process = ql.BlackScholesMertonProcess(
        ql.QuoteHandle(ql.SimpleQuote(spot)),
        ql.YieldTermStructureHandle(ql.FlatForward(today, dividend_yield, cdc)),
        ql.YieldTermStructureHandle(ql.FlatForward(today, rate, cdc)),
        ql.BlackVolTermStructureHandle(
            ql.BlackVarianceCurve(
                today, [qd(d) for d, _ in vol_curve], [v for _, v in vol_curve], cdc
            )
            if vol_curve
            else ql.BlackConstantVol(today, calendar, vol, cdc)
        ),
    )
    divs = ql.DividendSchedule()
    for d, amount in dividends:
        divs.append(ql.FixedDividend(amount, qd(d)))
    engine = ql.BinomialConvertibleEngine(
        process, tree, steps, ql.QuoteHandle(ql.SimpleQuote(spread)), divs
    )
    bond.setPricingEngine(engine)
    return bond.NPV()
