"""JSON money is one format everywhere: a decimal string with two decimals (docs/json.md)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from tests.conftest import EXAMPLE

from pipedeal import api
from pipedeal.jsonfmt import money_json

MONEY_KEYS = {
    "principal", "cash_funded", "face", "face_principal", "note_principal",
    "outstanding_principal", "accrued_interest", "interest_paid", "principal_converted",
    "interest_converted", "cash_in_lieu", "principal_prepaid", "premium_paid",
    "principal_repaid", "cash_received", "cash_paid", "proceeds", "amount", "interest",
    "exercise_proceeds", "elected_principal", "principal_outstanding",
}  # fmt: skip
TWO_PLACES = re.compile(r"-?\d+\.\d\d")


def _money_strings(tree: Any, path: str = "") -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    if isinstance(tree, dict):
        for key, value in tree.items():
            if key == "payload":  # a recorded event, shown as recorded
                continue
            if key in MONEY_KEYS and isinstance(value, str):
                out.append((f"{path}.{key}", value))
            out += _money_strings(value, f"{path}.{key}")
    elif isinstance(tree, list):
        for i, value in enumerate(tree):
            out += _money_strings(value, f"{path}[{i}]")
    return out


def test_money_json_has_two_places_and_never_rounds():
    assert money_json(Decimal("1000000")) == "1000000.00"
    assert money_json(Decimal("0")) == "0.00"
    assert money_json(Decimal("451875.5")) == "451875.50"
    assert money_json(Decimal("0.005")) == "0.005"  # exact: more places are kept, not rounded
    assert money_json(None) is None


def test_every_money_figure_of_the_book_and_the_state_has_two_decimals():
    book = api.book(EXAMPLE).to_json()
    state = api.deal_state(EXAMPLE, dt.date(2004, 12, 31)).to_json()
    found = _money_strings(book) + _money_strings(state)
    assert len(found) > 50
    bad = [(p, v) for p, v in found if not TWO_PLACES.fullmatch(v)]
    assert bad == []
