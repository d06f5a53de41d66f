"""Child processes for the crash-safety and concurrency tests (started with ``fork``).

Each child opens its own engine and appends a deterministic stream of events, one transaction
each. Progress goes to a pipe as whole lines: ``BEGIN key`` before an append, ``ACK seq key``
after the commit returned (the event is then acknowledged: durable and final).
"""

from __future__ import annotations

import datetime as dt
import os
import time
import traceback

from pipedeal.errors import UserError
from pipedeal.ledger import Contract, Event, open_ledger
from pipedeal.ledger import events as ev

PURCHASERS = ("Purchaser 1", "Purchaser 2", "Purchaser 3")
DAY = dt.date(2004, 7, 1)


def event_for(worker: int, i: int) -> Event:
    """Event ``i`` of ``worker``: always allowed by the Innovo terms, in any interleaving."""
    name = PURCHASERS[(worker + i) % 3]
    kind = i % 3
    if kind == 0:
        return ev.memo(DAY, f"worker {worker} event {i}")
    if kind == 1:
        return ev.warrant_exercised(name, DAY, 1)
    return ev.interest_paid(name, DAY, "0.01", dt.date(2004, 6, 30))


def key_for(worker: int, i: int) -> str:
    return f"w{worker}-{i}"


def parse_key(key: str) -> tuple[int, int]:
    worker, i = key[1:].split("-")
    return int(worker), int(i)


def _say(fd: int, line: str) -> None:
    os.write(fd, (line + "\n").encode())


def append_forever(
    deal_dir, db: str | None, deal_key: str | None, contract: Contract, worker: int, start: int,
    fd: int,
) -> None:  # fmt: skip
    """Crash child: append events from ``start`` on until killed."""
    try:
        ledger = open_ledger(deal_dir, db, deal_key=deal_key, contract=contract)
        ledger.refresh()
        _say(fd, "READY")
        i = start
        while True:
            key = key_for(worker, i)
            _say(fd, f"BEGIN {key}")
            rec = ledger.record(event_for(worker, i), key=key, by=f"crash-child-{worker}")
            _say(fd, f"ACK {rec.seq} {key}")
            i += 1
    except BaseException:  # noqa: BLE001 - report anything but SIGKILL to the parent
        _say(fd, "ERROR " + traceback.format_exc().replace("\n", " | "))
        raise


def append_n(
    deal_dir, db: str | None, deal_key: str | None, contract: Contract, worker: int, n: int,
    go, fd: int,
) -> None:  # fmt: skip
    """Concurrency child: wait for ``go``, append ``n`` events, retrying on any failure."""
    try:
        ledger = open_ledger(deal_dir, db, deal_key=deal_key, contract=contract)
        ledger.refresh()
        _say(fd, "READY")
        go.wait()
        retries = 0
        for i in range(n):
            key = key_for(worker, i)
            for attempt in range(20):
                try:
                    rec = ledger.record(event_for(worker, i), key=key, by=f"worker-{worker}")
                    break
                except UserError:
                    raise
                except Exception:  # noqa: BLE001 - a transient failure: retry the same key
                    retries += 1
                    if attempt == 19:
                        raise
                    time.sleep(0.01 * (attempt + 1))
            _say(fd, f"ACK {rec.seq} {key}")
        _say(fd, f"DONE {retries}")
        ledger.close()
    except BaseException:  # noqa: BLE001
        _say(fd, "ERROR " + traceback.format_exc().replace("\n", " | "))
        raise
