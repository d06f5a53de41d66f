"""Crash soak: SIGKILL a process that appends to the ledger, over and over, and count losses.

Each round forks a child that opens the deal's ledger and appends events (one transaction each),
writing ``BEGIN key`` before and ``ACK seq key`` after each commit to a pipe; the parent kills it
with SIGKILL at a random moment, then checks that every acknowledged event is stored exactly once
at its sequence number, that at most the one in flight was added, and (every ``--verify-every``
rounds and at the end) that the chain verifies. An unanswered append is retried with its key, as a
client would: it must be applied once. Prints one summary line per backend.

    python benchmarks/crash_soak.py --kills 1000 --backend sqlite
    python benchmarks/crash_soak.py --kills 1000 --backend postgres --db "$PIPEDEAL_TEST_PG_URL"
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing
import os
import random
import shutil
import signal
import sys
import tempfile
import time
import uuid
from pathlib import Path

from pipedeal.ledger import events as ev
from pipedeal.ledger import init_ledger, open_ledger

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "innovo-2004"
DAY = dt.date(2004, 7, 1)
FORK = multiprocessing.get_context("fork")


def event_for(i: int) -> ev.Event:
    """Event ``i``: always allowed by the Innovo terms (memos and one-share exercises)."""
    name = ("Purchaser 1", "Purchaser 2", "Purchaser 3")[i % 3]
    return ev.memo(DAY, f"soak event {i}") if i % 2 else ev.warrant_exercised(name, DAY, 1)


def child(deal_dir: Path, db: str | None, key: str | None, start: int, fd: int) -> None:
    ledger = open_ledger(deal_dir, db, deal_key=key)
    ledger.refresh()
    os.write(fd, b"READY\n")
    i = start
    while True:
        os.write(fd, f"BEGIN s{i}\n".encode())
        rec = ledger.record(event_for(i), key=f"s{i}", by="soak")
        os.write(fd, f"ACK {rec.seq} s{i}\n".encode())
        i += 1


def read_all(fd: int) -> str:
    out = b""
    while chunk := os.read(fd, 65536):
        out += chunk
    return out.decode()


def soak(deal_dir: Path, db: str | None, key: str | None, kills: int, verify_every: int,
         seed: int) -> dict[str, float]:
    rng = random.Random(seed)
    with init_ledger(deal_dir, db, deal_key=key):
        pass
    acked: dict[str, int] = {}
    next_i, in_flight_kills, lost, twice = 0, 0, 0, 0
    started = time.perf_counter()
    for n in range(1, kills + 1):
        r, w = os.pipe()
        proc = FORK.Process(target=child, args=(deal_dir, db, key, next_i, w))
        proc.start()
        os.close(w)
        ready = b""
        while b"READY\n" not in ready:
            ready += os.read(r, 64)
        time.sleep(rng.uniform(0.0, 0.03))
        os.kill(proc.pid, signal.SIGKILL)
        proc.join()
        lines = (ready.decode() + read_all(r)).splitlines()
        os.close(r)
        begun = [x.split()[1] for x in lines if x.startswith("BEGIN")]
        for x in lines:
            if x.startswith("ACK"):
                _, seq, k = x.split()
                acked[k] = int(seq)
        inflight = begun[-1] if begun and begun[-1] not in acked else None
        with open_ledger(deal_dir, db, deal_key=key) as ledger:
            stored = {rec.idempotency_key: rec.seq for rec in ledger.events()
                      if rec.idempotency_key.startswith("s")}
            lost += sum(1 for k, seq in acked.items() if stored.get(k) != seq)
            extra = set(stored) - set(acked)
            twice += len(extra - ({inflight} if inflight else set()))
            if inflight is not None:
                in_flight_kills += 1
                again = ledger.record(event_for(int(inflight[1:])), key=inflight, by="soak")
                acked[inflight] = again.seq
            if n % verify_every == 0 or n == kills:
                report = ledger.verify()
                if not report.ok:
                    raise SystemExit(f"verify failed after {n} kills: {report.problem}")
        next_i = max((int(k[1:]) for k in acked), default=-1) + 1
    with open_ledger(deal_dir, db, deal_key=key) as ledger:
        final = [rec.idempotency_key for rec in ledger.events()
                 if rec.idempotency_key.startswith("s")]
    return {
        "kills": kills, "acknowledged": len(acked), "stored": len(final),
        "duplicates": len(final) - len(set(final)) + twice, "lost": lost,
        "kills_mid_append": in_flight_kills, "seconds": time.perf_counter() - started,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=1000)
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--db", help="PostgreSQL URL (postgres backend)")
    parser.add_argument("--verify-every", type=int, default=50)
    parser.add_argument("--seed", type=int, default=20040615)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        deal_dir = Path(tmp) / "deal"
        shutil.copytree(EXAMPLE, deal_dir)
        db = args.db if args.backend == "postgres" else None
        if args.backend == "postgres" and not db:
            sys.exit("--db URL is needed for the postgres backend")
        key = f"soak-{uuid.uuid4().hex[:8]}" if db else None
        result = soak(deal_dir, db, key, args.kills, args.verify_every, args.seed)
    load = os.getloadavg()
    print(f"{args.backend}: " + ", ".join(f"{k} {v:.1f}" if isinstance(v, float) else f"{k} {v}"
                                          for k, v in result.items())
          + f"; load {load[0]:.1f} {load[1]:.1f}")
    if result["lost"] or result["duplicates"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
