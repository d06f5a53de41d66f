"""What a holder may see of the JSON every other role sees: its own purchaser's part only.

Each function takes the document the public API / ledger views produce (the CLI's JSON) and
keeps the holder's own note, warrant, events and due items, plus deal-wide facts (splits,
registrations); aggregates over every purchaser (totals, events applied) are dropped. And the
record effect: what an event changed on its instrument (the CLI's ``ledger record`` output).
"""

from __future__ import annotations

from typing import Any

from pipedeal.ledger.events import DEAL


def _mine(purchaser: str) -> set[str]:
    return {f"note:{purchaser}", f"warrant:{purchaser}", DEAL}


def state_for_holder(data: dict[str, Any], purchaser: str) -> dict[str, Any]:
    out = {k: v for k, v in data.items() if k not in ("totals", "events_applied")}
    out["notes"] = [n for n in data["notes"] if n["purchaser"] == purchaser]
    out["warrants"] = [w for w in data["warrants"] if w["purchaser"] == purchaser]
    return out


def history_for_holder(data: dict[str, Any], purchaser: str) -> dict[str, Any]:
    mine = _mine(purchaser)
    return {**data, "events": [r for r in data["events"] if r["event"]["instrument"] in mine]}


def due_for_holder(data: dict[str, Any], purchaser: str) -> dict[str, Any]:
    mine = _mine(purchaser)
    return {**data, "items": [i for i in data["items"] if i["instrument"] in mine]}


def value_for_holder(data: dict[str, Any], purchaser: str) -> dict[str, Any]:
    out = {k: v for k, v in data.items() if k != "totals"}
    out["purchasers"] = [p for p in data["purchasers"] if p["name"] == purchaser]
    return out
