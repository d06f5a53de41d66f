"""The rules: pure functions that fold events into state and reject what the contract forbids.

``apply(contract, book, event)`` returns a new ``Book`` (the running state of every instrument)
or raises ``RuleViolation`` citing the term; ``replay(contract, events, as_of)`` folds the events
dated on or before ``as_of`` and takes a snapshot (``LedgerState``) at the end of that day.
``apply`` dispatches through the event registry (``registry.RULES``): each kind's handler is
declared with its payload type and instrument in ``note_rules``, ``prepayment_rules``,
``warrant_rules`` or ``deal_rules``; the running state is in ``state``, accrual and prices in
``accrual``, snapshots in ``snapshot``. This module re-exports the names other modules import.

Conventions (documented in ``docs/ledger.md``):

- Events on one instrument are in date order; a stock split or stock dividend concerns every
  instrument, so it may not be dated before any instrument's latest event, and no instrument
  event may be dated before it.
- Interest is simple on the outstanding principal by the note's day count; a principal change on
  day D counts from D (``accrual_start = issue_date``) or D + 1 (``day_after_issue``). Cents are
  settled cumulatively: what is payable through a day is round(exact interest accrued through that
  day) − interest already paid or converted.
- Prices and warrant shares adjust proportionally on splits and stock dividends: the conversion
  and exercise prices divide by the cumulative factor (kept exact as a fraction), warrant shares
  multiply by it (rounded per ``warrant.share_rounding``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

# the rule modules register their handlers on import
from pipedeal.ledger import (
    corrections,
    deal_rules,
    delivery_rules,
    note_rules,
    prepayment_rules,
    warrant_rules,
)
from pipedeal.ledger.accrual import (
    accrued_exact,
    conversion_price,
    conversion_result,
    exercise_price,
    payable_interest,
)
from pipedeal.ledger.contract import Contract
from pipedeal.ledger.events import Event, EventKind
from pipedeal.ledger.registry import RULES, Rule, RuleViolation, check_registry, register
from pipedeal.ledger.snapshot import (
    DealTotals,
    LedgerState,
    NoteState,
    WarrantState,
    snapshot,
)
from pipedeal.ledger.state import (
    ONE_DAY,
    PRICE_PLACES,
    ZERO,
    Book,
    ElectionWindow,
    RegistrationState,
    _cents,
    _dec,
    _money,
    _Note,
    _Warrant,
    replace,
)

check_registry()

# kind -> handler, flattened from the registry for the hot path
_RULES: dict[EventKind, Callable[[Contract, Book, Event, Any], Book]] = {
    kind: rule.handler for kind, rule in RULES.items()
}


_ISSUING = frozenset(delivery_rules.ISSUING)


def apply(contract: Contract, book: Book, event: Event) -> Book:
    """The book after ``event``; raises ``RuleViolation`` if the contract does not allow it.
    Shares a conversion or exercise issues are owed for delivery (``delivery_rules``)."""
    after = _RULES[event.kind](contract, book, event, event.payload)
    if event.kind in _ISSUING:
        return delivery_rules.owe_delivery(book, after, event)
    return after


def fold(contract: Contract, events: Iterable[Event], book: Book | None = None) -> Book:
    book = book if book is not None else Book.empty(contract)
    for event in events:
        book = apply(contract, book, event)
    return book


def replay(contract: Contract, events: Iterable[Event], as_of: dt.date) -> LedgerState:
    """State at the end of ``as_of``: the events dated on or before it, in recorded order."""
    applied = tuple(e for e in events if e.date <= as_of)
    return snapshot(contract, fold(contract, applied), as_of, applied)


__all__ = [
    "ONE_DAY",
    "PRICE_PLACES",
    "RULES",
    "ZERO",
    "Book",
    "DealTotals",
    "ElectionWindow",
    "LedgerState",
    "NoteState",
    "RegistrationState",
    "Rule",
    "RuleViolation",
    "WarrantState",
    "_Note",
    "_Warrant",
    "_cents",
    "_dec",
    "_money",
    "accrued_exact",
    "apply",
    "conversion_price",
    "corrections",
    "conversion_result",
    "deal_rules",
    "delivery_rules",
    "exercise_price",
    "fold",
    "note_rules",
    "payable_interest",
    "prepayment_rules",
    "register",
    "replace",
    "replay",
    "snapshot",
    "warrant_rules",
]
