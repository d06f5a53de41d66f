"""Ledger benchmark: durable appends, bulk import, replay and verify of 100,000 events.

Run on purpose (not a test):

    python3 benchmarks/ledger.py                       # SQLite, and PostgreSQL if reachable
    python3 benchmarks/ledger.py --events 100000 --durable 2000 --backends sqlite

For each backend, on a scratch copy of the Innovo example:

1. *durable appends*: ``--durable`` events appended one by one through ``Ledger.record`` — each
   its own transaction (rule check, next sequence number, hash chain, commit; SQLite in WAL with
   ``synchronous=FULL``, PostgreSQL with ``fsync=on``); reported as appends per second.
2. *import*: the log is then filled up to ``--events`` with ``Ledger.import_events`` (what
   ``ledger import FILE.jsonl`` calls: bounds, rules, numbering and chain applied to every event,
   the whole batch in one transaction); reported as events per second;
3. *cold open*: a fresh ``open_ledger`` and its running book (``Ledger.tip``, what the next
   append is checked against): it starts from the newest stored book (``stored_books``) and
   reads only the events after it; then one append on it (what ``ledger record`` does);
4. *replay*: a fresh ``open_ledger`` reads every event back, parses it and folds the whole log
   through the rules into the state as of a date (``Ledger.state``: states are always a replay,
   never a stored book) — timed cold;
5. ``verify``: the full hash-chain walk, re-checking every rule and every stored book — timed;
6. the peer: bare one-row ``INSERT`` + ``COMMIT`` transactions on the same engine settings
   (the durability floor any ledger pays), measured in the same run, before and after the
   durable appends (the machine's load moves the floor; both are printed).

CPU seconds are printed next to wall seconds: on a shared machine the wall time includes time
waiting for a core.

Events are a realistic-shaped mix that the Innovo terms always allow: a free-form memo, a
one-share warrant exercise, a one-cent interest payment, in turn.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from pipedeal.ledger import Contract, init_ledger, open_ledger  # noqa: E402
from pipedeal.ledger import events as ev  # noqa: E402

EXAMPLE = ROOT / "examples" / "innovo-2004"
PURCHASERS = ("Purchaser 1", "Purchaser 2", "Purchaser 3")
DAY = dt.date(2004, 7, 1)


def event(i: int):
    name = PURCHASERS[i % 3]
    kind = (i // 3) % 3
    if kind == 0:
        return ev.memo(DAY, f"benchmark event {i}")
    if kind == 1:
        return ev.warrant_exercised(name, DAY, 1)
    return ev.interest_paid(name, DAY, "0.01", dt.date(2004, 6, 30))


def run(name: str, db: str | None, deal_dir: Path, n_events: int, n_durable: int) -> dict:
    contract = Contract.from_deal_dir(deal_dir)
    key = f"bench-{uuid.uuid4().hex[:10]}"
    out: dict = {"backend": name}
    with init_ledger(deal_dir, db, deal_key=key, contract=contract) as ledger:
        base = len(ledger.events())
        t0 = time.perf_counter()
        for i in range(n_durable):
            ledger.record(event(i), key=f"d{i}")
        dt_durable = time.perf_counter() - t0
        out["durable_appends"] = n_durable
        out["durable_appends_per_s"] = n_durable / dt_durable
        items = [(event(j), f"b{j}") for j in range(n_durable, n_events - base)]
        t0, c0 = time.perf_counter(), time.process_time()
        result = ledger.import_events(items)
        out["import_s"] = time.perf_counter() - t0
        out["import_cpu_s"] = time.process_time() - c0
        out["imported"] = result.recorded
        out["import_per_s"] = result.recorded / out["import_s"] if result.recorded else 0.0
    t0, c0 = time.perf_counter(), time.process_time()
    with open_ledger(deal_dir, db, deal_key=key, contract=contract) as ledger:
        ledger.tip()
        out["cold_open_s"] = time.perf_counter() - t0
        out["cold_open_cpu_s"] = time.process_time() - c0
        ledger.record(event(n_events), key="after-cold-open")
        out["cold_append_s"] = time.perf_counter() - t0
    t0, c0 = time.perf_counter(), time.process_time()
    with open_ledger(deal_dir, db, deal_key=key, contract=contract) as ledger:
        state = ledger.state(dt.date(2005, 1, 1))
        out["replay_s"] = time.perf_counter() - t0
        out["replay_cpu_s"] = time.process_time() - c0
        out["events"] = len(state.events)
        t0, c0 = time.perf_counter(), time.process_time()
        report = ledger.verify()
        out["verify_s"] = time.perf_counter() - t0
        out["verify_cpu_s"] = time.process_time() - c0
        assert report.ok and report.events == out["events"], report
        out["warrant_shares_exercised"] = state.totals.warrant_shares_exercised
        if db is not None:  # leave the shared server clean
            import sqlalchemy as sa

            from pipedeal.ledger.schema import deals, events, snapshots

            with ledger.engine.begin() as conn:
                conn.execute(snapshots.delete().where(snapshots.c.deal_id == ledger.deal_id))
                conn.execute(events.delete().where(events.c.deal_id == ledger.deal_id))
                conn.execute(deals.delete().where(deals.c.id == ledger.deal_id))
            del sa
    return out


def raw_commits_per_s(name: str, db: str | None, folder: Path, n: int) -> float:
    """The peer: bare one-row INSERT + COMMIT transactions with the same durability settings."""
    import sqlalchemy as sa

    from pipedeal.ledger.db import make_engine

    url = db if db is not None else f"sqlite:///{folder / 'raw.sqlite'}"
    engine = make_engine(url)
    table = f"raw_{uuid.uuid4().hex[:8]}"
    with engine.connect() as conn, conn.begin():
        conn.execute(sa.text(f"CREATE TABLE {table} (id INTEGER PRIMARY KEY, body TEXT)"))
    body = event(0).canonical()
    t0 = time.perf_counter()
    with engine.connect() as conn:
        for i in range(n):
            with conn.begin():
                conn.execute(sa.text(f"INSERT INTO {table} VALUES (:i, :b)"), {"i": i, "b": body})
    rate = n / (time.perf_counter() - t0)
    with engine.connect() as conn, conn.begin():
        conn.execute(sa.text(f"DROP TABLE {table}"))
    engine.dispose()
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--durable", type=int, default=2_000)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("PIPEDEAL_BENCH_PG_URL") or os.environ.get("PIPEDEAL_TEST_PG_URL"),
    )
    args = parser.parse_args()
    print(
        f"# ledger benchmark: {args.events:,} events, {args.durable:,} durable appends; "
        f"{platform.node()} ({os.cpu_count()} CPUs), Python {platform.python_version()}"
    )
    results = []
    for backend in args.backends.split(","):
        tmp = Path(tempfile.mkdtemp(prefix="pipedeal-bench-"))
        try:
            deal_dir = tmp / "innovo-2004"
            shutil.copytree(EXAMPLE, deal_dir)
            if backend == "sqlite":
                db = None
            elif backend == "postgres":
                if not args.pg_url:
                    print("# postgres: skipped (no --pg-url / PIPEDEAL_TEST_PG_URL)")
                    continue
                db = args.pg_url
            else:
                raise SystemExit(f"unknown backend {backend!r}")
            before = raw_commits_per_s(backend, db, tmp, args.durable)
            result = run(backend, db, deal_dir, args.events, args.durable)
            after = raw_commits_per_s(backend, db, tmp, args.durable)
            result["raw_commits_per_s"] = (before + after) / 2
            result["raw_range"] = f"{before:,.0f}-{after:,.0f}"
            results.append(result)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    print(
        f"{'backend':<10} {'appends/s':>10} {'bare commits/s':>15} {'ratio':>6} {'events':>8} "
        f"{'import ev/s':>12} {'cold open s':>14} {'+1 append s':>11} {'replay s':>14} "
        f"{'verify s':>14}   (wall, cpu)"
    )
    for r in results:
        print(
            f"{r['backend']:<10} {r['durable_appends_per_s']:>10,.0f} "
            f"{r['raw_commits_per_s']:>7,.0f} ({r['raw_range']}) "
            f"{r['raw_commits_per_s'] / r['durable_appends_per_s']:>5.2f}x {r['events']:>8,} "
            f"{r['import_per_s']:>12,.0f} "
            f"{r['cold_open_s']:>6.3f} ({r['cold_open_cpu_s']:.3f}) {r['cold_append_s']:>11.3f} "
            f"{r['replay_s']:>6.2f} ({r['replay_cpu_s']:.2f}) "
            f"{r['verify_s']:>6.2f} ({r['verify_cpu_s']:.2f})"
        )
    print(f"# load: {os.getloadavg()}")


if __name__ == "__main__":
    main()
