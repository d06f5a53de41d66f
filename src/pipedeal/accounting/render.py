"""Terminal face of the accounting: rich tables drawn from ``notes_json``'s JSON-ready dict.

Used by ``pipedeal accounting`` and by the deal book's text renderer; it reads only the dict.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from rich.console import Console
from rich.table import Table

from pipedeal.outfiles import safe_tree


def _m(v: str | None) -> str:
    return "—" if v is None else f"{Decimal(v):,.2f}"


def render_accounting(data: dict[str, Any], console: Console, *, full: bool = True) -> None:
    data = safe_tree(data)  # user text printed as written (outfiles.markup)
    for n in data["notes"]:
        a = n["allocation"]
        t = Table(title=f"{n['purchaser']}: allocation ({data['regime']})", title_justify="left")
        t.add_column("item")
        t.add_column("value", justify="right")
        t.add_column("source")
        inputs = n["inputs"]
        for key, label in (("note_fair_value", "note fair value"),
                           ("warrant_fair_value", "warrant fair value"),
                           ("commitment_price", "commitment-date price")):
            v = inputs[key]
            t.add_row(label, "—" if v is None else _m(v["value"]) if key != "commitment_price"
                      else f"${v['value']}", "" if v is None else v["source"])
        t.add_row("proceeds", _m(a["proceeds"]), "")
        t.add_row("allocated to note", _m(a["allocated_to_note"]), "ASC 470-20-25-2")
        t.add_row("allocated to warrants (APIC)", _m(a["allocated_to_warrants"]), "")
        if a["effective_conversion_price"] is not None:
            t.add_row("effective conversion price", f"${a['effective_conversion_price']}",
                      f"{a['conversion_shares']} shares")
            t.add_row("beneficial conversion feature", _m(a["bcf"]),
                      "EITF 98-5 / 00-27" + (" (capped)" if a["bcf_capped"] else ""))
        t.add_row("initial carrying amount", _m(a["carrying_amount"]), "")
        t.add_row("debt discount", _m(a["discount"]), "")
        am = n["amortization"]
        t.add_row("effective rate", f"{Decimal(am['effective_rate']) * 100:.6f}% a year",
                  f"{Decimal(am['monthly_equivalent_rate']) * 100:.6f}% a month")
        console.print(t)
        if full:
            s = Table(title=f"{n['purchaser']}: effective-interest amortization",
                      title_justify="left")
            for col in ("date", "days", "opening", "interest expense", "cash interest",
                        "amortization", "closing"):
                s.add_column(col, justify="right")
            for r in am["rows"]:
                s.add_row(r["date"], str(r["days"]), _m(r["opening"]), _m(r["interest_expense"]),
                          _m(r["cash_interest"]), _m(r["amortization"]), _m(r["closing"]))
            console.print(s)
        j = Table(title=f"{n['purchaser']}: journal entries", title_justify="left")
        for col in ("date", "kind", "account", "debit", "credit"):
            j.add_column(col, justify="right" if col in ("debit", "credit") else "left")
        shown = n["entries"] if full else [e for e in n["entries"] if e["kind"] != "interest"]
        for e in shown:
            for i, line in enumerate(e["lines"]):
                j.add_row(e["date"] if i == 0 else "", e["kind"] if i == 0 else "",
                          line["account"], _m(line["debit"]) if Decimal(line["debit"]) else "",
                          _m(line["credit"]) if Decimal(line["credit"]) else "")
        console.print(j)
    jr = data["journal"]
    console.print(f"Journal: debits {_m(jr['debits'])}, credits {_m(jr['credits'])} — "
                  f"{'balanced' if jr['balanced'] else 'NOT BALANCED'}.")
