"""Deal-room load test: simulated holders and issuers against ``pipedeal serve`` on 127.0.0.1.

Run on purpose (not a test); bounded by ``--seconds`` and 127.0.0.1 only:

    python3 benchmarks/service_load.py --db sqlite --holders 50 --seconds 60 --rate 100
    source .ci/services.env && python3 benchmarks/service_load.py --db postgres ...

1. A scratch workspace (SQLite in a temporary data folder, or a fresh schema in
   ``$PIPEDEAL_TEST_PG_URL``'s database, dropped afterwards) with the Innovo example, ``--holders``
   holders bound to Purchasers 1-3 in turn and ``--issuers`` issuers, each with an API token.
2. ``pipedeal serve`` in its own process on a free port (``--sweep-interval 0``).
3. An open-loop client (asyncio, one ``httpx.AsyncClient``) starts requests at ``--rate`` per
   second for ``--seconds``: each from a random user; ``--writes`` of them writes (a holder: a
   one-share warrant exercise of its own purchaser; an issuer: a memo), each with a unique
   ``Idempotency-Key``; the rest reads (a holder: its state, notices, inbox or the deal's head;
   an issuer: the due list, the state or the head). At most ``--concurrency`` requests are in
   flight; a request that cannot start on time starts late (counted).
4. Latency is measured from the request's start to its answer; p50/p99 per class (read, write)
   and per endpoint, throughput, errors (any answer other than 200/201, or a transport error).
5. The server is stopped (SIGTERM) and the ledger checked in this process: every acknowledged
   write (201) is in the log exactly once, at the sequence number it was acknowledged with,
   and ``verify`` is ok.

Prints a JSON summary (and ``--json FILE``).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from pipedeal.service import security  # noqa: E402
from pipedeal.service.deals import DealRoom  # noqa: E402
from pipedeal.service.settings import Settings  # noqa: E402
from pipedeal.service.store import Store  # noqa: E402

EXAMPLE = ROOT / "examples" / "innovo-2004"
DEAL = "Innovo Group 2004 convertible notes and warrants"
PURCHASERS = ("Purchaser 1", "Purchaser 2", "Purchaser 3")
DAY = "2004-07-01"
D = "/deals/" + quote(DEAL)


@dataclass
class Sim:
    name: str
    role: str
    token: str
    purchaser: str | None = None


@dataclass
class Results:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    by_class: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter[str] = field(default_factory=Counter)
    acked: list[tuple[str, int]] = field(default_factory=list)  # (ledger key, seq)
    late: int = 0
    sent: int = 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pg_schema_url(base: str) -> tuple[str, str]:
    schema = f"load_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(base)
    with engine.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options=-csearch_path%3D{schema}", schema


def drop_schema(base: str, schema: str) -> None:
    engine = sa.create_engine(base)
    with engine.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    engine.dispose()


def setup(settings: Settings, holders: int, issuers: int) -> list[Sim]:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    store = Store(settings.url)
    room = DealRoom(settings, store)
    now = dt.datetime.now(dt.UTC)
    try:
        room.import_folder(EXAMPLE, "bench", now)
        hashed = security.hash_password("benchmark password not used")
        sims: list[Sim] = []
        plan = [(f"holder{i:03d}", "holder", PURCHASERS[i % 3]) for i in range(holders)]
        plan += [(f"issuer{i}", "issuer", None) for i in range(issuers)]
        for name, role, purchaser in plan:
            user = store.add_user(name, hashed, False, now)
            store.add_grant(user.id, DEAL, role, purchaser, "bench", now)
            secret = security.new_token()
            store.add_token(user.id, security.digest(secret), "bench", role, now,
                            now + dt.timedelta(days=1))
            sims.append(Sim(name, role, secret, purchaser))
        return sims
    finally:
        room.close()
        store.close()


def start_server(settings: Settings, port: int, log: Path,
                 workers: int = 1) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "pipedeal", "serve", "--data", str(settings.data_dir),
           "--port", str(port), "--sweep-interval", "0", "--workers", str(workers)]
    if settings.db_url:
        cmd += ["--db", settings.db_url]
    out = log.open("wb")
    proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"pipedeal serve exited ({proc.returncode}); see {log}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise SystemExit("pipedeal serve did not answer /health within 90 s")


def pick(rng: random.Random, sim: Sim, writes: float, n: int) -> tuple[str, str, str, Any]:
    """(endpoint label, method, path, JSON body or query) for one request."""
    if rng.random() < writes:
        if sim.role == "holder":
            body = {"kind": "warrant_exercised", "date": DAY, "shares": 1, "method": "cash"}
        else:
            body = {"kind": "memo", "date": DAY, "text": f"load test memo {n}"}
        return "POST events", "POST", f"{D}/events", body
    r = rng.random()
    if sim.role == "holder":
        if r < 0.35:
            return "GET state", "GET", f"{D}/state", {"as_of": DAY}
        if r < 0.55:
            return "GET notices", "GET", f"{D}/notices", {"as_of": DAY}
        if r < 0.8:
            return "GET inbox", "GET", "/inbox", None
        return "GET deal", "GET", D, None
    if r < 0.4:
        return "GET due", "GET", f"{D}/due", {"as_of": DAY, "days": 30}
    if r < 0.7:
        return "GET state", "GET", f"{D}/state", {"as_of": DAY}
    return "GET deal", "GET", D, None


async def one(client: httpx.AsyncClient, res: Results, sim: Sim, req: tuple[str, str, str, Any],
              n: int) -> None:
    label, method, path, payload = req
    headers = {"Authorization": f"Bearer {sim.token}"}
    t = time.perf_counter()
    try:
        if method == "POST":
            headers["Idempotency-Key"] = f"load-{n}-{uuid.uuid4().hex[:8]}"
            r = await client.post(path, json=payload, headers=headers)
        else:
            r = await client.get(path, params=payload, headers=headers)
    except httpx.HTTPError as exc:
        res.errors[f"{label}: {type(exc).__name__}"] += 1
        return
    ms = (time.perf_counter() - t) * 1000
    ok = r.status_code in (200, 201)
    if not ok:
        res.errors[f"{label}: {r.status_code}"] += 1
        return
    res.latencies[label].append(ms)
    res.by_class["write" if method == "POST" else "read"].append(ms)
    if method == "POST":
        rec = r.json()["record"]
        res.acked.append((rec["idempotency_key"], int(rec["seq"])))


async def drive(port: int, sims: list[Sim], rate: float, seconds: float, writes: float,
                concurrency: int, seed: int) -> tuple[Results, float]:
    rng = random.Random(seed)
    res = Results()
    sem = asyncio.Semaphore(concurrency)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", limits=limits,
                                 timeout=30) as client:
        tasks: set[asyncio.Task[None]] = set()

        async def guarded(sim: Sim, req: tuple[str, str, str, Any], n: int) -> None:
            try:
                await one(client, res, sim, req, n)
            finally:
                sem.release()

        start = time.perf_counter()
        total = int(rate * seconds)
        for n in range(total):
            due = start + n / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            await sem.acquire()
            if time.perf_counter() - due > 0.05:
                res.late += 1
            sim = rng.choice(sims)
            task = asyncio.create_task(guarded(sim, pick(rng, sim, writes, n), n))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            res.sent += 1
        if tasks:
            await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - start
    return res, elapsed


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return round(values[0], 1)
    return round(statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1], 1)


def check_ledger(settings: Settings, acked: list[tuple[str, int]]) -> dict[str, Any]:
    store = Store(settings.url)
    room = DealRoom(settings, store)
    try:
        h = room.handle(DEAL)
        events = h.ledger.events()
        keys = Counter(e.idempotency_key for e in events)
        seq_of = {e.idempotency_key: e.seq for e in events}
        missing = [k for k, _ in acked if keys[k] == 0]
        twice = [k for k, _ in acked if keys[k] > 1]
        wrong_seq = [k for k, s in acked if keys[k] == 1 and seq_of[k] != s]
        report = h.ledger.verify()
        return {
            "events_in_log": len(events),
            "acknowledged_writes": len(acked),
            "distinct_acknowledged": len({k for k, _ in acked}),
            "missing": len(missing),
            "present_twice": len(twice),
            "at_another_seq": len(wrong_seq),
            "verify_ok": report.ok,
            "verify_problem": report.problem,
        }
    finally:
        room.close()
        store.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", default="sqlite", help="sqlite | postgres | a PostgreSQL URL")
    ap.add_argument("--holders", type=int, default=50)
    ap.add_argument("--issuers", type=int, default=2)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--rate", type=float, default=100.0, help="requests started per second")
    ap.add_argument("--writes", type=float, default=0.2, help="share of writes")
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workers", type=int, default=1, help="pipedeal serve --workers")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    if args.seconds > 600 or args.rate > 2000:
        raise SystemExit("bounded: --seconds at most 600, --rate at most 2000")

    tmp = Path(tempfile.mkdtemp(prefix="pipedeal-load-"))
    base_url: str | None = None
    schema: str | None = None
    db_url: str | None = None
    if args.db != "sqlite":
        base_url = args.db if "://" in args.db else os.environ.get("PIPEDEAL_TEST_PG_URL")
        if not base_url:
            raise SystemExit("--db postgres needs $PIPEDEAL_TEST_PG_URL (.ci/services.env)")
        db_url, schema = pg_schema_url(base_url)
    settings = Settings(data_dir=tmp / "room", db_url=db_url, sweep_interval_s=0)
    proc: subprocess.Popen[bytes] | None = None
    try:
        sims = setup(settings, args.holders, args.issuers)
        port = free_port()
        load_before = os.getloadavg()
        proc = start_server(settings, port, tmp / "serve.log", args.workers)
        res, elapsed = asyncio.run(drive(port, sims, args.rate, args.seconds, args.writes,
                                         args.concurrency, args.seed))
        load_after = os.getloadavg()
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)
        ledger = check_ledger(settings, res.acked)
        done = sum(len(v) for v in res.by_class.values())
        summary = {
            "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "machine": f"{platform.machine()} {os.cpu_count()} cpus, {platform.system()}",
            "db": "sqlite" if db_url is None else "postgresql",
            "workers": args.workers,
            "holders": args.holders, "issuers": args.issuers, "seconds": args.seconds,
            "target_rate": args.rate, "write_share": args.writes,
            "sent": res.sent, "ok": done, "late_starts": res.late,
            "elapsed_s": round(elapsed, 1),
            "throughput_rps": round(done / elapsed, 1),
            "errors": dict(res.errors),
            "classes": {
                c: {"n": len(v), "p50_ms": pct(v, 50), "p99_ms": pct(v, 99)}
                for c, v in sorted(res.by_class.items())
            },
            "endpoints": {
                e: {"n": len(v), "p50_ms": pct(v, 50), "p99_ms": pct(v, 99)}
                for e, v in sorted(res.latencies.items())
            },
            "load_before": [round(x, 2) for x in load_before],
            "load_after": [round(x, 2) for x in load_after],
            "ledger": ledger,
        }
        text = json.dumps(summary, indent=2)
        print(text)
        if args.json:
            args.json.write_text(text + "\n")
        bad = (ledger["missing"] or ledger["present_twice"] or ledger["at_another_seq"]
               or not ledger["verify_ok"])
        if bad:
            raise SystemExit("ledger check failed")
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill()
        if base_url and schema:
            drop_schema(base_url, schema)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
