"""Evaluate a price rule on real trading sessions and keep the trace of what was used."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pandas as pd

from pipedeal.errors import UserError
from pipedeal.market.calendars import trading_calendar
from pipedeal.market.closes import PriceBar, PriceSeries
from pipedeal.terms.models import FixedPrice, PriceRule, Statistic, WindowPosition

# Averages are carried at this many places before the multiplier and the rule's own rounding.
_WORKING_PLACES = Decimal("1e-12")


@dataclass(frozen=True)
class PriceTrace:
    """How a price came about: the sessions and values used, and each step to the result."""

    rule: str
    anchor: dt.date | None
    sessions: tuple[PriceBar, ...]
    statistic: Decimal | None
    formula_price: Decimal | None  # statistic × multiplier, before rounding
    rounded_price: Decimal | None
    fixed_price: Decimal | None
    floor: Decimal | None
    price: Decimal
    limited_by: str | None  # "fixed_price" | "floor" | None

    @property
    def window_dates(self) -> list[dt.date]:
        return [bar.date for bar in self.sessions]


def describe_rule(rule: PriceRule | FixedPrice) -> str:
    """Plain words for a rule, e.g. '110% of average close over 5 trading days before issuance'."""
    if isinstance(rule, FixedPrice):
        return f"fixed ${rule.fixed}"
    stat = {
        Statistic.AVERAGE_CLOSE: "average close",
        Statistic.VWAP: "VWAP",
        Statistic.AVERAGE_DAILY_VWAP: "average daily VWAP",
        Statistic.LOWEST_CLOSE: "lowest close",
        Statistic.LOWEST_DAILY_VWAP: "lowest daily VWAP",
    }[rule.statistic]
    where = "before" if rule.window is WindowPosition.BEFORE else "ending on"
    pct = (rule.multiplier * 100).normalize()
    text = f"{pct:f}% of {stat} over {rule.window_sessions} trading days {where} issuance"
    if rule.fixed_price is not None:
        text = f"lower of ${rule.fixed_price} and {text}"
    if rule.floor is not None:
        text += f", floor ${rule.floor}"
    return text


def window_sessions(rule: PriceRule, anchor: dt.date, calendar: str) -> list[dt.date]:
    """The trading sessions a rule looks at for ``anchor`` on ``calendar``."""
    cal = trading_calendar(calendar)
    ts = pd.Timestamp(anchor)
    if rule.window is WindowPosition.ENDING_ON:
        if not cal.is_session(ts):
            raise UserError(
                f"price rule: anchor date {anchor} is not a {calendar} session, "
                "so no window can end on it"
            )
        last = ts
    else:
        last = cal.date_to_session(ts, direction="previous")
        if last == ts:
            last = cal.previous_session(ts)
    sessions = cal.sessions_window(last, -rule.window_sessions)
    return [s.date() for s in sessions]


def evaluate(
    rule: PriceRule | FixedPrice,
    anchor: dt.date | None,
    prices: PriceSeries | None,
    calendar: str,
    *,
    label: str = "price",
) -> PriceTrace:
    """Apply ``rule`` at ``anchor``; ``label`` names the clause in error messages."""
    if isinstance(rule, FixedPrice):
        return PriceTrace("fixed", anchor, (), None, None, None, rule.fixed, None, rule.fixed, None)
    if anchor is None:
        raise UserError(f"{label}: the rule needs an anchor date")
    dates = window_sessions(rule, anchor, calendar)
    if prices is None:
        raise UserError(
            f"{label}: the rule needs closing prices for {dates[0]} to {dates[-1]} "
            "but the deal has no price file"
        )
    bars = [prices.bar(d) for d in dates]
    missing = [d for d, b in zip(dates, bars, strict=True) if b is None]
    if missing:
        shown = ", ".join(str(d) for d in missing[:5])
        raise UserError(
            f"{label}: window for {anchor} needs {len(dates)} sessions {dates[0]}..{dates[-1]}; "
            f"{prices.source or 'the price file'} lacks {shown}"
        )
    used = tuple(b for b in bars if b is not None)
    stat = _statistic(rule.statistic, used, label)
    formula = stat * rule.multiplier
    quantum = Decimal(1).scaleb(-rule.decimals)
    rounded = formula.quantize(quantum, rounding=rule.rounding.decimal_mode)
    price, limited = rounded, None
    if rule.fixed_price is not None and rule.fixed_price < price:
        price, limited = rule.fixed_price, "fixed_price"
    if rule.floor is not None and price < rule.floor:
        price, limited = rule.floor, "floor"
    return PriceTrace(
        describe_rule(rule),
        anchor,
        used,
        stat,
        formula,
        rounded,
        rule.fixed_price,
        rule.floor,
        price,
        limited,
    )


def _statistic(stat: Statistic, bars: tuple[PriceBar, ...], label: str) -> Decimal:
    closes = [b.close for b in bars]
    if stat is Statistic.AVERAGE_CLOSE:
        return (sum(closes, Decimal(0)) / len(closes)).quantize(_WORKING_PLACES)
    if stat is Statistic.LOWEST_CLOSE:
        return min(closes)
    vwaps = [b.vwap for b in bars]
    if stat in (Statistic.AVERAGE_DAILY_VWAP, Statistic.LOWEST_DAILY_VWAP):
        if any(v is None for v in vwaps):
            day = next(b.date for b in bars if b.vwap is None)
            raise UserError(
                f"{label}: the rule needs a daily vwap; the price file has none on {day}"
            )
        if stat is Statistic.LOWEST_DAILY_VWAP:
            return min(v for v in vwaps if v is not None)
        return (sum((v for v in vwaps if v is not None), Decimal(0)) / len(vwaps)).quantize(
            _WORKING_PLACES
        )
    # VWAP over the window: Σ(price·volume)/Σvolume, with each day's vwap (or its close).
    if any(b.volume is None for b in bars):
        day = next(b.date for b in bars if b.volume is None)
        raise UserError(f"{label}: a window VWAP needs volume; the price file has none on {day}")
    volume = sum(b.volume or 0 for b in bars)
    if volume == 0:
        raise UserError(f"{label}: no volume traded in the window, so VWAP is undefined")
    notional = sum(((b.vwap or b.close) * (b.volume or 0) for b in bars), Decimal(0))
    return (notional / volume).quantize(_WORKING_PLACES)
