"""The valuation section of the HTML book: values, Greeks, and value against the stock price.

Reads the book's ``valuation`` key (``pipedeal.valuation.deal.value_deal``): the model and its
market inputs, one row per purchaser (note value, per 100, warrant value) and the Greeks. The
value curves across share prices are computed elsewhere (``pipedeal.report.html.valuation``) and
passed in; this module draws them, one chart per note (each model, conversion value, bond floor)
and one for the warrants.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pipedeal.report.html.sections.formatting import (
    cell,
    humanize,
    money,
    num,
    shares,
)
from pipedeal.report.html.sections.model import (
    Block,
    Section,
    Table,
    figure,
    generic_block,
    mark_missing,
)
from pipedeal.report.html.svg import Chart, Point, Rule, Series

# ---- valuation ------------------------------------------------------------------------------
_GREEKS = ("delta", "gamma", "vega", "theta", "rho", "credit_spread_sensitivity")


def _f(v: Any, places: int = 2) -> str:
    x = num(v)
    return "—" if x is None else f"{x:,.{places}f}"


def _usd(v: float | None) -> str:
    if v is None:
        return "—"
    return f"${v:,.0f}" if abs(v) >= 100 else f"${v:,.2f}"


def valuation_section(data: dict[str, Any], curves: Mapping[str, Any] | None = None,
                      curves_note: str = "") -> Section:
    sec = Section("valuation", "Value against the stock price, and Greeks")
    val = data.get("valuation")
    if val is None:
        return mark_missing(sec, data, "valuation")
    if not isinstance(val, Mapping):
        sec.blocks.append(generic_block("Valuation", val))
        return sec
    inputs = val.get("inputs") or {}
    head = Block(facts=[("Valuation date", cell(val.get("as_of"))),
                        ("Model", _engine_text(val))])
    for k, v in inputs.items():
        if v in (None, [], ""):
            continue
        head.facts.append((humanize(k), cell(v)))
    if inputs.get("illustrative"):
        head.paragraphs.append("The valuation inputs are ILLUSTRATIVE, not market data"
                               + (f" ({inputs.get('source')})." if inputs.get("source") else "."))
    rows = [p for p in val.get("purchasers") or [] if isinstance(p, Mapping)]
    head.tables.append(Table(
        ["purchaser", "status", "principal", "note value", "per 100", "accrued interest",
         "warrant shares", "value per warrant", "warrants value"],
        [[cell(p.get("name")), cell(p.get("status")), money(p.get("principal")),
          _usd(num((p.get("note") or {}).get("value"))),
          _f((p.get("note") or {}).get("value_per_100"), 4),
          _f((p.get("note") or {}).get("accrued_interest")),
          shares((p.get("warrant") or {}).get("shares")),
          _f((p.get("warrant") or {}).get("value_per_warrant"), 4),
          _f((p.get("warrant") or {}).get("value"))] for p in rows],
        caption=f"Values on {val.get('as_of')} at a share price of "
                f"${num(inputs.get('spot')) or 0:,.2f} (model output, float64)",
        foot=[["Total", "", money((val.get("totals") or {}).get("principal")),
               _f((val.get("totals") or {}).get("note_value")), "", "", "", "",
               _f((val.get("totals") or {}).get("warrant_value"))]],
    ))
    sec.blocks.append(head)
    units = val.get("greeks_units") or {}
    greeks = Block("Greeks")
    g_rows = []
    for p in rows:
        for kind, key in (("note", "greeks"), ("warrant (per warrant)", "greeks_per_warrant")):
            holder = p.get("note" if kind == "note" else "warrant") or {}
            g = holder.get(key)
            if isinstance(g, Mapping):
                g_rows.append([f"{p.get('name')} {kind}"]
                              + [_f(g.get(k), 4) if g.get(k) is not None else "—"
                                 for k in _GREEKS])
    if g_rows:
        greeks.tables.append(Table(["instrument"] + [humanize(k) for k in _GREEKS], g_rows,
                                   caption="Greeks by bump and reprice (notes) and closed form "
                                           "(warrants)"))
        greeks.facts = [(humanize(k), cell(v)) for k, v in units.items()]
    else:
        greeks.notes.append("Greeks not available: no instrument is outstanding on the "
                            "valuation date.")
    for p in rows:
        check = (p.get("note") or {}).get("greeks_check")
        if isinstance(check, Mapping) and check.get("unstable"):
            spread = check.get("relative_spread") or {}
            moved = ", ".join(f"{k} {_f((spread.get(k) or 0) * 100, 1)}%"
                              for k in check["unstable"])
            greeks.notes.append(f"UNSTABLE Greeks for {p.get('name')}: {moved} between the "
                                "steps used and twice as many (more than 1%).")
    charts = Block("Value against the stock price")
    if curves:
        _valuation_charts(charts, val, curves)
    else:
        charts.notes.append("Value charts not available: "
                            + (curves_note or "no values across share prices."))
    sec.blocks += [charts, greeks]
    return sec


def _valuation_charts(block: Block, val: Mapping[str, Any], curves: Mapping[str, Any]) -> None:
    spots = curves["spots"]
    inputs = val.get("inputs") or {}
    spot = curves.get("spot")
    basis = (f"valued on {val.get('as_of')} with {inputs.get('source') or 'market.toml'} "
             f"(volatility {inputs.get('volatility')}, rate {inputs.get('rate')}, credit spread "
             f"{inputs.get('credit_spread')}, recovery {inputs.get('recovery')}"
             + (", ILLUSTRATIVE inputs" if inputs.get("illustrative") else "")
             + f"); share prices ${spots[0]:,.2f} to ${spots[-1]:,.2f}, "
             f"{curves['steps']}-step lattices averaged over n and n + 1 steps")
    for i, n in enumerate(curves["notes"]):
        name = n["name"]
        ch = Chart(f"valuation-note-{i + 1}", f"{name}: note value against the stock price",
                   "share price ($)", "value ($)", x_kind="number",
                   x_format=lambda v: f"${v:,.2f}", y_format=_short_usd, y_from_zero=True)
        for m, values in n["models"].items():
            ch.add(Series(f"{m} model", [
                Point(s, v, f"{name}, {m} model, at ${s:,.2f}: {_usd(v)}")
                for s, v in zip(spots, values, strict=True)]))
        ch.add(Series("conversion value", [
            Point(s, v, f"{name} conversion value at ${s:,.2f}: {_usd(v)} "
                        f"({n['conversion_shares']:,.0f} shares)")
            for s, v in zip(spots, n["conversion_value"], strict=True)]))
        ch.add(Series("bond floor", [
            Point(s, v, f"{name} bond floor: {_usd(v)}")
            for s, v in zip(spots, n["bond_floor"], strict=True)]))
        ch.rules.append(Rule(n["conversion_price"], f"conversion ${n['conversion_price']:,.2f}",
                             axis="x", tip=f"conversion price ${n['conversion_price']:,.2f}"))
        if spot is not None:
            ch.rules.append(Rule(float(spot), f"spot ${float(spot):,.2f}", axis="x",
                                 tip=f"share price in market.toml: ${float(spot):,.2f}"))
        block.figures.append(figure(ch, (
            f"Value of {name}'s {money(n['principal'], 0)} note against the share price under "
            f"each model ({', '.join(n['models'])}), with its conversion value (conversion "
            f"shares × share price) and bond floor (remaining coupons and principal discounted "
            f"at the risk-free rate plus the credit spread, no conversion or call); {basis}.")))
    if curves.get("warrants"):
        ch = Chart("valuation-warrants", "Warrant value per share against the stock price",
                   "share price ($)", "value per warrant share ($)", x_kind="number",
                   x_format=lambda v: f"${v:,.2f}", y_format=lambda v: f"${v:,.2f}",
                   y_from_zero=True)
        for w in curves["warrants"]:
            ch.add(Series(f"{w['name']} (${w['exercise_price']:,.2f})", [
                Point(s, v, f"{w['name']} warrant at ${s:,.2f}: ${v:,.4f} per share")
                for s, v in zip(spots, w["values"], strict=True)]))
        if spot is not None:
            ch.rules.append(Rule(float(spot), f"spot ${float(spot):,.2f}", axis="x",
                                 tip=f"share price in market.toml: ${float(spot):,.2f}"))
        block.figures.append(figure(ch, (
            f"Value of one warrant share against the share price for each purchaser's warrant "
            f"(exercise price in the legend), Black–Scholes with the {curves.get('dilution')} "
            f"dilution convention; {basis.split('; share prices')[0]}.")))


def _short_usd(v: float) -> str:
    a = abs(v)
    if a >= 1e6:
        return f"${v / 1e6:,.2f}M"
    if a >= 1e3:
        return f"${v / 1e3:,.0f}k"
    return f"${v:,.2f}"


def _engine_text(val: Mapping[str, Any]) -> str:
    """The model and the engine that valued it, with its resolution."""
    if val.get("engine") == "pde":
        return f"{cell(val.get('model'))} (PDE, {cell(val.get('steps'))} time steps)"
    tree, steps = cell(val.get("tree")), cell(val.get("steps"))
    return f"{cell(val.get('model'))} ({tree} tree, {steps} steps)"
