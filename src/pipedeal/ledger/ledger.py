"""The ``Ledger`` object: one deal's event log in one database, appended to and read.

Each append is one transaction that takes the deal's row lock (``BEGIN IMMEDIATE`` on SQLite,
``SELECT ... FOR UPDATE`` on PostgreSQL), checks the rules against the log so far, inserts the
event with the next sequence number and moves the chain head. Transient conflicts (a locked
database, a serialisation failure, the head moved) are retried; the idempotency key makes a
retried append apply once. Reading keeps the log and the running ``Book`` cached in memory and
catches up with events others appended; ``state`` is a pure replay (``rules``).

Opening and creating a ledger is ``opening``'s; the hash encoding and ``verify``'s walk are
``chain``'s; engines and migrations are ``db``'s.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError, OperationalError

from pipedeal.errors import UserError
from pipedeal.ledger.chain import (
    RecordedEvent,
    VerifyReport,
    chain_hash,
    default_user,
    event_row,
    now,
    recorded,
    verify_rows,
)
from pipedeal.ledger.contract import Contract
from pipedeal.ledger.db import connect_error, is_transient, shown_url
from pipedeal.ledger.events import Event
from pipedeal.ledger.rules import Book, LedgerState, RuleViolation, apply, replay, snapshot
from pipedeal.ledger.schema import deals, events

if TYPE_CHECKING:
    from pipedeal.ledger.due import DueItem

MAX_ATTEMPTS = 200


class _Head(NamedTuple):
    """The deal row's chain head and the terms its events were recorded under."""

    head_seq: int
    head_hash: str
    terms_hash: str | None


class _Conflict(Exception):
    """The chain head moved under us; retry."""


def terms_changed_message(location: str) -> str:
    return (
        f"ledger {location}: deal.toml's contract terms (note, warrant, registration terms, "
        "purchasers or prices) differ from those its events were recorded under; restore "
        "deal.toml, or, if the contract was amended, run pipedeal ledger init DEAL_DIR "
        "--accept-terms to record the amendment"
    )


class Ledger:
    """One deal's event log in one database, with the running state cached in memory."""

    def __init__(self, contract: Contract, engine: Engine, url: str, deal_key: str, deal_id: int):
        self.contract = contract
        self.engine = engine
        self.url = url
        self.deal_key = deal_key
        self.deal_id = deal_id
        self._seq = 0
        self._book = Book.empty(contract)
        self._records: list[RecordedEvent] = []

    # context manager sugar
    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.engine.dispose()

    @property
    def location(self) -> str:
        return shown_url(self.url)

    @contextmanager
    def _tx(self, write: bool) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            if write:
                conn = conn.execution_options(pipedeal_write=True)
            with conn.begin():
                yield conn

    def _sync(self, conn: Connection, head_seq: int) -> None:
        """Bring the cached log and book up to ``head_seq`` (events appended by anyone)."""
        if head_seq < self._seq:  # the log shrank: never by us; start over
            self._seq, self._book, self._records = 0, Book.empty(self.contract), []
        if head_seq == self._seq:
            return
        rows = conn.execute(
            sa.select(events)
            .where(events.c.deal_id == self.deal_id, events.c.seq > self._seq)
            .order_by(events.c.seq)
        )
        book, records, seq = self._book, list(self._records), self._seq
        for row in rows:
            if row.seq != seq + 1:
                raise UserError(
                    f"ledger {self.location}: event {seq + 1} is missing; "
                    "run pipedeal ledger verify"
                )
            rec = recorded(row)
            try:
                book = apply(self.contract, book, rec.event)
            except RuleViolation as exc:
                raise UserError(
                    f"ledger {self.location}: stored event {row.seq} no longer passes the rules "
                    f"({exc.message}); did deal.toml change since it was recorded?"
                ) from None
            records.append(rec)
            seq = row.seq
        self._book, self._records, self._seq = book, records, seq

    def _head(self, conn: Connection, lock: bool) -> _Head:
        q = sa.select(deals.c.head_seq, deals.c.head_hash, deals.c.terms_hash).where(
            deals.c.id == self.deal_id
        )
        if lock:
            q = q.with_for_update()
        return _Head(*conn.execute(q).one())

    def _check_terms(self, stored: str | None) -> None:
        if stored is not None and stored != self.contract.fingerprint():
            raise UserError(terms_changed_message(self.location))

    def refresh(self) -> None:
        with self._tx(write=False) as conn:
            self._sync(conn, self._head(conn, lock=False).head_seq)

    # --- writing -------------------------------------------------------------------------------

    def record(
        self, event: Event, *, key: str | None = None, by: str | None = None
    ) -> RecordedEvent:
        """Append ``event`` durably, or raise ``RuleViolation`` (nothing written).

        ``key`` (default: a digest of the event) makes retries safe: an event whose key is
        already stored is not appended again; the stored record comes back with
        ``already_recorded=True``. Reusing a key for a different event is an error.
        """
        key = key or event.content_key()
        by = by or default_user()
        body = event.canonical()
        delay = 0.002
        for attempt in range(MAX_ATTEMPTS):
            try:
                return self._append_once(event, key, by, body)
            except (OperationalError, IntegrityError, _Conflict) as exc:
                transient = isinstance(exc, _Conflict) or is_transient(exc)
                if attempt == MAX_ATTEMPTS - 1 or not transient:
                    if isinstance(exc, OperationalError):
                        raise connect_error(self.url, exc) from exc
                    raise
                time.sleep(delay * (0.5 + random.random()))
                delay = min(delay * 2, 0.25)
        raise AssertionError("unreachable")

    def _append_once(
        self, event: Event, key: str, by: str, body: str, *, adopt_terms: bool = False
    ) -> RecordedEvent:
        with self._tx(write=True) as conn:
            head = self._head(conn, lock=True)
            if not adopt_terms:
                self._check_terms(head.terms_hash)
            existing = conn.execute(
                sa.select(events).where(
                    events.c.deal_id == self.deal_id, events.c.idempotency_key == key
                )
            ).first()
            if existing is not None:
                if existing.body != body:
                    raise UserError(
                        f"idempotency key {key!r} is already used by event {existing.seq} for a "
                        f"different event"
                    )
                return recorded(existing, already=True)
            self._sync(conn, head.head_seq)
            book = apply(self.contract, self._book, event)  # RuleViolation: rolled back
            seq = head.head_seq + 1
            at = now()
            digest = chain_hash(head.head_hash, seq, key, by, at, body)
            rec = RecordedEvent(seq, event, key, by, at, head.head_hash, digest)
            conn.execute(events.insert().values(**event_row(self.deal_id, rec, body)))
            moved = conn.execute(
                deals.update()
                .where(deals.c.id == self.deal_id, deals.c.head_seq == head.head_seq)
                .values(head_seq=seq, head_hash=digest)
            )
            if adopt_terms:  # the amendment memo and the new terms commit together
                conn.execute(
                    deals.update()
                    .where(deals.c.id == self.deal_id)
                    .values(terms_hash=self.contract.fingerprint())
                )
            if moved.rowcount != 1:
                raise _Conflict()
        # committed
        self._book, self._seq = book, seq
        self._records.append(rec)
        return rec

    def record_many(
        self, items: Iterable[Event | tuple[Event, str | None]], *, by: str | None = None
    ) -> int:
        """Append many events in ONE transaction (bulk import; not one-per-event durability).

        ``items`` yields events or ``(event, key)`` pairs. All or nothing: a rule violation
        anywhere rolls the whole batch back. Returns the number of events appended.
        """
        by = by or default_user()
        with self._tx(write=True) as conn:
            head = self._head(conn, lock=True)
            self._sync(conn, head.head_seq)
            book, seq, prev = self._book, head.head_seq, head.head_hash
            stored_keys = {r.idempotency_key for r in self._records}
            rows: list[dict[str, Any]] = []
            recs: list[RecordedEvent] = []
            for item in items:
                event, given = item if isinstance(item, tuple) else (item, None)
                key = given or event.content_key()
                if key in stored_keys:
                    raise UserError(f"idempotency key {key!r} is already used (bulk import)")
                stored_keys.add(key)
                book = apply(self.contract, book, event)
                seq += 1
                at, body = now(), event.canonical()
                digest = chain_hash(prev, seq, key, by, at, body)
                rec = RecordedEvent(seq, event, key, by, at, prev, digest)
                rows.append(event_row(self.deal_id, rec, body))
                recs.append(rec)
                prev = digest
            for i in range(0, len(rows), 5000):
                conn.execute(events.insert(), rows[i : i + 5000])
            moved = conn.execute(
                deals.update()
                .where(deals.c.id == self.deal_id, deals.c.head_seq == head.head_seq)
                .values(head_seq=seq, head_hash=prev)
            )
            if moved.rowcount != 1:
                raise _Conflict()
        self._book, self._seq = book, seq
        self._records.extend(recs)
        return len(recs)

    def amend_terms(self, previous: str, *, by: str | None = None) -> RecordedEvent:
        """Adopt the contract's current terms: a memo naming both fingerprints, in the same
        transaction as the deal row's update (replay then runs under the new terms)."""
        from pipedeal.ledger import events as ev

        new = self.contract.fingerprint()
        day = max((r.event.date for r in self.events()), default=dt.date.today())
        memo = ev.memo(
            day,
            f"contract terms amended in deal.toml: terms {previous[:12]} "
            f"replaced by {new[:12]} (ledger init --accept-terms)",
        )
        return self._append_once(
            memo,
            f"terms:{previous[:16]}:{new[:16]}",
            by or default_user(),
            memo.canonical(),
            adopt_terms=True,
        )

    # --- reading -------------------------------------------------------------------------------

    def events(self, as_of: dt.date | None = None) -> tuple[RecordedEvent, ...]:
        """Recorded events in sequence order (those dated on or before ``as_of`` if given)."""
        self.refresh()
        if as_of is None:
            return tuple(self._records)
        return tuple(r for r in self._records if r.event.date <= as_of)

    def state(self, as_of: dt.date) -> LedgerState:
        """State at the end of ``as_of``: a fresh, pure replay of the log."""
        self.refresh()
        if not self._records or max(r.event.date for r in self._records) <= as_of:
            # every event applies: the book folded while reading the log is that replay
            applied = tuple(r.event for r in self._records)
            return snapshot(self.contract, self._book, as_of, applied)
        return replay(self.contract, (r.event for r in self._records), as_of)

    def tip(self) -> Book:
        """The running book after every recorded event (what the next event is checked against)."""
        self.refresh()
        return self._book

    def due(self, as_of: dt.date, days: int = 30) -> tuple[DueItem, ...]:
        from pipedeal.ledger.due import due_items

        return due_items(self.contract, self.state(as_of), days)

    def verify(self) -> VerifyReport:
        """Walk the whole chain from the database; report the first altered or missing event."""
        with self._tx(write=False) as conn:
            head = self._head(conn, lock=False)
            rows = conn.execute(
                sa.select(events).where(events.c.deal_id == self.deal_id).order_by(events.c.seq)
            )
            report = verify_rows(self.contract, self.deal_key, head.head_seq, head.head_hash, rows)
        if report.ok and head.terms_hash not in (None, self.contract.fingerprint()):
            return VerifyReport(
                False,
                report.events,
                report.head_seq,
                report.head_hash,
                None,
                "the chain is intact, but deal.toml's contract terms differ from those the "
                "events were recorded under (restore deal.toml, or record the amendment with "
                "pipedeal ledger init --accept-terms)",
            )
        return report
