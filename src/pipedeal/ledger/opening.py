"""Opening a deal's ledger: ``init_ledger``, ``open_ledger`` and ``ledger_exists``.

The database is a SQLite file ``ledger.sqlite`` in the deal folder unless ``db`` (``--db``) or
``$PIPEDEAL_DB`` names another (see ``db.resolve_url``). One database may hold several deals
(``ledger_deals``, keyed by the deal's name unless a key is given). ``init_ledger`` creates or
migrates the database, the deal's row (with the contract terms' fingerprint) and the closing
events; ``open_ledger`` only opens what exists, at the current schema revision;
``ledger_exists`` answers without creating anything.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from pydantic import ValidationError
from sqlalchemy.engine import Connection, Engine, Row
from sqlalchemy.exc import IntegrityError, OperationalError

from pipedeal.errors import UserError
from pipedeal.ledger import bounds
from pipedeal.ledger.chain import default_user, genesis_hash
from pipedeal.ledger.contract import Contract
from pipedeal.ledger.db import (
    check_known_revision,
    connect_error,
    current_revision,
    head_revision,
    is_transient,
    make_engine,
    migrate,
    resolve_url,
    shown_url,
    sqlite_path,
)
from pipedeal.ledger.events import Event
from pipedeal.ledger.ledger import MAX_ATTEMPTS, Ledger, _Conflict, terms_changed_message
from pipedeal.ledger.rules import Book, RuleViolation, apply
from pipedeal.ledger.schema import deals

__all__ = ["init_ledger", "ledger_exists", "open_ledger", "terms_changed_message"]


def _deal_row(conn: Connection, deal_key: str, lock: bool = False) -> Row[Any] | None:
    q = sa.select(deals).where(deals.c.deal_key == deal_key)
    return conn.execute(q.with_for_update() if lock else q).first()


def _field_error(where: str, exc: ValidationError) -> UserError:
    e = exc.errors()[0]
    loc = ".".join(str(x) for x in e["loc"] if x != "payload") or "event"
    return UserError(f"{where}: {loc}: {e['msg'].removeprefix('Value error, ')}")


def _closings(contract: Contract) -> list[tuple[Event, str]]:
    """The ``note_issued`` event (and its key) of every purchaser's closing; a purchaser whose
    figures the event model refuses is a one-line error naming it."""
    from pipedeal.ledger import events as ev

    out: list[tuple[Event, str]] = []
    for i, p in enumerate(contract.deal.purchasers):
        try:
            event = ev.note_issued(p.name, p.closing_date, p.principal, p.funded)
        except ValidationError as exc:
            raise _field_error(f"purchasers[{i}]", exc) from None
        out.append((event, f"init:note_issued:{p.name}"))
    return out


def _precheck(
    contract: Contract, key: str, by: str, issues: list[tuple[Event, str]], clock: bounds.Clock
) -> None:
    """What ``init`` can refuse before touching the database: names that do not fit their
    columns, and closings the bounds or the rules refuse on an empty log."""
    bounds.check_text("deal key", key, bounds.MAX_DEAL_KEY)
    bounds.check_text("--by", by, bounds.MAX_BY)
    if "\x00" in contract.deal.name:
        raise UserError("deal.name: may not contain a NUL character")
    now = clock().astimezone(dt.UTC)
    book = Book.empty(contract)
    for i, (event, ikey) in enumerate(issues):
        try:
            bounds.check_event(event, ikey, by, now)
            book = apply(contract, book, event)
        except UserError as exc:
            raise RuleViolation(f"purchasers[{i}]", f"{event.purchaser!r}: {exc.message}") from None


def _remove_sqlite(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)


def init_ledger(
    deal_dir: Path | str,
    db: str | None = None,
    *,
    deal_key: str | None = None,
    issue: bool = True,
    by: str | None = None,
    contract: Contract | None = None,
    accept_terms: bool = False,
    clock: bounds.Clock | None = None,
) -> Ledger:
    """Create (or migrate) the ledger database and the deal's row; idempotent.

    With ``issue`` (the default) the closing of every purchaser's note (and warrant) is recorded
    as a ``note_issued`` event, at the deal file's principal and cash funded.

    The deal row and the closings are written in ONE transaction: when a closing is refused (a
    bound, a rule, a name too long for its column) nothing is written, and a SQLite file this
    call created is removed again. The schema migration runs first, under an advisory lock on
    PostgreSQL (concurrent inits are safe).

    The chain keeps ``contract.fingerprint()``. When deal.toml's terms have changed since,
    init refuses unless ``accept_terms``: then it records a memo event naming both fingerprints
    (the amendment is in the audit trail and the hash chain) and keeps the new one.
    """
    contract = contract or Contract.from_deal_dir(deal_dir)
    url = resolve_url(deal_dir, db)
    path = sqlite_path(url)
    if path is not None and not path.parent.is_dir():
        raise UserError(f"--db {path}: folder {path.parent} does not exist")
    key = deal_key or contract.deal.name
    by = by or default_user()
    issues = _closings(contract) if issue else []
    _precheck(contract, key, by, issues, clock or bounds.utc_now)
    fresh = path is not None and not path.exists()
    engine = make_engine(url)
    try:
        try:
            migrate(engine)
            return _init_deal(engine, contract, url, key, by, issues, accept_terms, clock)
        except OperationalError as exc:
            raise connect_error(url, exc) from exc
    except BaseException:
        engine.dispose()
        if fresh and path is not None:
            _remove_sqlite(path)
        raise


def _init_deal(
    engine: Engine,
    contract: Contract,
    url: str,
    key: str,
    by: str,
    issues: list[tuple[Event, str]],
    accept_terms: bool,
    clock: bounds.Clock | None,
) -> Ledger:
    """The deal row, the terms and the closings, in one transaction (retried on a race)."""
    delay = 0.002
    for attempt in range(MAX_ATTEMPTS):
        try:
            with engine.connect() as conn:
                conn = conn.execution_options(pipedeal_write=True)
                with conn.begin():
                    row = _deal_row(conn, key, lock=True)
                    if row is None:
                        created = conn.execute(
                            deals.insert().values(
                                deal_key=key,
                                deal_name=contract.deal.name,
                                created_at=bounds.utc_now().isoformat(timespec="microseconds"),
                                created_by=by,
                                head_seq=0,
                                head_hash=genesis_hash(key),
                                terms_hash=contract.fingerprint(),
                            )
                        )
                        pk = created.inserted_primary_key
                        assert pk is not None
                        deal_id = int(pk[0])
                    else:
                        deal_id = int(row.id)
                    ledger = Ledger(contract, engine, url, key, deal_id, clock=clock)
                    staged = ledger.initialise(conn, issues, by=by, accept_terms=accept_terms)
                ledger.adopt(staged)
                return ledger
        except (IntegrityError, OperationalError, _Conflict) as exc:
            transient = isinstance(exc, _Conflict) or is_transient(exc)
            if attempt == MAX_ATTEMPTS - 1 or not transient:
                raise
            time.sleep(delay * (0.5 + random.random()))
            delay = min(delay * 2, 0.25)
    raise AssertionError("unreachable")


def _open(
    contract: Contract, engine: Engine, url: str, key: str, clock: bounds.Clock | None = None
) -> Ledger:
    with engine.connect() as conn:
        row = _deal_row(conn, key)
    if row is None:
        engine.dispose()
        raise UserError(f"ledger {shown_url(url)} holds no deal {key!r}; run pipedeal ledger init")
    return Ledger(contract, engine, url, key, row.id, clock=clock)


def open_ledger(
    deal_dir: Path | str,
    db: str | None = None,
    *,
    deal_key: str | None = None,
    contract: Contract | None = None,
    clock: bounds.Clock | None = None,
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
            check_known_revision(rev, shown_url(url))
            raise UserError(
                f"ledger {shown_url(url)} has schema revision {rev or 'none'}, expected "
                f"{head_revision()}; run pipedeal ledger init"
            )
        return _open(contract, engine, url, key, clock)
    except OperationalError as exc:
        engine.dispose()
        raise connect_error(url, exc) from exc


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
            found = conn.execute(sa.select(deals.c.id).where(deals.c.deal_key == key)).first()
            return found is not None
    except OperationalError:
        return False
    finally:
        engine.dispose()
