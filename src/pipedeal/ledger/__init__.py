"""The lifecycle ledger: record, enforce and replay what happens to every note and warrant.

Owns the event kinds (``events``), the rules that fold events into state and reject what the
contract forbids (``rules``), what is due (``due``) and durable storage with a hash chain
(``store``, SQLAlchemy Core on SQLite or PostgreSQL, Alembic migrations in ``migrations/``).
Imports ``terms``, ``market``, ``pricing``, ``schedule`` and ``errors``. See ``docs/ledger.md``.
"""

from pipedeal.ledger import events
from pipedeal.ledger.contract import Contract
from pipedeal.ledger.due import DueItem, due_items
from pipedeal.ledger.events import Event, EventKind
from pipedeal.ledger.ledger import ImportResult, LedgerBroken
from pipedeal.ledger.rules import (
    Book,
    DealTotals,
    ElectionWindow,
    LedgerState,
    NoteState,
    RegistrationState,
    RuleViolation,
    WarrantState,
    apply,
    fold,
    replay,
    snapshot,
)
from pipedeal.ledger.store import (
    Ledger,
    RecordedEvent,
    VerifyReport,
    init_ledger,
    ledger_exists,
    open_ledger,
    resolve_url,
)

__all__ = [
    "Book",
    "Contract",
    "DealTotals",
    "DueItem",
    "ElectionWindow",
    "Event",
    "EventKind",
    "ImportResult",
    "Ledger",
    "LedgerBroken",
    "LedgerState",
    "NoteState",
    "RecordedEvent",
    "RegistrationState",
    "RuleViolation",
    "VerifyReport",
    "WarrantState",
    "apply",
    "due_items",
    "events",
    "fold",
    "init_ledger",
    "ledger_exists",
    "open_ledger",
    "replay",
    "resolve_url",
    "snapshot",
]
