"""The event registry: each event kind's payload type, instrument and rule, declared in one place.

A rule handler is registered with ``@register(kind, payload=..., applies_to=...)`` next to its
code (``note_rules``, ``prepayment_rules``, ``warrant_rules``, ``deal_rules``); ``RULES`` maps each
``EventKind`` to its ``Rule`` and ``rules.apply`` dispatches through it, handing the handler the
event's payload as its concrete type. ``events.py`` validates an ``Event`` against its own
``PAYLOADS`` and ``INSTRUMENT_TYPE`` tables (it cannot import the rules without a cycle), so
``check_registry`` asserts, when ``rules`` is imported, that every kind is registered exactly once
and that the registry and those tables agree. ``RuleViolation`` and the ordering check shared by
the note and warrant rules live here too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar

from pipedeal.errors import UserError
from pipedeal.ledger import events
from pipedeal.ledger.contract import Contract
from pipedeal.ledger.events import Event, EventKind
from pipedeal.ledger.state import Book

AppliesTo = Literal["note", "warrant", "deal", "any"]
P = TypeVar("P")
Handler = Callable[[Contract, Book, Event, P], Book]


class RuleViolation(UserError):
    """An event the contract or the ledger's ordering does not allow; ``term`` names the clause."""

    def __init__(self, term: str, message: str) -> None:
        self.term = term
        super().__init__(f"{term}: {message}")


@dataclass(frozen=True)
class Rule(Generic[P]):
    """One event kind: its payload type, the instrument it is about, and its rule handler."""

    kind: EventKind
    payload: type[P]
    applies_to: AppliesTo
    handler: Handler[P]


RULES: dict[EventKind, Rule[Any]] = {}


def register(
    kind: EventKind, *, payload: type[P], applies_to: AppliesTo
) -> Callable[[Handler[P]], Handler[P]]:
    """Declare ``kind``: its payload type, what it applies to, and (decorated) its rule."""

    def decorate(handler: Handler[P]) -> Handler[P]:
        if kind in RULES:
            raise RuntimeError(f"event kind {kind.value} is registered twice")
        RULES[kind] = Rule(kind, payload, applies_to, handler)
        return handler

    return decorate


def check_registry() -> None:
    """Every kind registered once, with the payload type and instrument ``events`` validates."""
    missing = [k.value for k in EventKind if k not in RULES]
    if missing:
        raise RuntimeError(f"event kinds without a rule: {', '.join(missing)}")
    for kind, rule in RULES.items():
        if events.PAYLOADS[kind] is not rule.payload:
            raise RuntimeError(
                f"{kind.value}: registered payload {rule.payload.__name__} but events.PAYLOADS "
                f"has {events.PAYLOADS[kind].__name__}"
            )
        if events.INSTRUMENT_TYPE[kind] != rule.applies_to:
            raise RuntimeError(
                f"{kind.value}: registered for {rule.applies_to} but events.INSTRUMENT_TYPE "
                f"has {events.INSTRUMENT_TYPE[kind]}"
            )


def _check_order(contract: Contract, book: Book, event: Event, last: dt.date | None) -> None:
    floor = max((d for d in (last, book.last_adjustment) if d is not None), default=None)
    if floor is not None and event.date < floor:
        what = (
            "a stock split or stock dividend"
            if book.last_adjustment == floor and (last is None or last < floor)
            else f"an event on {event.instrument}"
        )
        raise RuleViolation(
            "ledger.order",
            f"{event.kind.value} dated {event.date} is before {what} dated {floor}; "
            f"events on an instrument are recorded in date order",
        )
