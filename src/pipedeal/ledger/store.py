"""Durable storage of the event log (SQLAlchemy Core on SQLite or PostgreSQL): the names of
``db``, ``chain``, ``ledger`` and ``opening`` in one place, for the code that imports them from
here.

- ``db``: where the database is (``--db`` / ``$PIPEDEAL_DB`` / ``DEAL_DIR/ledger.sqlite``),
  engines, Alembic migrations and schema revision checks.
- ``chain``: the hash chain (canonical encoding of a stored event, ``RecordedEvent``) and
  ``verify``'s walk (``VerifyReport``).
- ``ledger``: the ``Ledger`` object (append with idempotency keys, read, replay, verify).
- ``opening``: ``init_ledger``, ``open_ledger``, ``ledger_exists``.
- ``stored_books``: the running book stored every so many events, so a long log opens without
  being folded whole (checked against the chain before use; ``verify`` compares each).
"""

from __future__ import annotations

from pipedeal.ledger.chain import (
    USER_ENV,
    RecordedEvent,
    VerifyReport,
    chain_hash,
    default_user,
    genesis_hash,
)
from pipedeal.ledger.db import (
    DB_ENV,
    MIGRATIONS,
    SQLITE_FILE,
    alembic_config,
    current_revision,
    head_revision,
    make_engine,
    migrate,
    resolve_url,
    sqlite_path,
)
from pipedeal.ledger.ledger import MAX_ATTEMPTS, Ledger, terms_changed_message
from pipedeal.ledger.opening import init_ledger, ledger_exists, open_ledger

_alembic_config = alembic_config  # the name the tests downgrade a ledger with

__all__ = [
    "DB_ENV",
    "MAX_ATTEMPTS",
    "MIGRATIONS",
    "SQLITE_FILE",
    "USER_ENV",
    "Ledger",
    "RecordedEvent",
    "VerifyReport",
    "alembic_config",
    "chain_hash",
    "current_revision",
    "default_user",
    "genesis_hash",
    "head_revision",
    "init_ledger",
    "ledger_exists",
    "make_engine",
    "migrate",
    "open_ledger",
    "resolve_url",
    "sqlite_path",
    "terms_changed_message",
]
