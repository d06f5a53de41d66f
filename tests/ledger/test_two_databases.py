"""One schema, two databases (issue 12, defect 10; "what to build" 6): the same operations on
SQLite and PostgreSQL give the same rows, byte for byte; the same inputs are refused on both; and
concurrent ``ledger init`` on a fresh PostgreSQL database is safe."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import uuid

import pytest
import sqlalchemy as sa

from pipedeal.errors import UserError
from pipedeal.ledger import Contract, init_ledger, open_ledger
from pipedeal.ledger import events as ev
from pipedeal.ledger.schema import deals, events

from .conftest import _pg_url

P1, P2 = "Purchaser 1", "Purchaser 2"
DAY = dt.date(2004, 7, 1)
CLOCK = dt.datetime(2026, 11, 29, 12, 0, tzinfo=dt.UTC)
BY = "controller@innovo"
FORK = multiprocessing.get_context("fork")


def _operations(deal_dir, db, key: str) -> list[str]:
    """The same script of appends, retries, refusals and an import; returns the refusals."""
    refused: list[str] = []
    with init_ledger(deal_dir, db, deal_key=key, by=BY, clock=lambda: CLOCK) as ledger:
        ledger.record(ev.interest_paid(P1, DAY, "100.00", dt.date(2004, 6, 30)), key="pay", by=BY)
        ledger.record(ev.interest_paid(P1, DAY, "100.00", dt.date(2004, 6, 30)), key="pay", by=BY)
        ledger.record(ev.memo(DAY, "é ü — 😀 quotes \" and \\ backslash"), by=BY)
        ledger.record(ev.warrant_exercised(P2, DAY, 1000), key="k" * 200, by=BY)
        ledger.import_events([ev.memo(DAY, f"bulk {i}") for i in range(150)], by=BY)  # COPY
        attempts = [
            lambda: ledger.record(ev.memo(DAY, "long key"), key="k" * 201, by=BY),
            lambda: ledger.record(ev.memo(DAY, "nul \x00"), by=BY),
            lambda: ledger.record(ev.memo(DAY, "by"), by="b" * 201),
            lambda: ledger.record(ev.memo(dt.date(2040, 1, 1), "future"), by=BY),
            lambda: ledger.record(ev.conversion(P1, DAY, "9999999.00"), by=BY),
            lambda: ledger.record(ev.memo(DAY, "other body"), key="pay", by=BY),
        ]
        for attempt in attempts:
            try:
                attempt()
            except UserError as exc:
                refused.append(exc.message.replace(ledger.location, "LOCATION"))
            else:
                refused.append("accepted")
        ledger.record(ev.stock_split(dt.date(2004, 8, 2), 2, 1), by=BY)
        assert ledger.verify().ok
    return refused


def _dump(db_url: str, key: str) -> tuple[dict, list[dict]]:
    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as conn:
            deal = conn.execute(sa.select(deals).where(deals.c.deal_key == key)).one()._asdict()
            rows = [
                {k: v for k, v in row._asdict().items() if k != "deal_id"}
                for row in conn.execute(
                    sa.select(events).where(events.c.deal_id == deal["id"]).order_by(events.c.seq)
                )
            ]
    finally:
        engine.dispose()
    for name in ("id", "created_at"):
        deal.pop(name)
    return deal, rows


@pytest.mark.postgres
def test_the_same_operations_give_the_same_rows_on_both(deal_copy, tmp_path):
    pg = _pg_url()
    key = f"same-{uuid.uuid4().hex[:12]}"
    sqlite_file = tmp_path / "ledger.sqlite"
    on_sqlite = _operations(deal_copy, str(sqlite_file), key)
    on_pg = _operations(deal_copy, pg, key)
    assert on_sqlite == on_pg
    assert on_sqlite.count("accepted") == 0
    lite_deal, lite_rows = _dump(f"sqlite:///{sqlite_file}", key)
    pg_deal, pg_rows = _dump(pg, key)
    assert lite_deal == pg_deal
    assert len(lite_rows) == len(pg_rows) == 3 + 3 + 150 + 1
    for lite, post in zip(lite_rows, pg_rows, strict=True):
        assert lite == post
    # and each reads the other's figures the same way
    with (
        open_ledger(deal_copy, str(sqlite_file), deal_key=key) as a,
        open_ledger(deal_copy, pg, deal_key=key) as b,
    ):
        assert a.state(dt.date(2005, 1, 1)).to_json() == b.state(dt.date(2005, 1, 1)).to_json()
        assert a.verify().head_hash == b.verify().head_hash


def _init_worker(deal_dir, url: str, contract: Contract, queue) -> None:
    try:
        with init_ledger(deal_dir, url, contract=contract) as ledger:
            queue.put(("ok", len(ledger.events())))
    except BaseException as exc:  # noqa: BLE001 - reported to the parent
        queue.put(("error", f"{type(exc).__name__}: {exc}"))


@pytest.mark.postgres
def test_concurrent_init_on_a_fresh_postgres_database(deal_copy):
    """Defect 10: 8 concurrent inits on a fresh database crashed on type creation."""
    base = sa.make_url(_pg_url())
    name = f"pipedeal_init_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = base.set(database=name).render_as_string(hide_password=False)
    try:
        contract = Contract.from_deal_dir(deal_copy)
        queue = FORK.Queue()
        procs = [
            FORK.Process(target=_init_worker, args=(deal_copy, url, contract, queue))
            for _ in range(8)
        ]
        for p in procs:
            p.start()
        results = [queue.get(timeout=120) for _ in procs]
        for p in procs:
            p.join(timeout=60)
        assert results == [("ok", 3)] * 8, results
        with open_ledger(deal_copy, url) as ledger:
            assert ledger.verify().ok and len(ledger.events()) == 3
            with ledger.engine.connect() as conn:
                assert conn.execute(sa.select(sa.func.count()).select_from(deals)).scalar() == 1
    finally:
        with admin.connect() as conn:
            conn.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"
                ),
                {"n": name},
            )
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()
