"""The accounting section of the HTML book.

Reads the book's ``accounting`` key (``docs/accounting.md``): the inputs to the allocation of
proceeds, the relative-fair-value allocation and beneficial conversion feature per note, the
effective-interest discount amortization (carrying-amount and amortization charts, one schedule
table per note), the journal with its closing balances, and the liability and equity
roll-forwards; keys it does not know become plain tables.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from pipedeal.report.html.sections.formatting import (
    cell,
    dec,
    humanize,
    money,
    num,
    parse_date,
    price,
)
from pipedeal.report.html.sections.model import (
    Block,
    Section,
    Table,
    figure,
    generic_block,
    mark_missing,
)
from pipedeal.report.html.svg import Chart, Point, Series, day_number

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
        return mark_missing(sec, data, "accounting")
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
