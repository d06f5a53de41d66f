"""HTML sections for the parts of the book other packages add: ledger, valuation, cap table,
accounting. Each reads its key of the book dict as documented in ``docs/<package>.md`` and falls
back to plain tables for keys it does not know, so a new field never breaks the report.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from pipedeal.report.html.sections import (
    Block,
    Section,
    Table,
    cell,
    dec,
    figure,
    generic_block,
    humanize,
    missing_reason,
    money,
    num,
    parse_date,
    pct,
    price,
    records_table,
    shares,
)
from pipedeal.report.html.svg import Band, Chart, Point, Rule, Series, day_number


def _missing(sec: Section, data: dict[str, Any], key: str) -> Section:
    sec.missing = missing_reason(data, key)
    return sec


# ---- ledger ---------------------------------------------------------------------------------
def _events(ledger: Any) -> list[Mapping[str, Any]]:
    """Event records wherever the ledger JSON keeps them (``events`` list of dated kinds)."""
    if isinstance(ledger, Mapping):
        for key in ("events", "log", "applied_events"):
            v = ledger.get(key)
            if isinstance(v, list) and all(isinstance(e, Mapping) for e in v):
                return [e.get("event", e) if isinstance(e.get("event"), Mapping) else e
                        for e in v]
    return []


def _windows(ledger: Any) -> list[tuple[str, Mapping[str, Any]]]:
    """Election windows anywhere in the ledger JSON: dicts with ``notice_date`` and ``closes``."""
    found: list[tuple[str, Mapping[str, Any]]] = []
    seen: set[tuple] = set()

    def visit(value: Any, owner: str) -> None:
        if isinstance(value, Mapping):
            purchaser = value.get("purchaser")
            name = purchaser if isinstance(purchaser, str) else owner
            if "notice_date" in value and "closes" in value:
                key = (name, value.get("notice_date"), value.get("closes"))
                if key not in seen:
                    seen.add(key)
                    found.append((name, value))
            for k, v in value.items():
                visit(v, name or k)
        elif isinstance(value, list):
            for v in value:
                visit(v, owner)

    visit(ledger, "")
    return found


def _lane(e: Mapping[str, Any]) -> str:
    inst = e.get("instrument")
    if isinstance(inst, str):
        return inst
    if e.get("purchaser"):
        return str(e["purchaser"])
    return "deal"


def _event_text(e: Mapping[str, Any]) -> str:
    payload = e.get("payload")
    if not isinstance(payload, Mapping):
        payload = {}
    details = ", ".join(f"{humanize(k)} {cell(v)}" for k, v in payload.items())
    return f"{e.get('date')}: {_lane(e)} {humanize(str(e.get('kind', 'event')))}" + (
        f" ({details})" if details else "")


def ledger_section(data: dict[str, Any], history: list[Mapping[str, Any]] | None = None,
                   history_note: str = "") -> Section:
    """``history``: the recorded events (``pipedeal ledger history`` records), when the book's
    ledger section carries only the state."""
    sec = Section("ledger", "Ledger timeline")
    ledger = data.get("ledger")
    if ledger is None:
        return _missing(sec, data, "ledger")
    source = history if history is not None else ledger
    events = [e for e in _events({"events": source} if isinstance(source, list) else source)
              if parse_date(e.get("date"))]
    if history is None and not events and history_note:
        sec.blocks.append(Block(notes=[f"Event list not available: {history_note}"]))
    windows = _windows(ledger)
    block = Block()
    as_of = ledger.get("as_of") if isinstance(ledger, Mapping) else None
    if as_of:
        block.facts.append(("As of", cell(as_of)))
    if events or windows:
        lanes = list(dict.fromkeys([_lane(e) for e in events]
                                   + [f"note:{n}" if n else "deal" for n, _ in windows]))
        lanes.sort(key=lambda s: (s != "deal", s.split(":")[-1], s))
        index = {name: i for i, name in enumerate(lanes)}
        chart = Chart("ledger-timeline", "Ledger events by instrument", "event date",
                      "instrument", y_format=lambda v: _lane_label(lanes, v),
                      height=max(220, 70 + 34 * len(lanes)), left=150,
                      y_ticks=[float(i) for i in range(len(lanes))])
        kinds = list(dict.fromkeys(str(e.get("kind")) for e in events))
        for k in kinds:
            pts = [Point(day_number(day), float(index[_lane(e)]), _event_text(e))
                   for e in events
                   if str(e.get("kind")) == k and (day := parse_date(e["date"])) is not None]
            chart.add(Series(humanize(k), pts, kind="points"))
        open_windows = 0
        for name, w in windows:
            a, b = parse_date(w.get("notice_date")), parse_date(w.get("closes"))
            if a is None or b is None:
                continue
            status = str(w.get("status") or "")
            open_windows += status == "open"
            chart.bands.append(Band(
                day_number(a), day_number(b), f"election {status}".strip(),
                f"{name or 'deal'}: holder's election window {a} to {b}"
                + (f" ({status})" if status else "")
                + (f", principal {money(w.get('principal'))}" if w.get("principal") else ""),
                kind="election-open" if status == "open" else "election"))
        if chart.has_data():
            block.figures.append(figure(chart, (
                f"Every recorded ledger event ({len(events)}) on a date axis, one row per "
                f"instrument, one marker shape per event kind; shaded: the holders' election "
                f"windows after a prepayment notice ({len(windows)}, {open_windows} open"
                + (f" as of {as_of}" if as_of else "") + "). From the deal folder's ledger."
            )))
        else:
            block.notes.append("Ledger timeline not available: the ledger has no dated events.")
        block.tables.append(Table(
            ["date", "instrument", "kind", "details"],
            [[cell(e.get("date")), _lane(e), humanize(str(e.get("kind"))),
              _event_text(e).split(" (", 1)[1].rstrip(")") if " (" in _event_text(e) else ""]
             for e in sorted(events, key=lambda e: str(e.get("date")))],
            caption="Recorded events",
        ))
    else:
        block.notes.append("Ledger timeline not available: the ledger has no recorded events.")
    sec.blocks.append(block)
    if isinstance(ledger, Mapping):
        sec.blocks.extend(_ledger_state_blocks(ledger))
    return sec


_NOTE_COLS = (
    ("purchaser", "note", str), ("status", "status", str),
    ("outstanding_principal", "outstanding principal", money),
    ("accrued_interest", "accrued interest", money), ("interest_paid", "interest paid", money),
    ("interest_paid_through", "paid through", cell),
    ("principal_converted", "principal converted", money),
    ("interest_converted", "interest converted", money), ("shares_issued", "shares issued", shares),
    ("principal_prepaid", "principal prepaid", money),
    ("principal_repaid", "principal repaid", money),
    ("conversion_price", "conversion price", price),
)
_WARRANT_COLS = (
    ("purchaser", "warrant", str), ("shares_outstanding", "shares outstanding", shares),
    ("shares_exercised", "shares exercised", shares), ("shares_expired", "shares expired", shares),
    ("exercise_price", "exercise price", price), ("cash_received", "cash received", money),
    ("expires_at", "expires", cell), ("expired", "expired", cell),
)


def _ledger_state_blocks(ledger: Mapping[str, Any]) -> list[Block]:
    known = {"schema_version", "as_of", "events", "log", "notes", "warrants", "registrations",
             "totals", "verify", "location", "events_recorded", "events_applied",
             "split_factor", "split_factor_decimal"}
    block = Block(f"State as of {ledger.get('as_of')}" if ledger.get("as_of") else "State")
    v = ledger.get("verify")
    if isinstance(v, Mapping):
        block.facts.append(("Hash chain", "intact" if v.get("ok") else
                            f"VERIFY FAILED at event {v.get('first_bad_seq')}: "
                            f"{v.get('problem')}"))
    for key, label in (("location", "Ledger"), ("events_recorded", "Events recorded"),
                       ("events_applied", "Events applied"),
                       ("split_factor", "Split factor")):
        if ledger.get(key) is not None:
            block.facts.append((label, cell(ledger[key])))
    tot = ledger.get("totals")
    if isinstance(tot, Mapping):
        for k, val in tot.items():
            fmt = shares if isinstance(val, int) else money
            block.facts.append((humanize(k), fmt(val)))
    for key, cols, caption in (("notes", _NOTE_COLS, "Notes"),
                               ("warrants", _WARRANT_COLS, "Warrants")):
        rows = [r for r in ledger.get(key) or [] if isinstance(r, Mapping)]
        if rows:
            block.tables.append(Table([c[1] for c in cols],
                                      [[c[2](r.get(c[0])) if r.get(c[0]) is not None else "—"
                                        for c in cols] for r in rows], caption=caption))
    regs = [r for r in ledger.get("registrations") or [] if isinstance(r, Mapping)]
    if regs:
        block.tables.append(records_table(regs, "Registration statements"))
    rest = {k: val for k, val in ledger.items() if k not in known}
    blocks = [block]
    if rest:
        blocks.append(generic_block("More ledger data", rest))
    return blocks


def _lane_label(lanes: list[str], v: float) -> str:
    i = int(round(v))
    return lanes[i] if abs(v - i) < 1e-6 and 0 <= i < len(lanes) else ""


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
        return _missing(sec, data, "valuation")
    if not isinstance(val, Mapping):
        sec.blocks.append(generic_block("Valuation", val))
        return sec
    inputs = val.get("inputs") or {}
    head = Block(facts=[("Valuation date", cell(val.get("as_of"))),
                        ("Model", f"{cell(val.get('model'))} ({cell(val.get('tree'))} tree, "
                                  f"{cell(val.get('steps'))} steps)")])
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


# ---- cap table and dilution -----------------------------------------------------------------
def captable_section(data: dict[str, Any], grid: list[Mapping[str, Any]] | None,
                     grid_note: str = "") -> Section:
    sec = Section("dilution", "Cap table and dilution")
    cap = data.get("captable")
    if cap is None:
        return _missing(sec, data, "captable")
    so = cap.get("shares_outstanding") or {}
    pot = cap.get("potential") or {}
    facts = [
        ("As of", cell(cap.get("as_of"))),
        ("Positions from", cell(cap.get("positions_source"))),
        ("Shares outstanding", f"{shares(so.get('as_of'))} (count of {so.get('count_date')}: "
                               f"{so.get('count_source')})"),
        ("Potential shares: notes (principal)", shares(pot.get("note_shares_principal"))),
        ("Potential shares: notes (interest)", shares(pot.get("note_shares_interest"))),
        ("Potential shares: warrants", shares(pot.get("warrant_shares"))),
        ("Potential shares: total", shares(pot.get("total"))),
        ("Fully diluted shares", shares(cap.get("fully_diluted"))),
    ]
    if cap.get("authorized_shares") is not None:
        facts.append(("Authorized shares / headroom",
                      f"{shares(cap.get('authorized_shares'))} / "
                      f"{shares(cap.get('authorized_headroom'))}"))
    if cap.get("ownership_cap_pct") is not None:
        facts.append(("Ownership cap", pct(cap.get("ownership_cap_pct"))))
    block = Block(facts=facts)
    holders = cap.get("holders") or []
    if holders:
        block.tables.append(Table(
            ["holder", "shares held", "note principal", "accrued interest", "conversion price",
             "note shares (principal)", "note shares (interest)", "warrant shares",
             "exercise price", "fully diluted shares", "basic %", "fully diluted %",
             "beneficial %"],
            [[h.get("name") or "—", shares(h.get("shares_held")), money(h.get("note_principal")),
              money(h.get("accrued_interest")), price(h.get("conversion_price")),
              shares(h.get("note_shares_principal")), shares(h.get("note_shares_interest")),
              shares(h.get("warrant_shares")), price(h.get("exercise_price")),
              shares(h.get("fully_diluted_shares")), pct(h.get("basic_pct")),
              pct(h.get("fully_diluted_pct")), pct(h.get("beneficial_pct"))]
             for h in holders],
            caption=f"Holders as of {cap.get('as_of')}",
        ))
    sec.blocks.append(block)
    tw = cap.get("twenty_percent_rule")
    if isinstance(tw, Mapping):
        sec.blocks.append(generic_block("20% rule (shareholder approval)", tw))
    eps = cap.get("diluted_eps")
    if isinstance(eps, Mapping):
        sec.blocks.append(generic_block("Diluted EPS", eps))
    rows = grid if grid is not None else cap.get("dilution")
    dil = Block("Dilution against the stock price")
    if rows:
        _dilution_charts(dil, rows, data, grid_note)
    else:
        dil.notes.append("Dilution chart not available: "
                         + (grid_note or "the cap table has no price grid."))
    sec.blocks.append(dil)
    return sec


def _dilution_charts(block: Block, rows: list[Mapping[str, Any]], data: dict[str, Any],
                     grid_note: str) -> None:
    as_of = sorted({str(r.get("as_of")) for r in rows})
    latest = as_of[-1]
    rows = sorted((r for r in rows if str(r.get("as_of")) == latest),
                  key=lambda r: num(r.get("price")) or 0)
    conv = sorted({p.get("conversion_price") for p in data["purchasers"]
                   if p.get("conversion_price")}, key=lambda v: Decimal(v))
    sh = Chart("dilution-shares", "Potential new shares against the stock price",
               "stock price ($)", "shares", x_kind="number", x_format=lambda v: f"${v:,.2f}",
               y_format=lambda v: f"{v:,.0f}", y_from_zero=True)
    spec = (("note_shares", "note shares (if-converted)"),
            ("warrant_shares_treasury", "warrant shares (treasury-stock)"))
    for key, label in spec:
        sh.add(Series(label, [Point(x, float(r.get(key) or 0),
                                    f"at {price(r['price'])}: {label} {shares(r.get(key))}")
                              for r in rows if (x := num(r.get("price"))) is not None]))
    sh.add(Series("total potential", [
        Point(x, float((r.get("note_shares") or 0) + (r.get("warrant_shares_treasury") or 0)),
              f"at {price(r['price'])}: total potential "
              f"{shares((r.get('note_shares') or 0) + (r.get('warrant_shares_treasury') or 0))}")
        for r in rows if (x := num(r.get("price"))) is not None]))
    own = Chart("dilution-ownership", "Deal holders' ownership against the stock price",
                "stock price ($)", "ownership of diluted shares (%)", x_kind="number",
                x_format=lambda v: f"${v:,.2f}", y_format=lambda v: f"{v:.1f}%",
                y_from_zero=True)
    own.add(Series("all deal holders", [
        Point(x, num(r.get("deal_holders_pct")) or 0.0,
              f"at {price(r['price'])}: deal holders {pct(r.get('deal_holders_pct'))}")
        for r in rows if (x := num(r.get("price"))) is not None]))
    names = list(dict.fromkeys(k for r in rows for k in (r.get("holders_pct") or {})))
    for n in names:
        own.add(Series(n, [Point(x, num((r.get("holders_pct") or {}).get(n)) or 0.0,
                                 f"at {price(r['price'])}: {n} "
                                 f"{pct((r.get('holders_pct') or {}).get(n))}")
                           for r in rows if (x := num(r.get("price"))) is not None]))
    for c in conv:
        for ch in (sh, own):
            ch.rules.append(Rule(float(c), f"${c}", axis="x", tip=f"conversion price ${c}"))
    lo, hi = price(rows[0]["price"]), price(rows[-1]["price"])
    basis = (f"positions as of {latest}; notes on the if-converted basis (principal and accrued "
             f"interest), warrants by the treasury-stock method; stock prices {lo} to {hi}"
             + (f" ({grid_note})" if grid_note else "") + "; vertical lines: conversion prices")
    block.figures.append(figure(sh, f"New shares the deal could issue at each stock price: "
                                    f"{basis}."))
    block.figures.append(figure(own, f"Share of the diluted common stock held by the deal's "
                                     f"holders (together and each) at each stock price: "
                                     f"{basis}."))
    block.tables.append(Table(
        ["stock price", "note shares", "notes in the money", "warrant shares (treasury)",
         "diluted shares", "deal holders %"],
        [[price(r.get("price")), shares(r.get("note_shares")), cell(r.get("notes_in_the_money")),
          shares(r.get("warrant_shares_treasury")), shares(r.get("diluted_shares")),
          pct(r.get("deal_holders_pct"))] for r in rows],
        caption="Dilution grid",
    ))


# ---- accounting -----------------------------------------------------------------------------
_ALLOC = (
    ("principal", "principal", money), ("proceeds", "proceeds", money),
    ("note_fair_value", "note fair value", money),
    ("warrant_fair_value", "warrant fair value", money),
    ("allocated_to_note", "allocated to note", money),
    ("allocated_to_warrants", "allocated to warrants", money),
    ("conversion_price", "conversion price", price),
    ("effective_conversion_price", "effective conversion price", price),
    ("commitment_price", "commitment-date price", price),
    ("intrinsic_value", "intrinsic value", money), ("bcf", "beneficial conversion feature",
                                                    money),
    ("carrying_amount", "carrying amount at issue", money), ("discount", "discount", money),
)


def accounting_section(data: dict[str, Any]) -> Section:
    sec = Section("accounting", "Accounting")
    acc = data.get("accounting")
    if acc is None:
        return _missing(sec, data, "accounting")
    notes = [n for n in acc.get("notes") or [] if isinstance(n, Mapping)]
    intro = Block(facts=[("Regime", cell(acc.get("regime"))),
                         ("Source", cell(acc.get("source") or "terms"))]
                  + ([("As of", cell(acc["as_of"]))] if acc.get("as_of") else []))
    inputs = [[str(n.get("purchaser")), humanize(key),
               (price if key == "commitment_price" else money)(v.get("value")),
               cell(v.get("source"))]
              for n in notes for key, v in (n.get("inputs") or {}).items()
              if isinstance(v, Mapping)]
    if inputs:
        intro.tables.append(Table(["note", "input", "value", "source"], inputs,
                                  caption="Inputs to the allocation"))
    sec.blocks.append(intro)
    if not notes:
        intro.notes.append("Accounting not available: no notes in the accounting data.")
        return sec
    alloc_rows = []
    for key, label, fmt in _ALLOC:
        vals = [(n.get("allocation") or {}).get(key) for n in notes]
        if any(v is not None for v in vals):
            alloc_rows.append([label] + [fmt(v) for v in vals])
    alloc = Block("Allocation of proceeds", tables=[Table(
        ["item"] + [str(n.get("purchaser")) for n in notes], alloc_rows,
        caption=f"Relative fair value allocation and conversion feature "
                f"({cell(acc.get('regime'))})")])
    sec.blocks.append(alloc)
    amort = Block("Discount amortization")
    carry = Chart("accounting-carrying", "Carrying amount of each note", "date",
                  "carrying amount ($)", y_format=lambda v: f"${v:,.0f}")
    amt = Chart("accounting-amortization", "Discount amortized per period", "period end",
                "amortization ($)", y_format=lambda v: f"${v:,.0f}", y_from_zero=True,
                bar_width_days=8)
    rates = []
    base: dict[str, float] = {}
    for n in notes:
        sch = n.get("amortization") or {}
        rows = [r for r in sch.get("rows") or [] if parse_date(r.get("date"))]
        name = str(n.get("purchaser"))
        if sch.get("effective_rate"):
            rates.append(f"{name} {float(Decimal(sch['effective_rate'])) * 100:.4f}%")
        pts = []
        issue = parse_date(n.get("issue_date"))
        if issue and rows and (opening := num(rows[0].get("opening"))) is not None:
            pts.append(Point(day_number(issue), opening,
                             f"{issue}: {name} carrying amount {money(rows[0]['opening'])}"))
        pts += [Point(day_number(day), closing,
                      f"{r['date']}: {name} carrying amount {money(r.get('closing'))}")
                for r in rows
                if (closing := num(r.get("closing"))) is not None
                and (day := parse_date(r["date"])) is not None]
        carry.add(Series(name, pts, kind="line"))
        bars = []
        for r in rows:
            a = num(r.get("amortization"))
            day = parse_date(r["date"])
            if a and day is not None:
                b = base.get(r["date"], 0.0)
                bars.append(Point(day_number(day), b + a,
                                  f"{r['date']}: {name} amortization {money(r['amortization'])}"
                                  f", interest expense {money(r.get('interest_expense'))}",
                                  y0=b))
                base[r["date"]] = b + a
        amt.add(Series(name, bars, kind="bars"))
        if rows:
            amort.tables.append(Table(
                ["period", "start", "date", "days", "opening", "interest expense",
                 "cash interest", "amortization", "closing"],
                [[cell(r.get("period")), cell(r.get("start")), cell(r.get("date")),
                  cell(r.get("days")), money(r.get("opening")), money(r.get("interest_expense")),
                  money(r.get("cash_interest")), money(r.get("amortization")),
                  money(r.get("closing"))] for r in sch.get("rows") or []],
                caption=f"{name}: effective-interest schedule ({sch.get('basis')} basis)",
                foot=[["Total", "", "", "", "", money(sch.get("total_interest_expense")), "",
                       money(sch.get("total_amortization")), ""]],
            ))
    rates_text = "; ".join(rates) if rates else "the effective rates in the tables"
    if carry.has_data():
        amort.figures.append(figure(carry, (
            f"Carrying amount of each note from issue (proceeds allocated to the note, less any "
            f"beneficial conversion feature) to face at maturity, by the effective-interest "
            f"method on the notes' real payment dates; effective annual rates: {rates_text}.")))
    if amt.has_data():
        amort.figures.append(figure(amt, (
            "Discount amortized into interest expense in each period, stacked by note (interest "
            "expense minus cash interest); from the same schedules.")))
    if not amort.figures:
        amort.notes.append("Amortization chart not available: the notes carry no discount "
                           "schedule.")
    sec.blocks.append(amort)
    journal = Block("Journal entries")
    lines = []
    for n in notes:
        for e in n.get("entries") or []:
            for ln in e.get("lines") or []:
                d, c = dec(ln.get("debit")), dec(ln.get("credit"))
                lines.append([cell(e.get("date")), cell(e.get("purchaser") or n.get("purchaser")),
                              humanize(str(e.get("kind") or "")), cell(e.get("memo")),
                              cell(ln.get("account")), money(d) if d else "",
                              money(c) if c else ""])
    lines.sort(key=lambda r: r[0])
    jr = acc.get("journal") or {}
    if lines:
        journal.tables.append(Table(
            ["date", "note", "kind", "memo", "account", "debit", "credit"], lines,
            caption="Journal (one row per line)",
            foot=[["Total", "", "", "balanced" if jr.get("balanced") else "NOT BALANCED", "",
                   money(jr.get("debits")), money(jr.get("credits"))]],
        ))
    else:
        journal.notes.append("Journal not available: no entries.")
    bal = jr.get("closing_balances") or {}
    if bal:
        journal.tables.append(Table(["account", "closing balance (debit +)"],
                                    [[k, money(v)] for k, v in bal.items()],
                                    caption="Closing balances"))
    sec.blocks.append(journal)
    rolls: list[tuple[str, Mapping[str, Any]]] = [
        (f"{n.get('purchaser')}: liability roll-forward", roll)
        for n in notes if isinstance(roll := n.get("roll_forward"), Mapping)]
    if isinstance(acc.get("equity_roll_forward"), Mapping):
        rolls.append(("Equity roll-forward", acc["equity_roll_forward"]))
    for title, roll in rolls:
        blk = Block(title)
        for k, v in roll.items():
            blk.facts.append((humanize(k), cell(v) if isinstance(v, (bool, int)) or v is None
                              or "shares" in k else money(v)))
        sec.blocks.append(blk)
    known = {"schema_version", "regime", "source", "as_of", "notes", "journal",
             "equity_roll_forward"}
    rest = {k: v for k, v in acc.items() if k not in known}
    if rest:
        sec.blocks.append(generic_block("More accounting data", rest))
    return sec


# ---- filing check ---------------------------------------------------------------------------
def filing_check_block(fc: Mapping[str, Any]) -> Block:
    lines = [ln for ln in fc.get("lines") or [] if isinstance(ln, Mapping)]
    block = Block("Filing check: terms read from the filing against the deal file")
    block.facts = [(humanize(k), cell(fc.get(k))) for k in ("source", "form_type",
                                                            "report_date", "items", "all_match")
                   if k in fc]
    if lines:
        block.tables.append(Table(
            ["term", "filing", "deal", "result", "sentence"],
            [[humanize(str(ln.get("term"))), cell(ln.get("filing")), cell(ln.get("deal")),
              "match" if ln.get("matches") else ("—" if ln.get("matches") is None
                                                 else "MISMATCH"),
              cell(ln.get("sentence"))] for ln in lines],
            caption="Extracted terms",
            row_classes=["row-ok" if ln.get("matches") else "row-bad"
                         if ln.get("matches") is False else "" for ln in lines],
        ))
    rest = {k: v for k, v in fc.items()
            if k not in ("lines", "source", "form_type", "report_date", "items", "all_match")}
    if rest:
        extra = generic_block("", rest)
        block.facts += extra.facts
        block.tables += extra.tables
    return block
