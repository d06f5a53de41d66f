"""Durable storage of the event log: SQLAlchemy Core on SQLite (default) or PostgreSQL.

- The database is a SQLite file ``ledger.sqlite`` in the deal folder unless ``db`` (``--db``) or
  ``PIPEDEAL_DB`` names another: a SQLAlchemy URL (``postgresql+psycopg://...``) or a file path.
  SQLite runs in WAL mode with ``synchronous=FULL``: a commit that returned is on disk.
- One database may hold several deals (``ledger_deals``, keyed by the deal's name unless a key
  is given); each event is one transaction that takes the deal's row lock (``BEGIN IMMEDIATE``
  on SQLite, ``SELECT ... FOR UPDATE`` on PostgreSQL), checks the rules against the log so far,
  inserts the event with the next sequence number and moves the chain head. Transient conflicts
  (a locked database, a serialisation failure) are retried; the idempotency key makes a retried
  append apply once.
- Every event row carries ``hash = sha256(json([prev_hash, seq, key, recorded_by, recorded_at,
  body]))``; the first ``prev_hash`` is ``sha256("pipedeal-ledger\\n" + deal_key)``.
"""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import json
import os
import random
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError, OperationalError

from pipedeal.errors import UserError
from pipedeal.ledger.contract import Contract
from pipedeal.ledger.events import Event
from pipedeal.ledger.rules import Book, LedgerState, RuleViolation, apply, replay, snapshot
from pipedeal.ledger.schema import deals, events

DB_ENV = "PIPEDEAL_DB"
USER_ENV = "PIPEDEAL_USER"
SQLITE_FILE = "ledger.sqlite"
MIGRATIONS = Path(__file__).with_name("migrations")
MAX_ATTEMPTS = 200


def genesis_hash(deal_key: str) -> str:
    return hashlib.sha256(f"pipedeal-ledger\n{deal_key}".encode()).hexdigest()


def chain_hash(prev: str, seq: int, key: str, by: str, at: str, body: str) -> str:
    data = json.dumps([prev, seq, key, by, at, body], separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(data.encode()).hexdigest()


def default_user() -> str:
    if os.environ.get(USER_ENV):
        return os.environ[USER_ENV]
    try:
        user = getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name in some containers
        user = "unknown"
    return f"{user}@{socket.gethostname()}"


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


# --- engines -----------------------------------------------------------------------------------


def resolve_url(deal_dir: Path | str, db: str | None = None) -> str:
    """``db`` or ``$PIPEDEAL_DB`` (a URL or a SQLite file path), else ``DEAL_DIR/ledger.sqlite``."""
    db = db or os.environ.get(DB_ENV) or None
    if db is None:
        return f"sqlite:///{Path(deal_dir).resolve() / SQLITE_FILE}"
    if "://" in db:
        return db
    return f"sqlite:///{Path(db).resolve()}"


def sqlite_path(url: str) -> Path | None:
    u = sa.make_url(url)
    if u.get_backend_name() != "sqlite":
        return None
    if not u.database or u.database == ":memory:":
        raise UserError(f"--db {url}: an in-memory SQLite database cannot hold a ledger")
    return Path(u.database)


def make_engine(url: str) -> Engine:
    try:
        u = sa.make_url(url)
    except sa.exc.ArgumentError:
        raise UserError(f"--db: not a database URL or file: {url!r}") from None
    if u.get_backend_name() == "sqlite":
        engine = sa.create_engine(u, connect_args={"timeout": 60})

        @sa.event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):  # noqa: ANN001
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute("PRAGMA busy_timeout=60000")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        @sa.event.listens_for(engine, "begin")
        def _begin(conn):  # noqa: ANN001
            immediate = conn.get_execution_options().get("pipedeal_write", False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine
    try:
        return sa.create_engine(u, pool_pre_ping=True)
    except ModuleNotFoundError as exc:
        raise UserError(f"--db {u.render_as_string()}: database driver missing: {exc}") from None


def _alembic_config(conn: Connection):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = conn
    return cfg


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    cfg = _alembic_config(None)  # type: ignore[arg-type]
    return ScriptDirectory.from_config(cfg).get_current_head()


def current_revision(conn: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(conn).get_current_revision()


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest Alembic revision (idempotent)."""
    from alembic import command

    with engine.connect() as conn:
        conn = conn.execution_options(pipedeal_write=True)
        command.upgrade(_alembic_config(conn), "head")
        if conn.in_transaction():
            conn.commit()


def _connect_error(url: str, exc: Exception) -> UserError:
    shown = sa.make_url(url).render_as_string(hide_password=True)
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return UserError(f"ledger database {shown}: cannot connect: {first}")


# --- records -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordedEvent:
    seq: int
    event: Event
    idempotency_key: str
    recorded_by: str
    recorded_at: str
    prev_hash: str
    hash: str
    already_recorded: bool = False  # the append was a retry of an event already stored

    def to_json(self) -> dict:
        return {
            "seq": self.seq,
            "event": self.event.to_json(),
            "idempotency_key": self.idempotency_key,
            "recorded_by": self.recorded_by,
            "recorded_at": self.recorded_at,
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        }


def _recorded(row, event: Event | None = None, already: bool = False) -> RecordedEvent:
    return RecordedEvent(
        seq=row.seq,
        event=event if event is not None else Event.from_json(row.body),
        idempotency_key=row.idempotency_key,
        recorded_by=row.recorded_by,
        recorded_at=row.recorded_at,
        prev_hash=row.prev_hash,
        hash=row.hash,
        already_recorded=already,
    )


@dataclass(frozen=True)
class VerifyReport:
    ok: bool
    events: int  # events checked (stored)
    head_seq: int
    head_hash: str
    first_bad_seq: int | None = None
    problem: str | None = None

    def to_json(self) -> dict:
        return {
            "ok": self.ok,
            "events": self.events,
            "head_seq": self.head_seq,
            "head_hash": self.head_hash,
            "first_bad_seq": self.first_bad_seq,
            "problem": self.problem,
        }


class _Conflict(Exception):
    """The chain head moved under us; retry."""


# --- the ledger --------------------------------------------------------------------------------


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
        return sa.make_url(self.url).render_as_string(hide_password=True)

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
            rec = _recorded(row)
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

    def _head(self, conn: Connection, lock: bool):
        q = sa.select(deals.c.head_seq, deals.c.head_hash, deals.c.terms_hash).where(
            deals.c.id == self.deal_id
        )
        if lock:
            q = q.with_for_update()
        return conn.execute(q).one()

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
                if attempt == MAX_ATTEMPTS - 1 or not _transient(exc):
                    if isinstance(exc, OperationalError):
                        raise _connect_error(self.url, exc) from exc
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
                return _recorded(existing, already=True)
            self._sync(conn, head.head_seq)
            book = apply(self.contract, self._book, event)  # RuleViolation: rolled back
            seq = head.head_seq + 1
            at = _now()
            digest = chain_hash(head.head_hash, seq, key, by, at, body)
            conn.execute(
                events.insert().values(
                    deal_id=self.deal_id,
                    seq=seq,
                    event_date=event.date,
                    instrument=event.instrument,
                    kind=event.kind.value,
                    body=body,
                    idempotency_key=key,
                    recorded_by=by,
                    recorded_at=at,
                    prev_hash=head.head_hash,
                    hash=digest,
                )
            )
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
            rec = RecordedEvent(seq, event, key, by, at, head.head_hash, digest)
        # committed
        self._book, self._seq = book, seq
        self._records.append(rec)
        return rec

    def record_many(self, items, *, by: str | None = None) -> int:
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
            rows, recs = [], []
            for item in items:
                event, key = item if isinstance(item, tuple) else (item, None)
                key = key or event.content_key()
                if key in stored_keys:
                    raise UserError(f"idempotency key {key!r} is already used (bulk import)")
                stored_keys.add(key)
                book = apply(self.contract, book, event)
                seq += 1
                at, body = _now(), event.canonical()
                digest = chain_hash(prev, seq, key, by, at, body)
                rows.append(
                    {
                        "deal_id": self.deal_id,
                        "seq": seq,
                        "event_date": event.date,
                        "instrument": event.instrument,
                        "kind": event.kind.value,
                        "body": body,
                        "idempotency_key": key,
                        "recorded_by": by,
                        "recorded_at": at,
                        "prev_hash": prev,
                        "hash": digest,
                    }
                )
                recs.append(RecordedEvent(seq, event, key, by, at, prev, digest))
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
            events = tuple(r.event for r in self._records)
            return snapshot(self.contract, self._book, as_of, events)
        return replay(self.contract, (r.event for r in self._records), as_of)

    def tip(self) -> Book:
        """The running book after every recorded event (what the next event is checked against)."""
        self.refresh()
        return self._book

    def due(self, as_of: dt.date, days: int = 30):
        from pipedeal.ledger.due import due_items

        return due_items(self.contract, self.state(as_of), days)

    def amend_terms(self, previous: str, *, by: str | None = None) -> RecordedEvent:
        """Adopt the contract's current terms: a memo naming both fingerprints, in the same
        transaction as the deal row's update (replay then runs under the new terms)."""
        from pipedeal.ledger import events as ev

        new = self.contract.fingerprint()
        day = max((r.event.date for r in self.events()), default=dt.date.today())
        memo = ev.memo(day, f"contract terms amended in deal.toml: terms {previous[:12]} "
                            f"replaced by {new[:12]} (ledger init --accept-terms)")
        return self._append_once(
            memo, f"terms:{previous[:16]}:{new[:16]}", by or default_user(), memo.canonical(),
            adopt_terms=True,
        )

    def verify(self) -> VerifyReport:
        """Walk the whole chain from the database; report the first altered or missing event."""
        with self._tx(write=False) as conn:
            head = self._head(conn, lock=False)
            rows = conn.execute(
                sa.select(events).where(events.c.deal_id == self.deal_id).order_by(events.c.seq)
            )
            report = _verify_rows(self.contract, self.deal_key, head, rows)
        if report.ok and head.terms_hash not in (None, self.contract.fingerprint()):
            return VerifyReport(
                False, report.events, report.head_seq, report.head_hash, None,
                "the chain is intact, but deal.toml's contract terms differ from those the "
                "events were recorded under (restore deal.toml, or record the amendment with "
                "pipedeal ledger init --accept-terms)",
            )
        return report


def _verify_rows(contract: Contract, deal_key: str, head, rows) -> VerifyReport:
    prev = genesis_hash(deal_key)
    expected = 1
    book = Book.empty(contract)

    def bad(seq: int, problem: str) -> VerifyReport:
        return VerifyReport(False, expected - 1, head.head_seq, head.head_hash, seq, problem)

    for row in rows:
        if row.seq != expected:
            return bad(
                expected,
                f"event {expected} is missing (the sequence goes from {expected - 1} to {row.seq})",
            )
        digest = chain_hash(
            row.prev_hash, row.seq, row.idempotency_key, row.recorded_by, row.recorded_at, row.body
        )
        if digest != row.hash:
            return bad(row.seq, f"event {row.seq} was altered: its content does not match its hash")
        if row.prev_hash != prev:
            return bad(
                row.seq - 1,
                f"event {row.seq - 1} was altered or replaced: event {row.seq} links to a "
                f"different hash",
            )
        try:
            event = Event.from_json(row.body)
        except ValueError:
            return bad(row.seq, f"event {row.seq} is unreadable")
        if (event.date, event.instrument, event.kind.value) != (
            row.event_date,
            row.instrument,
            row.kind,
        ):
            return bad(row.seq, f"event {row.seq} was altered: its columns differ from its body")
        try:
            book = apply(contract, book, event)
        except RuleViolation as exc:
            return bad(row.seq, f"event {row.seq} breaks a rule on replay: {exc.message}")
        prev = row.hash
        expected += 1
    last = expected - 1
    if head.head_seq > last:
        return bad(last + 1, f"event {last + 1} is missing (the ledger head is at {head.head_seq})")
    if head.head_seq < last:
        return bad(
            head.head_seq + 1,
            f"event {head.head_seq + 1} was added outside the ledger (head is at {head.head_seq})",
        )
    if head.head_hash != prev:
        return bad(last, f"event {last} was altered: the ledger head holds a different hash")
    return VerifyReport(True, last, head.head_seq, head.head_hash)


def terms_changed_message(location: str) -> str:
    return (
        f"ledger {location}: deal.toml's contract terms (note, warrant, registration terms, "
        "purchasers or prices) differ from those its events were recorded under; restore "
        "deal.toml, or, if the contract was amended, run pipedeal ledger init DEAL_DIR "
        "--accept-terms to record the amendment"
    )


def _transient(exc: Exception) -> bool:
    if isinstance(exc, _Conflict | IntegrityError):
        return True
    text = str(getattr(exc, "orig", exc)).lower()
    return any(
        s in text
        for s in (
            "database is locked",
            "database table is locked",
            "busy",
            "could not serialize",
            "deadlock",
            "lock not available",
        )
    )


# --- opening -----------------------------------------------------------------------------------


def _deal_row(conn: Connection, deal_key: str):
    return conn.execute(sa.select(deals).where(deals.c.deal_key == deal_key)).first()


def init_ledger(
    deal_dir: Path | str,
    db: str | None = None,
    *,
    deal_key: str | None = None,
    issue: bool = True,
    by: str | None = None,
    contract: Contract | None = None,
    accept_terms: bool = False,
) -> Ledger:
    """Create (or migrate) the ledger database and the deal's row; idempotent.

    With ``issue`` (the default) the closing of every purchaser's note (and warrant) is recorded
    as a ``note_issued`` event, at the deal file's principal and cash funded.

    The deal row keeps ``contract.fingerprint()``. When deal.toml's terms have changed since,
    init refuses unless ``accept_terms``: then it records a memo event naming both fingerprints
    (the amendment is in the audit trail) and keeps the new one.
    """
    contract = contract or Contract.from_deal_dir(deal_dir)
    url = resolve_url(deal_dir, db)
    path = sqlite_path(url)
    if path is not None and not path.parent.is_dir():
        raise UserError(f"--db {path}: folder {path.parent} does not exist")
    engine = make_engine(url)
    key = deal_key or contract.deal.name
    fingerprint = contract.fingerprint()
    previous: str | None = None
    try:
        migrate(engine)
        for _ in range(20):
            try:
                with engine.connect() as conn:
                    conn = conn.execution_options(pipedeal_write=True)
                    with conn.begin():
                        row = _deal_row(conn, key)
                        if row is None:
                            conn.execute(
                                deals.insert().values(
                                    deal_key=key,
                                    deal_name=contract.deal.name,
                                    created_at=_now(),
                                    created_by=by or default_user(),
                                    head_seq=0,
                                    head_hash=genesis_hash(key),
                                    terms_hash=fingerprint,
                                )
                            )
                        elif row.terms_hash is None:  # made before revision 0002: adopt
                            conn.execute(
                                deals.update()
                                .where(deals.c.id == row.id)
                                .values(terms_hash=fingerprint)
                            )
                        else:
                            previous = row.terms_hash
                break
            except IntegrityError:  # another process created it at the same moment
                continue
    except OperationalError as exc:
        engine.dispose()
        raise _connect_error(url, exc) from exc
    ledger = _open(contract, engine, url, key)
    if previous is not None and previous != fingerprint:
        if not accept_terms:
            ledger.close()
            raise UserError(terms_changed_message(ledger.location))
        ledger.amend_terms(previous, by=by)
    if issue:
        from pipedeal.ledger import events as ev

        for p in contract.deal.purchasers:
            if ledger.tip().notes[p.name].issued:  # recorded before (by init or by hand)
                continue
            e = ev.note_issued(p.name, p.closing_date, p.principal, p.funded)
            ledger.record(e, key=f"init:note_issued:{p.name}", by=by)
    return ledger


def _open(contract: Contract, engine: Engine, url: str, key: str) -> Ledger:
    with engine.connect() as conn:
        row = _deal_row(conn, key)
    if row is None:
        engine.dispose()
        raise UserError(
            f"ledger {sa.make_url(url).render_as_string(hide_password=True)} holds no deal "
            f"{key!r}; run pipedeal ledger init"
        )
    return Ledger(contract, engine, url, key, row.id)


def open_ledger(
    deal_dir: Path | str,
    db: str | None = None,
    *,
    deal_key: str | None = None,
    contract: Contract | None = None,
) -> Ledger:
    """Open an existing ledger; ``UserError`` if there is none (nothing is created)."""
    contract = contract or Contract.from_deal_dir(deal_dir)
    url = resolve_url(deal_dir, db)
    path = sqlite_path(url)
    if path is not None and not path.is_file():
        raise UserError(f"no ledger at {path}; run pipedeal ledger init {deal_dir}")
    engine = make_engine(url)
    key = deal_key or contract.deal.name
    try:
        with engine.connect() as conn:
            rev = current_revision(conn)
        if rev != head_revision():
            engine.dispose()
            raise UserError(
                f"ledger {sa.make_url(url).render_as_string(hide_password=True)} has schema "
                f"revision {rev or 'none'}, expected {head_revision()}; run pipedeal ledger init"
            )
        return _open(contract, engine, url, key)
    except OperationalError as exc:
        engine.dispose()
        raise _connect_error(url, exc) from exc


def ledger_exists(
    deal_dir: Path | str,
    db: str | None = None,
    *,
    deal_key: str | None = None,
    deal_name: str | None = None,
) -> bool:
    """Whether the deal has a ledger, without creating anything."""
    url = resolve_url(deal_dir, db)
    path = sqlite_path(url)
    if path is not None and not path.is_file():
        return False
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            if not sa.inspect(conn).has_table("ledger_deals"):
                return False
            if deal_key is None and deal_name is None:
                return True
            # only columns every schema revision has: an old ledger still "exists"
            key = deal_key or deal_name
            return conn.execute(
                sa.select(deals.c.id).where(deals.c.deal_key == key)
            ).first() is not None
    except OperationalError:
        return False
    finally:
        engine.dispose()
