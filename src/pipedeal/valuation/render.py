"""The valuation in the terminal: rich tables rendered from ``value_deal``'s JSON-ready dict."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from pipedeal.outfiles import safe_tree


def _greek(value: float | None, fmt: str, scale: float = 1.0) -> str:
    """A Greek's cell; "—" where the model could not give it (null, ``greeks_undefined``)."""
    return "—" if value is None else fmt.format(value * scale)


def render_valuation(data: dict, console: Console) -> None:
    """The valuation as rich tables (used by ``value`` and the deal book)."""
    data = safe_tree(data)  # user text printed as written (outfiles.markup)
    inp = data["inputs"]
    if data.get("engine") == "pde":
        grid = f"PDE, {data['steps']} time steps"
    else:
        grid = f"lattice {data['tree']}, {data['steps']} steps"
    title = f"Valuation as of {data['as_of']}: model {data['model']} ({grid})"

    t = Table(title=title)
    for col in (
        "purchaser",
        "note value",
        "per 100",
        "delta",
        "gamma",
        "vega",
        "theta",
        "rho",
        "CS01 (per 1bp)",
        "warrant value",
        "per warrant",
    ):
        t.add_column(col, justify="right" if col != "purchaser" else "left")
    for p in data["purchasers"]:
        w = p.get("warrant")
        wcells = (
            f"${w['value']:,.2f}" if w else p.get("warrant_status", "—"),
            f"{w['value_per_warrant']:.4f}" if w else "—",
        )
        if "note" not in p:
            t.add_row(p["name"], p.get("status", ""), *[""] * 7, *wcells)
            continue
        n, g = p["note"], p["note"]["greeks"]
        t.add_row(
            p["name"],
            f"${n['value']:,.2f}",
            f"{n['value_per_100']:.4f}",
            _greek(g["delta"], "{:,.0f}"),
            _greek(g["gamma"], "{:,.0f}"),
            _greek(g["vega"], "{:,.0f}"),
            _greek(g["theta"], "{:,.0f}"),
            _greek(g["rho"], "{:,.0f}"),
            _greek(g["credit_spread_sensitivity"], "{:,.2f}", 1e-4),
            *wcells,
        )
    tot = data["totals"]
    t.add_row(
        "total",
        f"${tot['note_value']:,.2f}",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        f"${tot['warrant_value']:,.2f}",
        "",
    )
    console.print(t)
    for p in data["purchasers"]:
        check = p.get("note", {}).get("greeks_check")
        if check is None:
            continue
        spread = check["relative_spread"]
        moved = ", ".join(
            f"{k} {spread[k]:.1%}" if spread[k] is not None else f"{k} undefined"
            for k in check["unstable"]
        )
        verdict = f"UNSTABLE: {moved}" if moved else "all within 1%"
        console.print(
            f"Greeks check, {p['name']} (twice the steps): {verdict}; largest move "
            f"{max((v for v in spread.values() if v is not None), default=0.0):.2%}"
        )
    flag = "ILLUSTRATIVE inputs" if inp["illustrative"] else "market inputs"
    console.print(
        f"{flag}: spot {inp['spot']}, vol {inp['volatility']}, rate {inp['rate']}, "
        f"credit spread {inp['credit_spread']}, recovery {inp['recovery']}, hazard "
        f"{inp['hazard']:.4g}, eta {inp['eta']}; warrants {inp['warrant_method']}, dilution "
        f"{inp['dilution']} (N = {inp['shares_outstanding']}, M = "
        f"{inp['warrant_shares_in_deal']}); source {inp['source']}"
    )
