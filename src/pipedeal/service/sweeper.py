"""The deadline sweeper: records the lapse of every election window whose deadline has passed.

For each deal and each note whose running state (``ledger.tip()``) holds an open election
window (opened by a prepayment notice; its last day ``closes`` is the instrument layer's), once
the clock is past the window's deadline (the end of ``closes`` in ``Settings.deadline_zone``) the
sweeper records ``election_lapsed`` dated the day after ``closes`` (or the note's latest event,
if later), by the actor ``SWEEPER``, with the idempotency key
``sweep:election_lapsed:<purchaser>:<notice date>``. The key makes it exactly-once: a restart,
a rerun or a second server process finds the event stored and appends nothing. The prepayment
then shows as due for settlement (``ledger due``). Within the last 24 hours before a deadline
the sweep reminds the holders (once), and each sweep tells the issuers what falls due by the
next day (interest, maturity, a prepayment to settle; once per item), and the issuers and
the purchaser's holders of shares past their delivery deadline (``delivery_overdue``, once).
The clock is an argument (tests inject it).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from pipedeal.errors import UserError
from pipedeal.ledger import events as ev
from pipedeal.service.deals import DealRoom, retry_read_race
from pipedeal.service.outbox import (
    deadline,
    notify,
    reconcile,
    remind_closing,
    remind_due,
)

SWEEPER = "pipedeal-sweeper"
REMIND_BEFORE = dt.timedelta(hours=24)  # "your window closes within a day"
log = logging.getLogger("pipedeal.service.sweeper")


@dataclass(frozen=True)
class Lapse:
    deal: str
    purchaser: str
    notice_date: dt.date
    seq: int
    already_recorded: bool


def lapse_key(purchaser: str, notice_date: dt.date) -> str:
    return f"sweep:election_lapsed:{purchaser}:{notice_date.isoformat()}"


def sweep_elections(
    room: DealRoom, now: dt.datetime, deal_keys: list[str] | None = None
) -> list[Lapse]:
    """Record the lapse of every election window past its deadline at ``now``; the lapses
    recorded (or found already recorded by someone else)."""
    out: list[Lapse] = []
    for key in deal_keys if deal_keys is not None else room.store.deal_keys():
        out.extend(_sweep_deal(room, key, now))
    return out


@retry_read_race
def _sweep_deal(room: DealRoom, key: str, now: dt.datetime) -> list[Lapse]:
    zone = room.settings.deadline_zone
    out: list[Lapse] = []
    with room.using(key) as h:
        book = h.ledger.tip()
        for name, note in book.notes.items():
            w = note.window
            if w is None or w.status != "open":
                continue
            end = deadline(w.closes, zone)
            if now < end:
                if now >= end - REMIND_BEFORE:
                    remind_closing(room.store, key, h.loaded, name, w.notice_date, now, zone)
                continue
            day = w.closes + dt.timedelta(days=1)
            if note.last_date is not None and note.last_date > day:
                day = note.last_date
            try:
                rec = h.ledger.record(
                    ev.election_lapsed(name, day), key=lapse_key(name, w.notice_date),
                    by=SWEEPER,
                )
            except UserError as exc:
                if "was added outside the ledger" in exc.message:
                    raise  # the read race: retried
                # e.g. settled by another process meanwhile
                log.warning("sweep %s %s: not recorded: %s", key, name, exc.message)
                continue
            out.append(Lapse(key, name, w.notice_date, rec.seq, rec.already_recorded))
            notify(room.store, key, h.loaded, [rec], now, zone)
        records = h.ledger.events()
        h.publish(records)  # reads see the lapses from now on
        reconcile(room.store, key, h.loaded, records, now, zone)
        today = now.astimezone(ZoneInfo(zone)).date()
        due = h.ledger.due(today, 1)
        remind_due(room.store, key, [i.to_json() for i in due], now)
    return out
