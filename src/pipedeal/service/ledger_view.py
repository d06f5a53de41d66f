"""Reads without waiting for writes: an immutable view of a deal's ledger as last committed.

A write holds the deal's lock (``DealRoom.using``) for the whole append (build the event, the
database transaction, its fsync). Reads do not need that lock: they are served from a
``LedgerView``, a frozen copy of the log (its records, the running book folded from them, the
head), published under the lock right after each write and each catch-up with what other
processes appended (``advance``: the new events folded onto the previous view's book; a
correction refolds the effective log). A reader first checks the database's committed head
(``DealRoom.reading``): when it is the view's, the view is the last committed state; when
another process has appended since, the reader catches up under the lock.

States are the log's own fold (``rules.apply`` over the effective events, as the ledger's
``state`` does): the book at the tip answers any date on or after the last event; an earlier
date replays the events up to it.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass, field

from pipedeal.instruments.deal import LoadedDeal
from pipedeal.ledger.chain import RecordedEvent, genesis_hash
from pipedeal.ledger.corrections import effective
from pipedeal.ledger.due import DueItem, due_items
from pipedeal.ledger.events import Event, EventKind
from pipedeal.ledger.rules import Book, LedgerState, apply, replay, snapshot

_STATES_KEPT = 32  # states by date kept per view (a view lives until the next write)


@dataclass(frozen=True)
class LedgerView:
    contract: LoadedDeal
    seq: int  # the head: last sequence number and its hash
    hash: str
    records: tuple[RecordedEvent, ...]
    counted: tuple[Event, ...]  # the effective events (neither voided nor corrections)
    book: Book  # folded from ``counted``
    last_date: dt.date | None  # latest date among ``counted``
    _states: dict[dt.date, LedgerState] = field(default_factory=dict, compare=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, compare=False, repr=False)

    def events(self, as_of: dt.date | None = None) -> tuple[RecordedEvent, ...]:
        if as_of is None:
            return self.records
        return tuple(r for r in self.records if r.event.date <= as_of)

    def tip(self) -> Book:
        """The running book after every event (what the next event is checked against)."""
        return self.book

    def state(self, as_of: dt.date) -> LedgerState:
        """The state at the end of ``as_of`` (``Ledger.state``'s answer at this head)."""
        hit = self._states.get(as_of)
        if hit is not None:
            return hit
        if self.last_date is None or self.last_date <= as_of:
            state = snapshot(self.contract, self.book, as_of, self.counted)
        else:
            state = replay(self.contract, self.counted, as_of)
        with self._lock:
            if len(self._states) >= _STATES_KEPT:
                self._states.clear()
            self._states[as_of] = state
        return state

    def due(self, as_of: dt.date, days: int = 30) -> tuple[DueItem, ...]:
        return due_items(self.contract, self.state(as_of), days)


def advance(
    contract: LoadedDeal, deal_key: str, view: LedgerView | None,
    records: tuple[RecordedEvent, ...],
) -> LedgerView:
    """The view of ``records`` (the whole log, as the ledger read it): ``view`` itself when
    nothing was added, the new events folded onto its book when they only extend it."""
    if view is not None and len(records) >= len(view.records):
        n = len(view.records)
        same_prefix = n == 0 or records[n - 1].hash == view.hash
        added = records[n:]
        if same_prefix and not added:
            return view
        if same_prefix and all(r.event.kind is not EventKind.CORRECTION for r in added):
            book, counted = view.book, list(view.counted)
            for rec in added:
                book = apply(contract, book, rec.event)
                counted.append(rec.event)
            dates = [d for d in (view.last_date, *(r.event.date for r in added)) if d]
            last = max(dates, default=None)
            return LedgerView(contract, records[-1].seq, records[-1].hash, records,
                              tuple(counted), book, last)
    counted_events = tuple(r.event for r in effective(records))
    book = Book.empty(contract)
    for event in counted_events:
        book = apply(contract, book, event)
    head_seq, head_hash = (records[-1].seq, records[-1].hash) if records else (
        0, genesis_hash(deal_key))
    last = max((e.date for e in counted_events), default=None)
    return LedgerView(contract, head_seq, head_hash, records, counted_events, book, last)
