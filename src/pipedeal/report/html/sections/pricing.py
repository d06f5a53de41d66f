"""The price-setting window section: how each closing's conversion and exercise prices were set.

Per purchaser it shows the conversion-price trace the terms engine returns (rule, anchor date,
window statistic, multiplier, rounding, floor, fixed price) with the window's trading sessions,
and a chart of the issuer's daily closes ``WINDOW_DAYS_BEFORE`` to ``WINDOW_DAYS_AFTER`` days
around the closing, the window shaded and the resulting prices drawn as lines. The closes come
from the deal's price file (``market.closes``) passed in by the caller.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from pipedeal.market.closes import PriceSeries
from pipedeal.report.html.sections.formatting import (
    dec,
    num,
    parse_date,
    price,
    shares,
)
from pipedeal.report.html.sections.model import (
    Block,
    Section,
    Table,
    figure,
)
from pipedeal.report.html.svg import Band, Chart, Point, Rule, Series, day_number

# How many calendar days of closes the price-window chart shows around each closing.
WINDOW_DAYS_BEFORE = 35
WINDOW_DAYS_AFTER = 21


# ---- price-setting window --------------------------------------------------------------------
def pricing_section(data: dict[str, Any], prices: PriceSeries | None) -> Section:
    sec = Section("pricing", "Price-setting window per closing")
    closes_file = data["deal"].get("closes_file")
    illustrative = " (illustrative prices)" if data["deal"].get("closes_are_illustrative") else ""
    for i, p in enumerate(data["purchasers"]):
        tr = p["conversion_trace"]
        block = Block(f"{p['name']} — closing {p['closing_date']}")
        block.facts = _trace_facts(p, tr)
        sessions = tr.get("sessions") or []
        if sessions:
            block.tables.append(Table(
                ["session", "close", "volume", "vwap"],
                [[s["date"], price(s.get("close")), shares(s.get("volume")), price(s.get("vwap"))]
                 for s in sessions],
                caption=f"Window sessions used by the rule: {tr.get('rule')}",
            ))
        if prices is None or not prices.bars:
            why = ("the deal folder has no price file (market.closes)" if not closes_file
                   else f"the closes of {closes_file} were not given to the renderer"
                   if prices is None else f"the price file {closes_file} has no closes")
            block.notes.append(f"Price chart not available: {why}.")
        else:
            chart = _window_chart(f"price-window-{i + 1}", p, tr, prices)
            if chart is None:
                block.notes.append(
                    f"Price chart not available: {closes_file} has no closes within "
                    f"{WINDOW_DAYS_BEFORE} days before to {WINDOW_DAYS_AFTER} days after "
                    f"{p['closing_date']}."
                )
            else:
                block.figures.append(figure(chart, (
                    f"Daily closes of the issuer's stock from {closes_file}{illustrative}, "
                    f"{WINDOW_DAYS_BEFORE} days before to {WINDOW_DAYS_AFTER} days after "
                    f"{p['name']}'s closing on {p['closing_date']}. Shaded: the "
                    f"{len(sessions)} sessions of the price window ({tr.get('rule')}); dashed "
                    f"lines: the window statistic ({price(_q(tr.get('statistic')))}) and the "
                    f"resulting conversion price {price(tr.get('price'))} and exercise price "
                    f"{price(p.get('exercise_price'))}; vertical line: the closing date."
                )))
        sec.blocks.append(block)
    if not data["purchasers"]:
        sec.missing = "the deal has no purchasers"
    return sec


def _q(value: Any, places: int = 4) -> str | None:
    d = dec(value)
    return None if d is None else format(d.quantize(Decimal(1).scaleb(-places)), "f")


def _trace_facts(p: Mapping[str, Any], tr: Mapping[str, Any]) -> list[tuple[str, str]]:
    facts = [("Rule", tr.get("rule") or "—"), ("Anchor", tr.get("anchor") or "—")]
    if tr.get("statistic") is not None:
        facts.append(("Window statistic", _q(tr["statistic"], 6) or "—"))
    if tr.get("formula_price") is not None:
        facts.append(("× multiplier", _q(tr["formula_price"], 6) or "—"))
    if tr.get("rounded_price") is not None:
        facts.append(("Rounded", price(tr["rounded_price"])))
    if tr.get("fixed_price") is not None:
        facts.append(("Fixed price", price(tr["fixed_price"])))
    if tr.get("floor") is not None:
        facts.append(("Floor", price(tr["floor"])))
    limited = f" (limited by {tr['limited_by']})" if tr.get("limited_by") else ""
    facts.append(("Conversion price", price(tr.get("price")) + limited))
    facts.append(("Exercise price", price(p.get("exercise_price"))))
    return facts


def _window_chart(chart_id: str, p: Mapping[str, Any], tr: Mapping[str, Any],
                  prices: PriceSeries) -> Chart | None:
    anchor = parse_date(tr.get("anchor")) or parse_date(p["closing_date"])
    if anchor is None:  # no date to centre the window on: no chart
        return None
    start = anchor - dt.timedelta(days=WINDOW_DAYS_BEFORE)
    end = anchor + dt.timedelta(days=WINDOW_DAYS_AFTER)
    dates = [parse_date(d) for d in p.get("price_window") or []]
    dates += [parse_date(s["date"]) for s in tr.get("sessions") or []]
    window = {d for d in dates if d is not None}
    bars = [b for b in prices.bars if start <= b.date <= end or b.date in window]
    if not bars:
        return None
    chart = Chart(chart_id, f"Closes around {p['name']}'s closing", "trading session",
                  "close ($)", y_format=lambda v: f"${v:,.2f}")
    chart.add(Series(
        "close",
        [Point(day_number(b.date), float(b.close),
               f"{b.date.isoformat()}: close {price(b.close)}"
               + (f", volume {b.volume:,}" if b.volume is not None else "")
               + (" — in the price window" if b.date in window else ""))
         for b in bars],
        highlight=[b.date in window for b in bars],
    ))
    if window:
        lo, hi = min(window), max(window)
        chart.bands.append(Band(day_number(lo), day_number(hi), "price window",
                                f"price window: {len(window)} sessions {lo} to {hi}"))
    chart.rules.append(Rule(day_number(anchor), f"closing {anchor}", axis="x",
                            tip=f"closing / issue date {anchor}"))
    stat = num(tr.get("statistic"))
    if stat is not None:
        chart.rules.append(Rule(stat, f"window statistic {price(_q(tr['statistic']))}",
                                tip=f"window statistic: {_q(tr['statistic'], 6)}"))
    conv = num(tr.get("price"))
    if conv is not None:
        chart.rules.append(Rule(conv, f"conversion price {price(tr['price'])}",
                                tip=f"conversion price {price(tr['price'])}"))
    ex = num(p.get("exercise_price"))
    if ex is not None and ex != conv:
        chart.rules.append(Rule(ex, f"exercise price {price(p['exercise_price'])}",
                                tip=f"exercise price {price(p['exercise_price'])}"))
    return chart
