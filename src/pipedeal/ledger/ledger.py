"""The ``Ledger`` object: one deal's event log in one database, appended to and read.

Each append is one transaction that takes the deal's row lock (``BEGIN IMMEDIATE`` on SQLite,
``SELECT ... FOR UPDATE`` on PostgreSQL), reads the rows from the last one this object knows
to the head (catching up with events others appended, and checking that the head is the last
row: no row missing below it, none beyond it, the same hash), checks the bounds (``bounds``)
and the rules against the running ``Book`` kept in memory (the log is never replayed on an
append), inserts the event with the next sequence number and moves the chain head. Transient
conflicts (a locked database, a serialisation failure, the head moved) are retried; the
idempotency key makes a retried append apply once. A ledger whose head does not match its rows
is refused (``LedgerBroken``, with ``verify``'s message). ``state`` is a pure replay (``rules``).

Opening and creating a ledger is ``opening``'s; the hash encoding and ``verify``'s walk are
``chain``'s; engines and migrations are ``db``'s; signed checkpoints ``anchors``'.
"""

from __future__ import annotations

import datetime as dt
import random
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, NamedTuple, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError, OperationalError

from pipedeal.errors import UserError
from pipedeal.ledger import bounds, corrections, stored_books
from pipedeal.ledger.anchors import Anchor, check_anchor, parse_head
from pipedeal.ledger.chain import (
    AMENDMENT_KEY_PREFIX,
    VERIFY_COLUMNS,
    RecordedEvent,
    VerifyReport,
    chain_hash,
    default_user,
    event_row,
    genesis_hash,
    paused_gc,
    recorded,
    terms_mismatch,
    verify_rows,
)
from pipedeal.ledger.contract import Contract
from pipedeal.ledger.db import connect_error, is_transient, shown_url
from pipedeal.ledger.events import Event, EventKind, load_stored
from pipedeal.ledger.rules import Book, LedgerState, RuleViolation, apply, replay, snapshot
from pipedeal.ledger.schema import deals, events

if TYPE_CHECKING:
    from pipedeal.ledger.due import DueItem

MAX_ATTEMPTS = 200
BATCH_ROWS = 5000  # rows per INSERT of a bulk import
COPY_ROWS = 100  # from this many rows, a bulk import on PostgreSQL (psycopg) uses COPY

# statements built once (compiled once by SQLAlchemy's cache)
_HEAD = sa.select(deals.c.head_seq, deals.c.head_hash, deals.c.terms_hash).where(
    deals.c.id == sa.bindparam("deal")
)
_HEAD_LOCKED = _HEAD.with_for_update()
# what reading the log needs (verify reads every column)
_READ = (
    sa.select(
        events.c.seq,
        events.c.body,
        events.c.idempotency_key,
        events.c.recorded_by,
        events.c.recorded_at,
        events.c.prev_hash,
        events.c.hash,
        events.c.terms_hash,
    )
    .where(events.c.deal_id == sa.bindparam("deal"), events.c.seq >= sa.bindparam("lo"))
    .order_by(events.c.seq)
)
_VERIFY = (
    sa.select(*(events.c[name] for name in VERIFY_COLUMNS))
    .where(events.c.deal_id == sa.bindparam("deal"))
    .order_by(events.c.seq)
)
_BY_KEY = sa.select(events).where(
    events.c.deal_id == sa.bindparam("deal"), events.c.idempotency_key == sa.bindparam("key")
)
_INSERT = events.insert()
_MOVE = (
    deals.update()
    .where(deals.c.id == sa.bindparam("deal"), deals.c.head_seq == sa.bindparam("old_seq"))
    .values(
        head_seq=sa.bindparam("new_seq"),
        head_hash=sa.bindparam("new_hash"),
        terms_hash=sa.bindparam("new_terms"),
    )
)


class _Head(NamedTuple):
    """The deal row's chain head and the terms fingerprint it holds."""

    head_seq: int
    head_hash: str
    terms_hash: str | None


class _RawSQL:
    """The single-append statements as the driver's own SQL (SQLite's ``?``, psycopg's ``%s``),
    for ``Ledger._append_once_raw``; None for other drivers (SQLAlchemy runs them)."""

    def __init__(self, marker: str, lock: str, dates_as_text: bool) -> None:
        p = marker
        self.columns = [c.name for c in events.columns]
        self.head = f"SELECT head_seq, head_hash, terms_hash FROM ledger_deals WHERE id = {p}{lock}"
        self.read = (
            "SELECT seq, body, idempotency_key, recorded_by, recorded_at, prev_hash, hash, "
            f"terms_hash FROM ledger_events WHERE deal_id = {p} AND seq >= {p} ORDER BY seq"
        )
        self.read_upto = (
            "SELECT seq, body, idempotency_key, recorded_by, recorded_at, prev_hash, hash, "
            f"terms_hash FROM ledger_events WHERE deal_id = {p} AND seq <= {p} ORDER BY seq"
        )
        self.verify = (
            f"SELECT {', '.join(VERIFY_COLUMNS)} FROM ledger_events WHERE deal_id = {p} "
            "ORDER BY seq"
        )
        self.insert = (
            f"INSERT INTO ledger_events ({', '.join(self.columns)}) "
            f"VALUES ({', '.join([p] * len(self.columns))})"
        )
        self.move = (
            f"UPDATE ledger_deals SET head_seq = {p}, head_hash = {p}, terms_hash = {p} "
            f"WHERE id = {p} AND head_seq = {p}"
        )
        self.dates_as_text = dates_as_text  # SQLAlchemy stores a SQLite Date as YYYY-MM-DD
        self.copy: str | None = None  # COPY ... FROM STDIN (psycopg only)
        # PostgreSQL: the insert and the head's move in one statement (four round trips an
        # append with the commit). The head and the rows cannot be read in one statement: rows
        # joined to a row locked by FOR UPDATE come from the snapshot taken before the wait, so
        # events committed by the writer that held the lock would be missing.
        self.insert_and_move: str | None = None
        self.insert_checked: str | None = None
        self.checked_moves_head = True  # insert_checked moves the head too (PostgreSQL)

    @classmethod
    def for_engine(cls, engine: Engine) -> _RawSQL | None:
        dialect = engine.dialect
        if dialect.name == "sqlite" and dialect.driver == "pysqlite":
            raw = cls("?", "", dates_as_text=True)
            # the checked insert (see PostgreSQL's below): the writer holds the database's
            # write lock from BEGIN IMMEDIATE on, so the head's move is a statement of its own
            raw.insert_checked = (
                f"INSERT INTO ledger_events ({', '.join(raw.columns)}) "
                f"SELECT {', '.join(['?'] * len(raw.columns))} "
                "WHERE EXISTS (SELECT 1 FROM ledger_deals WHERE id = ? AND head_seq = ? "
                "AND head_hash = ? AND terms_hash IS ?) "
                "AND NOT EXISTS (SELECT 1 FROM ledger_events WHERE deal_id = ? AND seq > ?) "
                "AND (? = 0 OR EXISTS (SELECT 1 FROM ledger_events "
                "WHERE deal_id = ? AND seq = ? AND hash = ?))"
            )
            raw.checked_moves_head = False
            return raw
        if dialect.name == "postgresql" and dialect.driver == "psycopg":
            raw = cls("%s", " FOR UPDATE", dates_as_text=False)
            raw.copy = f"COPY ledger_events ({', '.join(raw.columns)}) FROM STDIN"
            values = ", ".join(["%s"] * len(raw.columns))
            # each value typed for INSERT ... SELECT (text, not VARCHAR(n): a cast to VARCHAR(n)
            # would cut a long value where the column refuses it)
            typed = ", ".join(
                "CAST(%s AS TEXT)"
                if isinstance(c.type, sa.String)
                else f"CAST(%s AS {c.type.compile(dialect=engine.dialect)})"
                for c in events.columns
            )
            # when nothing was appended since this object last read (the head is the row it
            # knows): lock the deal row if it still holds that head (sequence number, hash and
            # terms), insert only if that row is still there with its hash and nothing lies
            # beyond it, and move the head, all in one statement (no read of the head or the
            # rows; the lock comes first, as in a locked append, so the two cannot deadlock)
            raw.insert_checked = (
                "WITH head AS (SELECT id FROM ledger_deals WHERE id = %s AND head_seq = %s "
                "AND head_hash = %s AND terms_hash IS NOT DISTINCT FROM CAST(%s AS TEXT) "
                "FOR UPDATE), "
                f"ins AS (INSERT INTO ledger_events ({', '.join(raw.columns)}) "
                f"SELECT {typed} FROM head "
                "WHERE NOT EXISTS (SELECT 1 FROM ledger_events WHERE deal_id = %s AND seq > %s) "
                "AND (CAST(%s AS INTEGER) = 0 OR EXISTS (SELECT 1 FROM ledger_events "
                "WHERE deal_id = %s AND seq = %s AND hash = %s)) RETURNING seq) "
                "UPDATE ledger_deals SET head_seq = %s, head_hash = %s, terms_hash = %s "
                "WHERE id = %s AND head_seq = %s AND EXISTS (SELECT 1 FROM ins)"
            )
            raw.insert_and_move = (
                f"WITH ins AS (INSERT INTO ledger_events ({', '.join(raw.columns)}) "
                f"VALUES ({values}) RETURNING seq) "
                "UPDATE ledger_deals SET head_seq = %s, head_hash = %s, terms_hash = %s "
                "WHERE id = %s AND head_seq = %s AND EXISTS (SELECT 1 FROM ins)"
            )
            return raw
        return None

    def checked_params(
        self, lock: tuple[Any, ...], values: tuple[Any, ...], tail: tuple[Any, ...], move: Any
    ) -> tuple[Any, ...]:
        """``insert_checked``'s parameters in its placeholders' order."""
        if self.checked_moves_head:
            return lock + values + tail + tuple(move)
        return values + lock + tail

    def insert_params(self, row: dict[str, Any]) -> tuple[Any, ...]:
        values = [row[c] for c in self.columns]
        if self.dates_as_text:
            values = [v.isoformat() if isinstance(v, dt.date) else v for v in values]
        return tuple(values)


class _Recheck(Exception):
    """A checked insert found the rows not as this object knew them; read them again.
    ``optimistic``: the head was not read first (someone else appended, most likely)."""

    def __init__(self, optimistic: bool) -> None:
        super().__init__()
        self.optimistic = optimistic


class _Conflict(Exception):
    """The chain head moved under us; retry."""


READ_ATTEMPTS = 3  # reads retried when an append raced between the head and the rows


class LedgerBroken(UserError):
    """The stored ledger is not what its head says (a row missing, added or altered outside the
    ledger, or the terms fingerprint changed outside it). ``problem`` is ``verify``'s message."""

    def __init__(self, location: str, problem: str) -> None:
        self.problem = problem
        super().__init__(f"ledger {location}: {problem}; run pipedeal ledger verify")


@dataclass(frozen=True)
class _Staged:
    """Events written in a transaction not yet committed, and the book after them."""

    book: Book
    recs: list[RecordedEvent]


@dataclass(frozen=True)
class ImportResult:
    """What ``Ledger.import_events`` did: events appended, and those already stored (same key,
    same event) that were skipped."""

    recorded: int
    already_recorded: int
    head_seq: int
    head_hash: str


def _gap(last: int, row_seq: int, head_seq: int) -> str:
    """What is wrong when the row after event ``last`` is ``row_seq`` (head at ``head_seq``)
    or does not link to it."""
    if row_seq > head_seq and last == head_seq:
        return f"event {head_seq + 1} was added outside the ledger (head is at {head_seq})"
    if row_seq != last + 1:
        return f"event {last + 1} is missing (the sequence goes from {last} to {row_seq})"
    if row_seq > head_seq:
        return f"event {head_seq + 1} was added outside the ledger (head is at {head_seq})"
    return f"event {last} was altered or replaced: event {row_seq} links to a different hash"


def terms_changed_message(location: str) -> str:
    return (
        f"ledger {location}: deal.toml's contract terms (note, warrant, registration terms, "
        "purchasers or prices) differ from those its events were recorded under; restore "
        "deal.toml, or, if the contract was amended, run pipedeal ledger init DEAL_DIR "
        "--accept-terms to record the amendment"
    )


class Ledger:
    """One deal's event log in one database, with the running state cached in memory."""

    def __init__(
        self,
        contract: Contract,
        engine: Engine,
        url: str,
        deal_key: str,
        deal_id: int,
        *,
        clock: bounds.Clock | None = None,
    ):
        self.contract = contract
        self.engine = engine
        self.url = url
        self.deal_key = deal_key
        self.deal_id = deal_id
        self.clock = clock
        self._seq = 0
        self._hash = genesis_hash(deal_key)
        self._terms: str | None = None  # the terms fingerprint the chain carries (last row's)
        self._terms_seq = 0
        self._book = Book.empty(contract)
        self._records: list[RecordedEvent] = []  # the events after ``_base``
        self._keys: dict[str, RecordedEvent] = {}
        # opened from a stored book after event ``_base`` (hash ``_base_hash``): the events up
        # to it are read only when something needs them (``_load_prefix``); 0: none skipped
        self._base = 0
        self._base_hash = self._hash
        self._store_due = False  # the next write stores a book (none usable was found)
        self._folded = True  # the book was folded from the log here (not read from a store)
        self._lock = threading.RLock()
        self._conn: Connection | None = None  # ``_tx``'s connection, kept between calls
        self._keep_connection = engine.dialect.name == "postgresql"
        # PostgreSQL: the next append may skip reading the head (``_append_once_raw``)
        self._optimistic = True
        self._raw = _RawSQL.for_engine(engine)
        # the driver's own errors (the raw append path is not wrapped by SQLAlchemy)
        dbapi = getattr(engine.dialect, "loaded_dbapi", None)
        operational = getattr(dbapi, "OperationalError", None)
        integrity = getattr(dbapi, "IntegrityError", None)
        self._connection_errors: tuple[type[Exception], ...] = (OperationalError,)
        self._retry_errors: tuple[type[Exception], ...] = (
            OperationalError,
            IntegrityError,
            _Conflict,
        )
        for err, connection in ((operational, True), (integrity, False)):
            if isinstance(err, type) and issubclass(err, Exception):
                self._retry_errors += (err,)
                if connection:
                    self._connection_errors += (err,)

    # context manager sugar
    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._drop_connection()
        self.engine.dispose()

    @property
    def location(self) -> str:
        return shown_url(self.url)

    def now(self) -> dt.datetime:
        """The recording clock (``clock=``, else ``bounds.utc_now``), in UTC."""
        stamp = self.clock() if self.clock is not None else bounds.utc_now()
        if stamp.tzinfo is None:
            raise ValueError("the ledger's clock must return a time-zone aware datetime")
        return stamp.astimezone(dt.UTC)

    @contextmanager
    def _tx(self, write: bool) -> Iterator[Connection]:
        """A transaction (the caller holds ``_lock``). On PostgreSQL on this object's own
        connection, kept between calls: a pool checkout per append cost a round trip for its
        liveness ping. A failure other than a user's mistake drops the connection, so the next
        attempt checks out a fresh one (pinged); a retried append is safe (its key). On SQLite
        a connection per transaction: a process that kept its connection took the write lock
        again before other processes' writers woke from their busy wait (bursts, not turns)."""
        if not self._keep_connection:
            with self.engine.connect() as fresh:
                fresh.execution_options(pipedeal_write=write)  # SQLite: BEGIN IMMEDIATE
                with fresh.begin():
                    yield fresh
            return
        conn = self._conn
        if conn is None or conn.closed or conn.invalidated:
            conn = self._conn = self.engine.connect()
        conn.execution_options(pipedeal_write=write)  # in place (SQLite: BEGIN IMMEDIATE)
        try:
            with conn.begin():
                yield conn
        except (UserError, _Recheck, _Conflict):
            raise
        except BaseException:
            self._drop_connection()
            raise

    def _drop_connection(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with suppress(Exception):  # already broken: the pool discards it
                conn.close()

    def _broken(self, problem: str) -> LedgerBroken:
        return LedgerBroken(self.location, problem)

    def _read_head(self, conn: Connection, lock: bool) -> _Head:
        row = conn.execute(_HEAD_LOCKED if lock else _HEAD, {"deal": self.deal_id}).one()
        return _Head(row.head_seq, row.head_hash, row.terms_hash)

    def _sync(self, conn: Connection, head: _Head) -> None:
        """Bring the cached log and book up to the head (events appended by anyone), checking
        that the head is the last row: the row this object read last still there and the same,
        every row up to the head present and linked, none beyond it, the head's hash the last
        row's."""
        known = self._seq
        if head.head_seq < known:
            raise self._broken(
                f"the ledger head moved back from event {known} to event {head.head_seq}: "
                "events were removed outside the ledger"
            )
        if known == 0 and head.head_seq > stored_books.EVERY:
            known = self._open_stored(conn, head)
        with paused_gc():
            self._catch_up(self._rows(conn, known), head, known, conn)

    def _rows(self, conn: Connection, known: int, upto: bool = False) -> list[Any]:
        """``_READ``'s columns from event ``known`` on (``upto``: up to it), as the driver's
        plain tuples where the raw statements are known (SQLAlchemy's rows cost a tenth of a
        replay)."""
        raw = self._raw
        if raw is None:
            q = _READ if not upto else _READ.where(events.c.seq <= sa.bindparam("hi"))
            params = {"deal": self.deal_id, "lo": max(known, 1) if not upto else 1, "hi": known}
            return list(conn.execute(q, params))
        cur = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            if upto:
                cur.execute(raw.read_upto, (self.deal_id, known))
            else:
                cur.execute(raw.read, (self.deal_id, max(known, 1)))
            return list(cur.fetchall())
        finally:
            cur.close()

    def _open_stored(self, conn: Connection, head: _Head) -> int:
        """On the first read of a long log: start from the newest stored book that passes its
        checks (``stored_books``); the events up to it stay unread until needed. Returns the
        event the cache now stands at (0: none usable; the next write stores one)."""
        found = stored_books.newest(conn, self.deal_id, self.deal_key, head.head_seq, self.contract)
        if found is None:
            self._store_due = True
            return 0
        self._book = found.book
        self._seq, self._hash = found.seq, found.hash
        self._terms, self._terms_seq = found.terms, found.terms_seq
        self._base, self._base_hash = found.seq, found.hash
        self._folded = False
        return found.seq

    def _recorded(
        self, seq: int, body: str, key: str, by: str, at: str, prev_hash: str, digest: str,
        terms: str | None,
    ) -> RecordedEvent:
        """A stored row as a ``RecordedEvent`` (built without the frozen ``__init__``'s
        setattrs: reads of 100,000 rows are hot); an unreadable body is a broken ledger."""
        try:
            event = load_stored(body)
        except ValueError as exc:  # pydantic's ValidationError is a ValueError
            first = str(exc).strip().splitlines()[0]
            raise self._broken(f"event {seq} cannot be read ({first})") from None
        rec = object.__new__(RecordedEvent)
        rec.__dict__.update(
            seq=seq,
            event=event,
            idempotency_key=key,
            recorded_by=by,
            recorded_at=at,
            prev_hash=prev_hash,
            hash=digest,
            already_recorded=False,
            terms_hash=terms,
        )
        return rec

    def _load_prefix(self, conn: Connection) -> None:
        """Read the events a stored book stood for (those up to ``_base``), checking that they
        link from the first event to the one the book follows. Their rules are not re-run here
        (``verify`` does): the book already holds what they did."""
        base = self._base
        if base == 0:
            return
        prev, expected = genesis_hash(self.deal_key), 1
        recs: list[RecordedEvent] = []
        with paused_gc():
            for row_seq, body, key, by, at, prev_hash, digest, row_terms in self._rows(
                conn, base, upto=True
            ):
                if row_seq != expected or prev_hash != prev:
                    raise self._broken(_gap(expected - 1, row_seq, base))
                recs.append(
                    self._recorded(row_seq, body, key, by, at, prev_hash, digest, row_terms)
                )
                prev, expected = digest, expected + 1
        if expected - 1 != base:
            raise self._broken(f"event {expected} is missing (a stored book follows event {base})")
        if prev != self._base_hash:
            raise self._broken(f"event {base} was altered: it does not link to the events after it")
        self._records[:0] = recs
        for rec in recs:
            self._keys.setdefault(rec.idempotency_key, rec)
        self._base = 0

    def _ensure_full(self) -> None:
        """Every event in memory (a read of the whole log: history, states at past dates)."""
        if self._base:
            with self._lock, self._tx(write=False) as conn:
                self._load_prefix(conn)

    def _catch_up(
        self, rows: Iterable[Any], head: _Head, known: int, conn: Connection | None = None
    ) -> None:
        """Fold ``rows`` (``_READ``'s columns, from event ``known`` on) into the cache (``conn``:
        to read the events before a stored book when a correction needs them)."""
        book, seq, prev = self._book, known, self._hash
        terms, terms_seq = self._terms, self._terms_seq
        contract, head_seq = self.contract, head.head_seq
        new: list[RecordedEvent] = []
        seen_known = known == 0
        for row_seq, body, key, by, at, prev_hash, digest, row_terms in rows:
            if row_seq <= known:  # the last row this object read
                if row_seq != known or digest != self._hash:
                    raise self._broken(f"event {known} was altered or replaced since it was read")
                seen_known = True
                continue
            if row_seq != seq + 1 or row_seq > head_seq or prev_hash != prev:
                raise self._broken(_gap(seq, row_seq, head_seq))
            rec = self._recorded(row_seq, body, key, by, at, prev_hash, digest, row_terms)
            event = rec.event
            try:
                if event.kind is EventKind.CORRECTION:
                    if self._base and conn is not None:
                        self._load_prefix(conn)
                    if self._base:  # pragma: no cover - every caller passes its connection
                        raise RuntimeError("a correction needs the whole log")
                    log = [*self._records, *new]
                    corrections.check_correction(log, event)
                    book = corrections.refold(contract, [*log, rec])
                else:
                    book = apply(contract, book, event)
            except RuleViolation as exc:
                raise UserError(
                    f"ledger {self.location}: stored event {row_seq} no longer passes the rules "
                    f"({exc.message}); did deal.toml change since it was recorded?"
                ) from None
            new.append(rec)
            seq, prev = row_seq, digest
            if row_terms is not None and row_terms != terms:
                terms, terms_seq = row_terms, row_seq
        if not seen_known:
            raise self._broken(f"event {known} is missing (the ledger head is at {head_seq})")
        if seq != head_seq:
            raise self._broken(f"event {seq + 1} is missing (the ledger head is at {head_seq})")
        if prev != head.head_hash:
            raise self._broken(f"event {seq} was altered: the ledger head holds a different hash")
        if new:
            self._commit(book, new, terms, terms_seq)

    def _commit(
        self,
        book: Book,
        new: list[RecordedEvent],
        terms: str | None,
        terms_seq: int,
        stored: bool = False,
    ) -> None:
        """Advance the cached log (after the rows are known to be stored; ``stored``: with a
        stored book after the last of them)."""
        if stored:
            self._store_due = False
        self._book = book
        self._records.extend(new)
        for rec in new:
            self._keys[rec.idempotency_key] = rec
        self._seq, self._hash = new[-1].seq, new[-1].hash
        self._terms, self._terms_seq = terms, terms_seq

    def _terms_in_force(self, head: _Head) -> str | None:
        """The fingerprint the log was recorded under: the chain's (which the deal row must
        repeat), else (a log written before revision 0003) the deal row's."""
        if self._terms is not None:
            if head.terms_hash != self._terms:
                raise self._broken(terms_mismatch(head.terms_hash, self._terms, self._terms_seq))
            return self._terms
        return head.terms_hash

    def _check_terms(self, head: _Head) -> None:
        stored = self._terms_in_force(head)
        if stored is not None and stored != self.contract.fingerprint():
            raise UserError(terms_changed_message(self.location))

    def _locked(self, conn: Connection) -> _Head:
        """Lock the deal row, catch up with the log and check its head (inside a write)."""
        head = self._read_head(conn, lock=True)
        self._sync(conn, head)
        return head

    def refresh(self) -> None:
        """Catch up with what others appended. A read takes the head and then the rows in two
        statements; on PostgreSQL (read committed) an append committed between them shows a row
        beyond the head read, which looks like tampering: read again (a real fault persists)."""
        for attempt in range(READ_ATTEMPTS):
            try:
                with self._lock, self._tx(write=False) as conn:
                    self._sync(conn, self._read_head(conn, lock=False))
                return
            except LedgerBroken:
                if attempt == READ_ATTEMPTS - 1:
                    raise

    # --- writing -------------------------------------------------------------------------------

    def _stage(
        self,
        head: _Head,
        items: Iterable[tuple[Event, str, str]],
        now: dt.datetime,
        *,
        book: Book | None = None,
    ) -> tuple[Book, list[RecordedEvent], list[dict[str, Any]]]:
        """Check and hash ``items`` (event, key, by) after the head: the bounds, the rules on
        the running book, sequence numbers and the chain; nothing is written."""
        contract, terms = self.contract, self.contract.fingerprint()
        book = self._book if book is None else book
        seq, prev = head.head_seq, head.head_hash
        at = now.isoformat(timespec="microseconds")
        recs: list[RecordedEvent] = []
        rows: list[dict[str, Any]] = []
        for event, key, by in items:
            bounds.check_event(event, key, by, now)
            seq += 1
            body = event.canonical()
            digest = chain_hash(prev, seq, key, by, at, body, terms)
            rec = RecordedEvent(seq, event, key, by, at, prev, digest, terms_hash=terms)
            # RuleViolation: nothing is written
            if event.kind is EventKind.CORRECTION:
                log = [*self._records, *recs]
                corrections.check_correction(log, event)
                book = corrections.refold(contract, [*log, rec])
            else:
                book = apply(contract, book, event)
            recs.append(rec)
            rows.append(event_row(self.deal_id, rec, body))
            prev = digest
        return book, recs, rows

    def _store_book(
        self, conn: Connection, head: _Head, recs: list[RecordedEvent], book: Book
    ) -> bool:
        """Store ``book`` (after ``recs``, written in this transaction) when due: the write
        crossed a multiple of ``stored_books.EVERY``, holds a correction (a later open then
        starts past the refold), or the last open found no usable stored book."""
        if not recs or recs[-1].terms_hash is None:
            return False
        last = recs[-1]
        due = (
            self._store_due
            or last.seq // stored_books.EVERY > head.head_seq // stored_books.EVERY
            or any(r.event.kind is EventKind.CORRECTION for r in recs)
        )
        if not due:
            return False
        terms_seq = self._next_terms_seq(recs)
        return stored_books.store(
            conn, self.deal_id, self.deal_key, last.seq, last.hash, terms_seq, book
        )

    def _write(self, conn: Connection, head: _Head, rows: list[dict[str, Any]]) -> None:
        """Insert staged rows and move the head onto the last (in the caller's transaction)."""
        if not rows:
            return
        raw = self._raw
        if raw is not None and raw.copy is not None and len(rows) >= COPY_ROWS:
            # PostgreSQL: COPY is several times faster than batched INSERTs for a bulk import
            cur = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
            try:
                with cur.copy(raw.copy) as copy:
                    for row in rows:
                        copy.write_row(raw.insert_params(row))
            finally:
                cur.close()
        else:
            for i in range(0, len(rows), BATCH_ROWS):
                conn.execute(_INSERT, rows[i : i + BATCH_ROWS])
        last = rows[-1]
        moved = conn.execute(
            _MOVE,
            {
                "deal": self.deal_id,
                "old_seq": head.head_seq,
                "new_seq": last["seq"],
                "new_hash": last["hash"],
                "new_terms": last["terms_hash"],
            },
        )
        if moved.rowcount != 1:
            raise _Conflict()

    def _retrying(self, attempt_once: Any) -> Any:
        delay = 0.002
        for attempt in range(MAX_ATTEMPTS):
            try:
                return attempt_once()
            except self._retry_errors as exc:
                transient = isinstance(exc, _Conflict) or is_transient(exc)
                if attempt == MAX_ATTEMPTS - 1 or not transient:
                    if isinstance(exc, self._connection_errors):
                        raise connect_error(self.url, exc) from exc
                    raise
                time.sleep(delay * (0.5 + random.random()))
                delay = min(delay * 2, 0.25)
        raise AssertionError("unreachable")

    def record(
        self, event: Event, *, key: str | None = None, by: str | None = None
    ) -> RecordedEvent:
        """Append ``event`` durably, or raise ``RuleViolation`` (nothing written).

        ``key`` (default: a digest of the event) makes retries safe: an event whose key is
        already stored is not appended again; the stored record comes back with
        ``already_recorded=True``. Reusing a key for a different event is an error. The event's
        dates may not be after the moment of recording nor before the calendars (``bounds``).
        """
        key = key or event.content_key()
        by = by or default_user()
        rec: RecordedEvent = self._retrying(lambda: self._append_once(event, key, by))
        return rec

    def _stored(self, key: str, event: Event, conn: Connection) -> RecordedEvent | None:
        """The stored record under ``key`` (the cache is complete up to the locked head, but for
        the events before a stored book: those are looked up)."""
        existing = self._keys.get(key)
        if existing is None and self._base:
            row = conn.execute(_BY_KEY, {"deal": self.deal_id, "key": key}).first()
            if row is not None:
                try:
                    existing = recorded(row)
                except ValueError:
                    raise self._broken(f"event {row.seq} cannot be read") from None
        if existing is None:
            return None
        if existing.event.canonical() != event.canonical():
            raise UserError(
                f"idempotency key {key!r} is already used by event {existing.seq} for a "
                f"different event"
            )
        return existing

    def _append_once(self, event: Event, key: str, by: str) -> RecordedEvent:
        if self._raw is not None:
            try:
                return self._append_once_raw(self._raw, event, key, by)
            except _Recheck as exc:  # rolled back: the rows are not what the head says
                if not exc.optimistic:  # the locked head matched: are the rows broken?
                    self.refresh()  # LedgerBroken with verify's message when they are
                raise _Conflict() from None  # the next attempt reads the head under its lock
        with self._lock:
            with self._tx(write=True) as conn:
                head = self._locked(conn)
                self._check_terms(head)
                existing = self._stored(key, event, conn)
                if existing is not None:
                    return replace(existing, already_recorded=True)
                if event.kind is EventKind.CORRECTION:
                    self._load_prefix(conn)  # its check and refold read the whole log
                book, recs, rows = self._stage(head, [(event, key, by)], self.now())
                self._write(conn, head, rows)
                stored = self._store_book(conn, head, recs, book)
            # committed
            self._commit(book, recs, recs[-1].terms_hash, self._next_terms_seq(recs), stored)
            return recs[-1]

    def _append_once_raw(self, raw: _RawSQL, event: Event, key: str, by: str) -> RecordedEvent:
        """``_append_once`` with its statements sent through the driver's cursor (inside the
        same SQLAlchemy transaction): the same SQL, without SQLAlchemy's per-statement cost,
        which was most of an append's CPU time. While this object's cache is the head, an
        append is the checked insert and the commit on PostgreSQL (as many round trips as a bare
        insert), the checked insert, the head's move and the commit on SQLite."""
        with self._lock:
            # warm cache, last append went through: skip reading the head; the insert statement
            # itself checks (under the deal row's lock on PostgreSQL, the write lock on SQLite)
            # that the head is still the one this object knows, else nothing is written and the
            # next attempt reads it
            optimistic = (
                raw.insert_checked is not None
                and self._optimistic
                and self._seq > 0
                and self._terms is not None
                and event.kind is not EventKind.CORRECTION
            )
            self._optimistic = False  # until this append succeeds
            with self._tx(write=True) as conn:
                cur = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
                try:
                    known = self._seq
                    if optimistic:
                        head = _Head(known, self._hash, self._terms)
                    else:
                        cur.execute(raw.head, (self.deal_id,))
                        found = cur.fetchone()
                        if found is None:
                            raise UserError(f"ledger {self.location}: the deal's row is gone")
                        head = _Head(*found)
                    if head.head_seq < known:
                        self._sync(conn, head)  # raises: the head moved back
                    checked = (
                        raw.insert_checked is not None
                        and head.head_seq == known
                        and head.head_hash == self._hash
                    )
                    if not checked:
                        # a statement of its own, after the lock: it sees what the last
                        # holder wrote
                        self._sync(conn, head)
                    self._check_terms(head)
                    existing = self._stored(key, event, conn)
                    if existing is not None:
                        self._optimistic = True
                        return replace(existing, already_recorded=True)
                    if event.kind is EventKind.CORRECTION:
                        self._load_prefix(conn)  # its check and refold read the whole log
                    book, recs, rows = self._stage(head, [(event, key, by)], self.now())
                    row = rows[0]
                    move = (row["seq"], row["hash"], row["terms_hash"], self.deal_id, head.head_seq)
                    if checked and raw.insert_checked is not None:
                        lock = (self.deal_id, known, self._hash, head.terms_hash)
                        tail = (self.deal_id, known, known, self.deal_id, known, self._hash)
                        params = raw.checked_params(lock, raw.insert_params(row), tail, move)
                        cur.execute(raw.insert_checked, params)
                        if cur.rowcount != 1:
                            raise _Recheck(optimistic)
                        if not raw.checked_moves_head:
                            cur.execute(raw.move, move)
                    elif raw.insert_and_move is not None:
                        cur.execute(raw.insert_and_move, raw.insert_params(row) + move)
                    else:
                        cur.execute(raw.insert, raw.insert_params(row))
                        cur.execute(raw.move, move)
                    if cur.rowcount != 1:
                        raise _Conflict()
                finally:
                    cur.close()
                stored = self._store_book(conn, head, recs, book)
            # committed
            self._commit(book, recs, recs[-1].terms_hash, self._next_terms_seq(recs), stored)
            self._optimistic = True
            return recs[-1]

    def _next_terms_seq(self, recs: list[RecordedEvent]) -> int:
        """The sequence number from which the chain carries the terms of ``recs``."""
        for rec in recs:
            if rec.terms_hash != self._terms:
                return rec.seq
        return self._terms_seq

    def record_many(
        self, items: Iterable[Event | tuple[Event, str | None]], *, by: str | None = None
    ) -> int:
        """Append many events in ONE transaction (bulk import; not one-per-event durability).

        ``items`` yields events or ``(event, key)`` pairs. All or nothing: a rule violation
        anywhere rolls the whole batch back; a key already stored is an error. Returns the
        number of events appended.
        """
        result = self.import_events(items, by=by, skip_recorded=False)
        return result.recorded

    def import_events(
        self,
        items: Iterable[Event | tuple[Event, str | None]],
        *,
        by: str | None = None,
        skip_recorded: bool = True,
    ) -> ImportResult:
        """Append many events in one transaction, each bounded, ruled, numbered and hashed
        (``ledger import``). All or nothing. An item whose key is already stored for the same
        event is skipped (``skip_recorded``; else an error), so a rerun imports nothing twice."""
        by = by or default_user()
        pending: list[tuple[Event, str, str]] = []
        for item in items:
            event, given = item if isinstance(item, tuple) else (item, None)
            pending.append((event, given or event.content_key(), by))
        result: ImportResult = self._retrying(lambda: self._import_once(pending, skip_recorded))
        return result

    def _import_once(
        self, pending: list[tuple[Event, str, str]], skip_recorded: bool
    ) -> ImportResult:
        with self._lock:
            with self._tx(write=True) as conn:
                head = self._locked(conn)
                self._load_prefix(conn)  # every stored key is checked in memory
                self._check_terms(head)
                todo: list[tuple[Event, str, str]] = []
                seen: set[str] = set()
                skipped = 0
                for event, key, by in pending:
                    if key in seen:
                        raise UserError(f"idempotency key {key!r} is used twice in the import")
                    seen.add(key)
                    if key in self._keys:
                        if not skip_recorded:
                            raise UserError(
                                f"idempotency key {key!r} is already used (bulk import)"
                            )
                        self._stored(key, event, conn)  # a different event: an error
                        skipped += 1
                        continue
                    todo.append((event, key, by))
                book, recs, rows = self._stage(head, todo, self.now())
                self._write(conn, head, rows)
                stored = self._store_book(conn, head, recs, book)
            if recs:
                terms_seq = self._next_terms_seq(recs)
                self._commit(book, recs, recs[-1].terms_hash, terms_seq, stored)
            return ImportResult(len(recs), skipped, self._seq, self._hash)

    def initialise(
        self,
        conn: Connection,
        issues: Iterable[tuple[Event, str]],
        *,
        by: str,
        accept_terms: bool,
    ) -> _Staged:
        """``ledger init``'s writes, in the caller's transaction (which holds the deal row):
        adopt or amend the terms, then record the closings not yet recorded. Returns what was
        written; the caller commits, then hands it to ``adopt``."""
        head = self._locked(conn)
        self._load_prefix(conn)  # the closings' keys and the amendment's date read the log
        stored = self._terms_in_force(head)
        new = self.contract.fingerprint()
        now = self.now()
        book = self._book
        recs: list[RecordedEvent] = []
        rows: list[dict[str, Any]] = []
        if stored is not None and stored != new:
            if not accept_terms:
                raise UserError(terms_changed_message(self.location))
            memo = self._amendment_memo(stored, new, now)
            key = f"{AMENDMENT_KEY_PREFIX}{stored[:16]}:{new[:16]}"
            book, recs, rows = self._stage(head, [(memo, key, by)], now, book=book)
        todo: list[tuple[Event, str, str]] = []
        for event, key in issues:
            name = event.purchaser
            if name is None or book.notes[name].issued or key in self._keys:
                continue  # recorded before (by init or by hand)
            todo.append((event, key, by))
        if todo:
            after = _Head(
                recs[-1].seq if recs else head.head_seq,
                recs[-1].hash if recs else head.head_hash,
                head.terms_hash,
            )
            book, more, more_rows = self._stage(after, todo, now, book=book)
            recs, rows = recs + more, rows + more_rows
        if rows:
            self._write(conn, head, rows)
        elif stored is None:  # a deal row without a fingerprint (before revision 0002): adopt
            conn.execute(deals.update().where(deals.c.id == self.deal_id).values(terms_hash=new))
        return _Staged(book, recs)

    def adopt(self, staged: _Staged) -> None:
        """After ``initialise``'s transaction committed: advance the cached log."""
        book, recs = staged.book, staged.recs
        if recs:
            self._commit(book, recs, recs[-1].terms_hash, self._next_terms_seq(recs))

    def _amendment_memo(self, previous: str, new: str, now: dt.datetime) -> Event:
        from pipedeal.ledger import events as ev

        day = max((r.event.date for r in self._records), default=now.date())
        return ev.memo(
            day,
            f"contract terms amended in deal.toml: terms {previous[:12]} "
            f"replaced by {new[:12]} (ledger init --accept-terms)",
        )

    # --- reading -------------------------------------------------------------------------------

    def events(self, as_of: dt.date | None = None) -> tuple[RecordedEvent, ...]:
        """Recorded events in sequence order (those dated on or before ``as_of`` if given)."""
        self.refresh()
        self._ensure_full()
        if as_of is None:
            return tuple(self._records)
        return tuple(r for r in self._records if r.event.date <= as_of)

    def state(self, as_of: dt.date) -> LedgerState:
        """State at the end of ``as_of``: a fresh, pure replay of the log."""
        self.refresh()
        self._ensure_full()
        counted = corrections.effective(self._records)
        if self._folded and (not counted or max(r.event.date for r in counted) <= as_of):
            # every event applies: the book folded while reading the log is that replay (a
            # book that came from ``stored_books`` is not: states are always the log's own)
            applied = tuple(r.event for r in counted)
            return snapshot(self.contract, self._book, as_of, applied)
        return replay(self.contract, (r.event for r in counted), as_of)

    def tip(self) -> Book:
        """The running book after every recorded event (what the next event is checked against)."""
        self.refresh()
        return self._book

    def due(self, as_of: dt.date, days: int = 30) -> tuple[DueItem, ...]:
        from pipedeal.ledger.due import due_items

        return due_items(self.contract, self.state(as_of), days)

    def head(self) -> tuple[int, str]:
        """The chain head (sequence number and hash), checked against the last row."""
        self.refresh()
        return self._seq, self._hash

    @contextmanager
    def _rows_for_verify(self, conn: Connection) -> Iterator[Iterable[Sequence[Any]]]:
        """Every event row (``VERIFY_COLUMNS``), as the driver's plain tuples where the raw
        statements are known (SQLAlchemy's rows cost a third of the walk otherwise)."""
        if self._raw is None:
            yield conn.execute(_VERIFY, {"deal": self.deal_id})
            return
        cur = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            cur.execute(self._raw.verify, (self.deal_id,))
            yield cast(Iterable[Sequence[Any]], cur)  # a DB-API cursor iterates its rows
        finally:
            cur.close()

    def verify(
        self, *, expect_head: str | None = None, anchors: Sequence[Anchor] = ()
    ) -> VerifyReport:
        """Walk the whole chain from the database; report the first altered or missing event.

        ``expect_head`` (``SEQ:HASH`` as ``ledger head --export`` prints, or a bare hash) and
        ``anchors`` (e.g. a signed checkpoint, ``anchors.read_checkpoint``) are values kept
        outside the database: each must still be on the chain, so truncation, re-chaining and
        rewrites that leave a consistent chain behind are reported too."""
        wanted = list(anchors)
        if expect_head is not None:
            wanted.append(parse_head(expect_head))
        with self.engine.connect() as conn, conn.begin():
            head = self._read_head(conn, lock=False)
            books, last_book = stored_books.checks(conn, self.deal_id, self.deal_key)
            with paused_gc(), self._rows_for_verify(conn) as rows:
                report = verify_rows(
                    self.contract,
                    self.deal_key,
                    head.head_seq,
                    head.head_hash,
                    rows,
                    stored_terms=head.terms_hash,
                    checkpoints=books,
                )
            if report.ok and last_book is not None and last_book > head.head_seq:
                beyond = (
                    f"a stored book (ledger_snapshots) follows event {last_book}, beyond the "
                    f"head at event {head.head_seq}: it was added outside the ledger"
                )
                return replace(report, ok=False, first_bad_seq=last_book, problem=beyond)
            if report.ok:
                for anchor in wanted:
                    problem = check_anchor(conn, self.deal_id, self.deal_key, head, anchor)
                    if problem is not None:
                        return replace(
                            report, ok=False, first_bad_seq=problem[0], problem=problem[1]
                        )
                chain_terms = conn.execute(
                    sa.select(events.c.terms_hash)
                    .where(events.c.deal_id == self.deal_id, events.c.terms_hash.is_not(None))
                    .order_by(events.c.seq.desc())
                    .limit(1)
                ).scalar()
        if not report.ok:
            return report
        in_force = chain_terms if chain_terms is not None else head.terms_hash
        if in_force not in (None, self.contract.fingerprint()):
            return replace(
                report,
                ok=False,
                problem="the chain is intact, but deal.toml's contract terms differ from those the "
                "events were recorded under (restore deal.toml, or record the amendment with "
                "pipedeal ledger init --accept-terms)",
            )
        return report
