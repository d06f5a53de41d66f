"""The cap table and dilution section of the HTML book (section id ``dilution``).

Reads the book's ``captable`` key (``docs/captable.md``): shares outstanding and the deal's
potential shares, one row per holder, the 20% rule and diluted EPS as plain tables, and the
dilution grid (given by the caller when the book's cap table carries none) drawn as potential new
shares and the holders' ownership against the stock price, with the conversion prices marked.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from pipedeal.report.html.sections.formatting import (
    cell,
    money,
    num,
    pct,
    price,
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


# ---- cap table and dilution -----------------------------------------------------------------
def captable_section(data: dict[str, Any], grid: list[Mapping[str, Any]] | None,
                     grid_note: str = "") -> Section:
    sec = Section("dilution", "Cap table and dilution")
    cap = data.get("captable")
    if cap is None:
        return mark_missing(sec, data, "captable")
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
