"""Opening a deal's ledger: ``init_ledger``, ``open_ledger`` and ``ledger_exists``.

The database is a SQLite file ``ledger.sqlite`` in the deal folder unless ``db`` (``--db``) or
``$PIPEDEAL_DB`` names another (see ``db.resolve_url``). One database may hold several deals
(``ledger_deals``, keyed by the deal's name unless a key is given). ``init_ledger`` creates or
migrates the database, the deal's row (with the contract terms' fingerprint) and the closing
events; ``open_ledger`` only opens what exists, at the current schema revision;
``ledger_exists`` answers without creating anything.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, Row
from sqlalchemy.exc import IntegrityError, OperationalError

from pipedeal.errors import UserError
from pipedeal.ledger.chain import default_user, genesis_hash, now
from pipedeal.ledger.contract import Contract
from pipedeal.ledger.db import (
    connect_error,
    current_revision,
    head_revision,
    make_engine,
    migrate,
    resolve_url,
    shown_url,
    sqlite_path,
)
from pipedeal.ledger.ledger import Ledger, terms_changed_message
from pipedeal.ledger.schema import deals


def _deal_row(conn: Connection, deal_key: str) -> Row[Any] | None:
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
                previous = _ensure_deal_row(engine, contract, key, fingerprint, by)
                break
            except IntegrityError:  # another process created it at the same moment
                continue
    except OperationalError as exc:
        engine.dispose()
        raise connect_error(url, exc) from exc
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


def _ensure_deal_row(
    engine: Engine, contract: Contract, key: str, fingerprint: str, by: str | None
) -> str | None:
    """Create the deal's row if it is missing; the terms fingerprint it held before (None: new,
    or made before revision 0002 and now given ``fingerprint``)."""
    with engine.connect() as conn:
        conn = conn.execution_options(pipedeal_write=True)
        with conn.begin():
            row = _deal_row(conn, key)
            if row is None:
                conn.execute(
                    deals.insert().values(
                        deal_key=key,
                        deal_name=contract.deal.name,
                        created_at=now(),
                        created_by=by or default_user(),
                        head_seq=0,
                        head_hash=genesis_hash(key),
                        terms_hash=fingerprint,
                    )
                )
            elif row.terms_hash is None:  # made before revision 0002: adopt
                conn.execute(
                    deals.update().where(deals.c.id == row.id).values(terms_hash=fingerprint)
                )
            else:
                previous: str = row.terms_hash
                return previous
    return None


def _open(contract: Contract, engine: Engine, url: str, key: str) -> Ledger:
    with engine.connect() as conn:
        row = _deal_row(conn, key)
    if row is None:
        engine.dispose()
        raise UserError(f"ledger {shown_url(url)} holds no deal {key!r}; run pipedeal ledger init")
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
                f"ledger {shown_url(url)} has schema revision {rev or 'none'}, expected "
                f"{head_revision()}; run pipedeal ledger init"
            )
        return _open(contract, engine, url, key)
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
