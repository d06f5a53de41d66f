"""JSON-ready views of ledger state, history and due items, and their terminal rendering.

Shared by ``pipedeal ledger`` and the deal book (``ledger_section``). Keys are documented in
``docs/ledger.md``; money and prices are decimal strings, shares integers, dates ISO.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from rich.console import Console
from rich.table import Table

from pipedeal.ledger.corrections import voided_by
from pipedeal.ledger.due import DueItem
from pipedeal.ledger.rules import LedgerState
from pipedeal.ledger.store import RecordedEvent, VerifyReport
from pipedeal.outfiles import safe_tree

SCHEMA_VERSION = 1


def _d(v: Decimal | None) -> str | None:
    return None if v is None else format(v, "f")


def state_json(state: LedgerState) -> dict[str, Any]:
    """``pipedeal ledger state --format json``: ``LedgerState.to_json()``."""
    return state.to_json()


def history_json(
    records: tuple[RecordedEvent, ...], voided: dict[int, int] | None = None
) -> dict[str, Any]:
    """The records, each voided one marked with the correction that voided it (``voided``:
    ``corrections.voided_by`` over the whole log, so a filtered history still shows it)."""
    voided = voided if voided is not None else voided_by(records)
    events = []
    for r in records:
        row = r.to_json()
        if r.seq in voided:
            row["voided_by"] = voided[r.seq]
        events.append(row)
    return {"schema_version": SCHEMA_VERSION, "events": events}


def due_json(as_of: dt.date, days: int, items: tuple[DueItem, ...]) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "as_of": as_of.isoformat(),
        "days": days,
        "items": [i.to_json() for i in items],
    }


def verify_json(report: VerifyReport) -> dict[str, Any]:
    return {"schema_version": SCHEMA_VERSION, **report.to_json()}


# --- text --------------------------------------------------------------------------------------


def _money(v: str | None) -> str:
    return "—" if v is None else f"${Decimal(v):,.2f}"


def _price(v: str | None) -> str:
    return "—" if v is None else f"${v}"


def render_state(data: dict[str, Any], console: Console) -> None:
    data = safe_tree(data)  # user text printed as written (outfiles.markup)
    title = f"Ledger state as of {data['as_of']}"
    if data["split_factor"] != "1":
        title += f" (split factor {data['split_factor']})"
    t = Table(title=f"{title} — notes")
    for col in (
        "purchaser",
        "status",
        "outstanding",
        "accrued int.",
        "int. paid",
        "converted",
        "shares issued",
        "conv. price",
        "cash paid",
        "election window",
    ):
        t.add_column(col, justify="left" if col in ("purchaser", "status") else "right")
    for n in data["notes"]:
        w = n["election_window"]
        t.add_row(
            n["purchaser"],
            n["status"],
            _money(n["outstanding_principal"]),
            _money(n["accrued_interest"]),
            _money(n["interest_paid"]),
            _money(str(Decimal(n["principal_converted"]) + Decimal(n["interest_converted"]))),
            f"{n['shares_issued']:,}",
            _price(n["conversion_price"]),
            _money(n["cash_paid"]),
            "—" if w is None else f"{w['status']} (closes {w['closes']})",
        )
    console.print(t)
    if data["warrants"]:
        t = Table(title="Warrants")
        for col in ("purchaser", "outstanding", "exercised", "expired", "price", "cash", "expires"):
            t.add_column(col, justify="left" if col in ("purchaser", "expires") else "right")
        for w in data["warrants"]:
            t.add_row(
                w["purchaser"],
                f"{w['shares_outstanding']:,}",
                f"{w['shares_exercised']:,}",
                f"{w['shares_expired']:,}",
                _price(w["exercise_price"]),
                _money(w["cash_received"]),
                w["expires_at"],
            )
        console.print(t)
    for r in data["registrations"]:
        console.print(
            f"Registration {r['form']} {r['file_number'] or ''}: filed {r['filed']}, "
            f"effective {r['effective'] or '—'}"
        )
    tot = data["totals"]
    console.print(
        f"Totals: outstanding {_money(tot['outstanding_principal'])}, accrued interest "
        f"{_money(tot['accrued_interest'])}, interest paid {_money(tot['interest_paid'])}, "
        f"shares issued on conversion {tot['shares_issued_on_conversion']:,}, warrant shares "
        f"outstanding {tot['warrant_shares_outstanding']:,}, cash received "
        f"{_money(tot['cash_received'])}, cash paid {_money(tot['cash_paid'])}"
    )


def describe_payload(event: dict[str, Any]) -> str:
    parts = []
    for k, v in event.get("payload", {}).items():
        if v is None:
            continue
        parts.append(f"{k}={v}")
    if event.get("at"):
        parts.append(f"at={event['at']}")
    return ", ".join(parts)


def render_history(data: dict[str, Any], console: Console) -> None:
    data = safe_tree(data)  # user text printed as written (outfiles.markup)
    t = Table(title="Ledger history")
    for col in ("seq", "date", "instrument", "kind", "details", "recorded by", "recorded at"):
        t.add_column(col, justify="right" if col == "seq" else "left")
    for r in data["events"]:
        e = r["event"]
        t.add_row(
            str(r["seq"]),
            e["date"],
            e["instrument"],
            e["kind"] + (f" (voided by {r['voided_by']})" if r.get("voided_by") else ""),
            describe_payload(e),
            r["recorded_by"],
            r["recorded_at"],
        )
    console.print(t)


def render_due(data: dict[str, Any], console: Console) -> None:
    data = safe_tree(data)  # user text printed as written (outfiles.markup)
    t = Table(title=f"Due from {data['as_of']} for {data['days']} days (and overdue)")
    for col in ("date", "status", "kind", "instrument", "amount", "shares", "detail"):
        t.add_column(col, justify="right" if col in ("amount", "shares") else "left")
    for i in data["items"]:
        t.add_row(
            i["date"],
            i["status"],
            i["kind"],
            i["instrument"],
            _money(i["amount"]),
            "—" if i["shares"] is None else f"{i['shares']:,}",
            i["detail"],
        )
    console.print(t)
    if not data["items"]:
        console.print("Nothing due.")


# --- the deal book -----------------------------------------------------------------------------


def render_ledger_section(data: dict[str, Any], console: Console) -> None:
    data = safe_tree(data)  # user text printed as written (outfiles.markup)
    render_state(data, console)
    v = data["verify"]
    verdict = "chain intact" if v["ok"] else f"VERIFY FAILED: {v['problem']}"
    console.print(f"Ledger {data['location']}: {data['events_recorded']} events, {verdict}")
