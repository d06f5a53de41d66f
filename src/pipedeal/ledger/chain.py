"""The hash chain: what a stored event carries, how it is hashed, and how the chain is verified.

Every event row carries ``hash = sha256(json([prev_hash, seq, key, recorded_by, recorded_at,
body, terms]))`` where ``body`` is the event's canonical JSON (``Event.canonical``) and ``terms``
the fingerprint of the contract terms the event was recorded under (``Contract.fingerprint()``,
stored in the row's ``terms_hash``; it changes only at an amendment memo). Rows written before
revision 0003 have no ``terms_hash`` and were hashed without it (six elements). The first
``prev_hash`` is ``sha256("pipedeal-ledger\\n" + deal_key)``. This module owns that encoding,
the record of a stored event (``RecordedEvent``, and the row it is stored as), who and when an
event is recorded by default, and ``verify_rows``: the walk that finds the first altered,
missing or added event. It reads rows handed to it and never opens a database.
"""

from __future__ import annotations

import datetime as dt
import functools
import gc
import getpass
import hashlib
import json
import json.encoder
import os
import socket
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Row

from pipedeal.ledger.contract import Contract
from pipedeal.ledger.corrections import Numbered, check_correction, refold
from pipedeal.ledger.events import Event, EventKind, load_stored, validate_stored
from pipedeal.ledger.rules import Book, RuleViolation, apply

USER_ENV = "PIPEDEAL_USER"


def genesis_hash(deal_key: str) -> str:
    """The ``prev_hash`` of a deal's first event."""
    return hashlib.sha256(f"pipedeal-ledger\n{deal_key}".encode()).hexdigest()


_encode_string = json.encoder.encode_basestring  # C-accelerated where available

AMENDMENT_KEY_PREFIX = "terms:"  # the idempotency key of a terms amendment memo


def chain_hash(
    prev: str, seq: int, key: str, by: str, at: str, body: str, terms: str | None = None
) -> str:
    """The hash of one event row, linking it to the previous one; ``terms`` (the fingerprint the
    event was recorded under) is part of it from revision 0003 on (None: an older row)."""
    # json.dumps([...], separators=(",", ":"), ensure_ascii=False), spelled out: the same text
    # (each string through json's own encoder), without building an encoder per call
    enc = _encode_string
    data = f"[{enc(prev)},{int(seq)!r},{enc(key)},{enc(by)},{enc(at)},{enc(body)}"
    if terms is not None:
        data += f",{enc(terms)}"
    return hashlib.sha256((data + "]").encode()).hexdigest()


def default_user() -> str:
    """Who records an event unless told: ``$PIPEDEAL_USER``, else ``login@host``."""
    if os.environ.get(USER_ENV):
        return os.environ[USER_ENV]
    return _login_at_host(os.getuid() if hasattr(os, "getuid") else 0)


@functools.lru_cache(maxsize=8)
def _login_at_host(_uid: int) -> str:
    """``login@host`` (looked up once per user id: the password database is slow to ask)."""
    try:
        user = getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name in some containers
        user = "unknown"
    return f"{user}@{socket.gethostname()}"


def now() -> str:
    """A ``recorded_at`` stamp: ISO 8601, UTC, microseconds."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


FREEZE_FROM = 50_000  # objects built under ``paused_gc`` from which they are frozen after it


@contextmanager
def paused_gc() -> Iterator[None]:
    """Run a bulk read (a replay, a verify) with the cyclic garbage collector paused: the
    objects it builds are long-lived and acyclic, and collections triggered by their sheer
    number cost more than the read itself. The collector's previous state is restored. When the
    read built very many objects they are frozen first (``gc.freeze``: left out of later
    collections), else the first collection after it would scan them all once more (about a
    quarter of a second for 100,000 events); a frozen object that later becomes part of
    garbage with a reference cycle is not reclaimed, which for a read log's records is fine."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if gc.get_count()[0] >= FREEZE_FROM:
            gc.freeze()
        if was:
            gc.enable()


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
    terms_hash: str | None = None  # the terms fingerprint it was recorded under (hashed)

    def to_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "event": self.event.to_json(),
            "idempotency_key": self.idempotency_key,
            "recorded_by": self.recorded_by,
            "recorded_at": self.recorded_at,
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        }


def event_row(deal_id: int, rec: RecordedEvent, body: str) -> dict[str, Any]:
    """The ``ledger_events`` row that stores ``rec`` (``body``: its event's canonical JSON)."""
    return {
        "deal_id": deal_id,
        "seq": rec.seq,
        "event_date": rec.event.date,
        "instrument": rec.event.instrument,
        "kind": rec.event.kind.value,
        "body": body,
        "idempotency_key": rec.idempotency_key,
        "recorded_by": rec.recorded_by,
        "recorded_at": rec.recorded_at,
        "prev_hash": rec.prev_hash,
        "hash": rec.hash,
        "terms_hash": rec.terms_hash,
    }


def recorded(row: Any, event: Event | None = None, already: bool = False) -> RecordedEvent:
    """The record a ``ledger_events`` row holds (``event``: its body, already parsed)."""
    rec = object.__new__(RecordedEvent)  # a frozen dataclass without __init__'s setattr calls
    rec.__dict__.update(
        seq=row.seq,
        event=event if event is not None else load_stored(row.body),
        idempotency_key=row.idempotency_key,
        recorded_by=row.recorded_by,
        recorded_at=row.recorded_at,
        prev_hash=row.prev_hash,
        hash=row.hash,
        already_recorded=already,
        terms_hash=row.terms_hash,
    )
    return rec


def row_hash(row: Row[Any]) -> str:
    """The hash a stored row's content gives (compare with ``row.hash``)."""
    return chain_hash(
        row.prev_hash,
        row.seq,
        row.idempotency_key,
        row.recorded_by,
        row.recorded_at,
        row.body,
        row.terms_hash,
    )


def terms_mismatch(stored: str | None, chain: str, seq: int) -> str:
    """The problem when the deal row's fingerprint is not the one the hash chain carries."""
    return (
        f"the deal's terms fingerprint ({stored[:12] if stored else 'NULL'}) differs from the "
        f"one in the hash chain ({chain[:12]}, event {seq}): it was changed outside the ledger"
    )


# --- verify ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VerifyReport:
    ok: bool
    events: int  # events checked (stored)
    head_seq: int
    head_hash: str
    first_bad_seq: int | None = None
    problem: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "events": self.events,
            "head_seq": self.head_seq,
            "head_hash": self.head_hash,
            "first_bad_seq": self.first_bad_seq,
            "problem": self.problem,
        }


# the columns ``verify_rows`` reads, in this order (a SQLAlchemy row or a driver's plain tuple)
VERIFY_COLUMNS = (
    "seq",
    "event_date",
    "instrument",
    "kind",
    "body",
    "idempotency_key",
    "recorded_by",
    "recorded_at",
    "prev_hash",
    "hash",
    "terms_hash",
)


def verify_rows(
    contract: Contract,
    deal_key: str,
    head_seq: int,
    head_hash: str,
    rows: Iterable[Sequence[Any]],
    stored_terms: str | None = None,
    checkpoints: Mapping[int, Callable[[Book, str], str | None]] | None = None,
) -> VerifyReport:
    """Check ``rows`` (the deal's events in sequence order, ``VERIFY_COLUMNS``) against the
    chain head the deal row holds: contiguous numbers from 1, each hash matching its content and
    linking to the one before, columns matching the body, the terms fingerprint changing only at
    an amendment memo and matching the deal row's (``stored_terms``), every event passing the
    rules. ``checkpoints``: for a sequence number, a check of the book after that event and of
    the event's hash (a stored book, ``stored_books.checks``), returning what is wrong or None."""
    prev = genesis_hash(deal_key)
    expected = 1
    book = Book.empty(contract)
    terms: str | None = None  # the fingerprint the chain carries so far
    terms_seq = 0
    log: list[Numbered] = []  # for a correction's replay of the effective log
    checks = checkpoints or {}
    sha256, enc = hashlib.sha256, _encode_string
    correction, memo = EventKind.CORRECTION, EventKind.MEMO

    def bad(seq: int, problem: str) -> VerifyReport:
        return VerifyReport(False, expected - 1, head_seq, head_hash, seq, problem)

    for seq, day, instrument, kind, body, key, by, at, prev_hash, digest, row_terms in rows:
        if seq != expected:
            return bad(
                expected,
                f"event {expected} is missing (the sequence goes from {expected - 1} to {seq})",
            )
        # chain_hash, inlined (the walk's hottest line)
        data = f"[{enc(prev_hash)},{int(seq)!r},{enc(key)},{enc(by)},{enc(at)},{enc(body)}" + (
            "]" if row_terms is None else f",{enc(row_terms)}]"
        )
        if sha256(data.encode()).hexdigest() != digest:
            return bad(seq, f"event {seq} was altered: its content does not match its hash")
        if prev_hash != prev:
            return bad(
                seq - 1,
                f"event {seq - 1} was altered or replaced: event {seq} links to a different hash",
            )
        try:
            event = validate_stored(body)
        except ValueError:
            return bad(seq, f"event {seq} is unreadable")
        # SQLite through its own driver gives the date as stored (text)
        same_day = day == (event.date.isoformat() if isinstance(day, str) else event.date)
        if not same_day or event.instrument != instrument or event.kind.value != kind:
            return bad(seq, f"event {seq} was altered: its columns differ from its body")
        if row_terms is None:
            if terms is not None:
                return bad(seq, f"event {seq} was altered: it carries no terms fingerprint")
        elif row_terms != terms:
            amendment = event.kind is memo and key.startswith(AMENDMENT_KEY_PREFIX)
            if terms is not None and not amendment:
                return bad(
                    seq,
                    f"event {seq} changes the terms fingerprint without an amendment memo",
                )
            terms, terms_seq = row_terms, seq
        try:
            if event.kind is correction:
                check_correction(log, event)
                book = refold(contract, [*log, Numbered(seq, event)])
            else:
                book = apply(contract, book, event)
        except RuleViolation as exc:
            return bad(seq, f"event {seq} breaks a rule on replay: {exc.message}")
        log.append(Numbered(seq, event))
        if seq in checks:
            problem = checks[seq](book, digest)
            if problem is not None:
                return bad(seq, problem)
        prev = digest
        expected += 1
    last = expected - 1
    if head_seq > last:
        return bad(last + 1, f"event {last + 1} is missing (the ledger head is at {head_seq})")
    if head_seq < last:
        return bad(
            head_seq + 1,
            f"event {head_seq + 1} was added outside the ledger (head is at {head_seq})",
        )
    if head_hash != prev:
        return bad(last, f"event {last} was altered: the ledger head holds a different hash")
    if terms is not None and stored_terms != terms:
        return bad(terms_seq, terms_mismatch(stored_terms, terms, terms_seq))
    return VerifyReport(True, last, head_seq, head_hash)
