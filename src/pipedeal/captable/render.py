"""Terminal face of the cap table: rich tables drawn from ``captable_data``'s JSON-ready dict.

Used by ``pipedeal captable`` and by the deal book's text renderer; it reads only the dict.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from rich.console import Console
from rich.table import Table

from pipedeal.outfiles import safe_tree


def _n(v: int | None) -> str:
    return "—" if v is None else f"{v:,}"


def _p(v: str | None) -> str:
    return "—" if v is None else f"{Decimal(v):.4f}%"


def _price(v: str | None) -> str:
    """A price without trailing zeros beyond the cent ($0.7650000000 → $0.765)."""
    if v is None:
        return "—"
    d = Decimal(v)
    return f"${d:.2f}" if d == d.quantize(Decimal("0.01")) else f"${d.normalize():f}"


def _m(v: str | None) -> str:
    return "—" if v is None else f"${Decimal(v):,.2f}"


def render_captable(data: dict[str, Any], console: Console) -> None:
    data = safe_tree(data)  # user text printed as written (outfiles.markup)
    so = data["shares_outstanding"]
    pot = data["potential"]
    i = Table(title=f"Potential shares as of {data['as_of']} "
              f"(positions from {data['positions_source']})")
    for col in ("holder", "principal", "accrued int.", "conv. price", "note shares",
                "interest shares", "warrant shares", "ex. price"):
        i.add_column(col, justify="left" if col == "holder" else "right")
    for h in data["holders"]:
        i.add_row(h["name"], _m(h["note_principal"]), _m(h["accrued_interest"]),
                  _price(h["conversion_price"]), _n(h["note_shares_principal"]),
                  _n(h["note_shares_interest"]), _n(h["warrant_shares"]),
                  _price(h["exercise_price"]))
    i.add_row("Total", "", "", "", _n(pot["note_shares_principal"]),
              _n(pot["note_shares_interest"]), _n(pot["warrant_shares"]), "", style="bold")
    console.print(i)
    t = Table(title=f"Cap table as of {data['as_of']}")
    for col in ("holder", "shares held", "fully diluted", "basic %", "FD %", "beneficial %"):
        t.add_column(col, justify="left" if col == "holder" else "right")
    cap = data.get("ownership_cap_pct")
    for h in data["holders"]:
        flag = ""
        if h["cap_exceeded"] is not None:
            flag = " OVER CAP" if h["cap_exceeded"] else " ok"
        t.add_row(h["name"], _n(h["shares_held"]), _n(h["fully_diluted_shares"]),
                  _p(h["basic_pct"]), _p(h["fully_diluted_pct"]), _p(h["beneficial_pct"]) + flag)
    others = data["other_holders_shares"]
    t.add_row("Other holders", _n(others), _n(others), _p(_ratio(others, so["as_of"])),
              _p(_ratio(others, data["fully_diluted"])), "")
    t.add_row("Total", _n(so["as_of"]), _n(data["fully_diluted"]), "", "", "", style="bold")
    console.print(t)
    lines = [
        f"Shares outstanding {so['as_of']:,} (reported {so['reported']:,} on {so['count_date']}: "
        f"{so['count_source'] or 'no source'}); fully diluted {data['fully_diluted']:,}.",
        "Fully diluted includes: " + "; ".join(data.get("fully_diluted_includes") or ()) + ".",
    ]
    if cap is not None:
        lines.append(f"Beneficial-ownership cap {Decimal(cap):.2f}% (Rule 13d-3 basis).")
    if data["authorized_shares"] is not None:
        lines.append(f"Authorized {data['authorized_shares']:,}; headroom after full dilution "
                     f"{data['authorized_headroom']:,}.")
    else:
        lines.append("Authorized shares not given in deal.toml: no headroom check.")
    for line in lines:
        console.print(line)
    render_twenty(data["twenty_percent_rule"], console)
    if data.get("dilution"):
        render_grid(data["dilution"], console)
    if data.get("diluted_eps"):
        render_eps(data["diluted_eps"], console)


def render_eps(e: dict[str, Any], console: Console) -> None:
    e = safe_tree(e)  # user text printed as written (outfiles.markup)
    t = Table(title=f"Diluted EPS: basic ${e['basic_eps']}, diluted ${e['diluted_eps']}",
              title_justify="left")
    for col in ("instrument", "method", "add-back", "shares", "incremental EPS", "included"):
        t.add_column(col, justify="left" if col in ("instrument", "method") else "right")
    for c in e["components"]:
        t.add_row(c["instrument"], c["method"], _m(c["numerator"]), _n(int(Decimal(c["shares"]))),
                  "—" if c["incremental_eps"] is None else f"${c['incremental_eps']}",
                  "yes" if c["included"] else "no (anti-dilutive)")
    console.print(t)
    console.print(f"Net income {_m(e['net_income'])} over {Decimal(e['weighted_shares']):,} "
                  f"weighted shares; diluted numerator {_m(e['diluted_numerator'])} over "
                  f"{Decimal(e['diluted_shares']):,} shares.")


def _ratio(part: int, whole: int) -> str:
    return format(Decimal(part) * 100 / Decimal(whole) if whole else Decimal(0), "f")


def render_twenty(r: dict[str, Any], console: Console) -> None:
    r = safe_tree(r)  # user text printed as written (outfiles.markup)
    t = Table(title=f"Exchange 20% rule — {r['verdict'].upper()}", title_justify="left")
    for col in ("purchaser", "signing", "deal price", "market date", "last close", "5-day avg",
                "market", "below market"):
        t.add_column(col)
    for p in r["prices"]:
        below = "—" if p["below_market"] is None else ("YES" if p["below_market"] else "no")
        t.add_row(p["purchaser"], p["signing_date"], f"${p['deal_price']}",
                  p["market_date"] or "—", _m(p["last_close"]), _m(p["five_day_average"]),
                  _m(p["market_price"]), below)
    console.print(t)
    console.print(
        f"Pre-deal outstanding {r['pre_deal_outstanding']:,} ({r['count_date']}); issuable "
        f"{r['conversion_shares']:,} conversion + {r['warrant_shares']:,} warrant = "
        f"{r['shares_issuable']:,} shares = {Decimal(r['percent']):.4f}% (threshold "
        f"{r['threshold_pct']}%; market basis {r['market_basis']}). {r['reason']}."
    )


def render_grid(rows: list[dict[str, Any]], console: Console) -> None:
    rows = safe_tree(rows)  # user text printed as written (outfiles.markup)
    t = Table(title="Dilution: notes if-converted, warrants treasury-stock")
    names = list(rows[0]["holders_pct"]) if rows else []
    for col in ("as of", "price", "note shares", "notes ITM", "warrant shares", "diluted shares",
                "deal holders %", *names):
        t.add_column(col, justify="right")
    for g in rows:
        t.add_row(g["as_of"], f"${Decimal(g['price']):.2f}", _n(g["note_shares"]),
                  str(g["notes_in_the_money"]), _n(g["warrant_shares_treasury"]),
                  _n(g["diluted_shares"]),
                  _p(g["deal_holders_pct"]), *[_p(g["holders_pct"].get(n)) for n in names])
    console.print(t)
