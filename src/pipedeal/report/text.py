"""The deal book in the terminal: rich tables rendered from ``book_data``.

Every renderer here and in the section renderers passes its data through
``pipedeal.outfiles.safe_tree`` first: user text (names, notes, memos, sources) is printed as
written, never read as rich markup or sent to the terminal as control characters."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from pipedeal.outfiles import safe_tree


def money(value: str | None, places: int = 2) -> str:
    if value is None:
        return "—"
    return f"${Decimal(value):,.{places}f}"


def price(value: str | None) -> str:
    return "—" if value is None else f"${Decimal(value)}"


def render_book(data: dict[str, Any], console: Console) -> None:
    """Print every section of the book that has data."""
    data = safe_tree(data)
    if data.get("as_of"):
        console.print(Text.from_markup(
            f"Deal book as of {data['as_of']} ({data.get('as_of_rule', '')})", style="bold"
        ))
    for item in data.get("overdue") or ():
        console.print(Text.from_markup(
            f"OVERDUE since {item['date']}: {item['kind']} {item['instrument']}"
            f" — {item['detail']}",
            style="bold red",
        ))
    console.print(_summary(data))
    console.print(_pricing(data))
    for p in data["purchasers"]:
        console.print(_trace(p))
    console.print(_schedules(data))
    console.print(_check(data))
    for name, renderer in text_sections().items():
        if data.get(name) is not None:
            renderer(data[name], console)
        else:
            console.print(Text(f"No {name.replace('_', ' ')} section: {MISSING[name]}",
                               style="dim"))


#: what a missing book section lacks, and how to supply it
MISSING = {
    "captable": "no shares-outstanding count on or before the book's date (add "
    "[[issuer.shares_outstanding]] to deal.toml)",
    "accounting": "a fair value or the commitment-date price is missing (add market.toml, or run "
    "pipedeal accounting with --note-fair-value / --warrant-fair-value / --commitment-price)",
    "filing_check": "no 8-K in the deal folder (put the filing there, e.g. 8-K.txt)",
    "ledger": "the deal has no ledger (pipedeal ledger init DEAL_DIR)",
    "valuation": "no market.toml in the deal folder (valuation inputs: docs/valuation.md)",
    "registration": "the deal has no registration rights ([registration_rights] in deal.toml)",
}


def text_sections() -> dict[str, Any]:
    """Renderers for sections added by later packages (same keys as ``extra_sections``)."""
    from pipedeal.accounting.render import render_accounting
    from pipedeal.captable.render import render_captable
    from pipedeal.filings.disclose import render_filing_check
    from pipedeal.ledger.views import render_ledger_section
    from pipedeal.valuation.render import render_valuation

    renderers: dict[str, Any] = {
        "captable": render_captable,
        "accounting": lambda data, console: render_accounting(data, console, full=False),
        "filing_check": render_filing_check,
        "ledger": render_ledger_section,
        "valuation": render_valuation,
        "registration": render_registration,
    }
    return renderers


def _summary(data: dict[str, Any]) -> Panel:
    deal, issuer, totals, terms = data["deal"], data["issuer"], data["totals"], data["terms"]
    lines = [
        Text.from_markup(
            f"{issuer['name']} ({issuer.get('ticker') or 'no ticker'}, "
            f"{issuer.get('exchange') or ''})",
            style="bold",
        ),
        Text.from_markup(
            f"{issuer.get('state') or ''}; "
            f"Commission File No. {issuer.get('commission_file_number')}; "
            f"IRS No. {issuer.get('irs_employer_number')}"
        ),
        Text.from_markup(
            f"Notes: {Decimal(terms['interest_rate']) * 100:.2f}% simple ({terms['day_count']}), "
            f"{terms['maturity_months']} months; conversion at {terms['conversion_price_rule']}"
        ),
        Text.from_markup(
            f"Principal {money(totals['principal'])}; warrant shares {totals['warrant_shares']:,}; "
            f"proceeds on full exercise {money(totals['exercise_proceeds'])}; "
            f"contract interest {money(totals['interest'])}"
        ),
        Text.from_markup(
            f"Exemption: {', '.join(terms['exemption'])}; calendars: trading "
            f"{deal['trading_calendar']}, business days {deal['business_day_calendar']}"
        ),
    ]
    if deal.get("notes"):
        lines.append(Text.from_markup(f"Note: {deal['notes']}", style="italic"))
    if deal.get("closes_are_illustrative"):
        lines.append(
            Text("Closing prices in this deal folder are ILLUSTRATIVE, not real.", style="yellow")
        )
    return Panel(Group(*lines), title=deal["name"], expand=False)


def _pricing(data: dict[str, Any]) -> Table:
    t = Table(title="Purchasers: prices, shares and proceeds")
    for col in (
        "purchaser",
        "closing",
        "principal",
        "conv. price",
        "conv. shares",
        "warrant shares",
        "exercise price",
        "exercise proceeds",
    ):
        t.add_column(col, justify="left" if col in ("purchaser", "closing") else "right")
    for p in data["purchasers"]:
        t.add_row(
            p["name"],
            p["closing_date"],
            money(p["principal"]),
            price(p["conversion_price"]),
            f"{p['conversion_shares']:,}",
            f"{p['warrant_shares']:,}",
            price(p["exercise_price"]),
            money(p["exercise_proceeds"]),
        )
    tot = data["totals"]
    t.add_row(
        "Total",
        "",
        money(tot["principal"]),
        "",
        f"{tot['conversion_shares']:,}",
        f"{tot['warrant_shares']:,}",
        "",
        money(tot["exercise_proceeds"]),
        style="bold",
    )
    return t


def _trace(p: dict[str, Any]) -> Table:
    tr = p["conversion_trace"]
    t = Table(title=f"Price window — {p['name']}: {tr['rule']}", title_justify="left")
    t.add_column("session")
    t.add_column("close", justify="right")
    for s in tr["sessions"]:
        t.add_row(s["date"], price(s["close"]))
    if tr["statistic"] is not None:
        t.add_row("statistic", f"{Decimal(tr['statistic']):.6f}")
        t.add_row("× multiplier", f"{Decimal(tr['formula_price']):.6f}")
        t.add_row("rounded", price(tr["rounded_price"]))
    t.add_row("price", price(tr["price"]), style="bold")
    return t


def _schedules(data: dict[str, Any]) -> Table:
    t = Table(title="Interest and maturity schedule")
    for col in ("purchaser", "pay date", "period", "days", "interest", "principal"):
        t.add_column(col, justify="right" if col in ("days", "interest", "principal") else "left")
    for p in data["purchasers"]:
        for row in p["interest_schedule"]:
            principal = money(p["maturity_payment"]["principal"]) if row["at_maturity"] else ""
            t.add_row(
                p["name"],
                row["pay_date"],
                f"{row['period_start']} – {row['period_end']}",
                str(row["days"]),
                money(row["amount"]),
                principal,
            )
        t.add_row(
            p["name"],
            "",
            "total",
            str(sum(r["days"] for r in p["interest_schedule"])),
            money(p["total_interest"]),
            money(p["principal"]),
            style="bold",
        )
    return t


def _check(data: dict[str, Any]) -> Table:
    chk = data["disclosure_check"]
    t = Table(title=f"Disclosure check — {chk.get('source') or 'no stated figures'}")
    for col in ("figure", "stated", "computed", "result"):
        t.add_column(col)
    for line in chk["lines"]:
        verdict = (
            Text("match", style="green") if line["matches"] else Text("MISMATCH", style="bold red")
        )
        t.add_row(line["figure"], line["stated"], line["computed"], verdict)
    return t


def render_registration(data: dict[str, Any], console: Console) -> None:
    """Registrable securities per holder, and the registration statements against them
    (``data`` as ``render_book`` passes it: strings already escaped for rich markup)."""
    table = Table(title=f"Registrable securities (conversion shares rounded {data['rounding']})")
    for col in ("holder", "conversion shares", "delivered on conversion", "interest shares",
                "warrant shares", "total"):
        table.add_column(col, justify="left" if col == "holder" else "right")
    for h in data["holders"]:
        table.add_row(h["purchaser"], f"{h['conversion_shares']:,}",
                      f"{h['conversion_shares_delivered']:,}", f"{h['interest_shares']:,}",
                      f"{h['warrant_shares']:,}", f"{h['total']:,}")
    table.add_row("total", "", "", "", "", f"{data['total']:,}")
    console.print(table)
    for r in data["registrations"]:
        shares = "no share count" if r["shares"] is None else f"{r['shares']:,} shares"
        verdict = ("" if r["covers_registrable"] is None else
                   ", covers the registrable securities" if r["covers_registrable"] else
                   f", SHORT by {-r['other_shares']:,} shares")
        console.print(f"Form {r['form']} {r['file_number'] or ''} filed {r['filed']}: "
                      f"{shares}{verdict}")
