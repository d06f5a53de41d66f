"""A deal and what happened to it, read once: the loaded deal, its ledger's events and the
chain's verification, and the state at any date as one fold over the log.

``deal_record(deal_dir, db)`` loads the deal (``pipedeal.instruments.load``) and, when a ledger
exists, reads its events once. ``DealRecord.state(as_of)`` is the ledger's state at the end of
``as_of`` (the terms' own state, ``assumed.terms_state``, when nothing was recorded). The log is
folded once, date by date, and each date's running state is kept, so asking for many dates
replays nothing twice. Every view (valuation, cap table, accounting, the book) reads this.
"""

from __future__ import annotations

import bisect
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from pipedeal.instruments.deal import LoadedDeal, load
from pipedeal.ledger.assumed import assumed_events
from pipedeal.ledger.chain import RecordedEvent, VerifyReport
from pipedeal.ledger.corrections import effective
from pipedeal.ledger.events import Event
from pipedeal.ledger.rules import Book, LedgerState, apply, snapshot


@dataclass(frozen=True)
class Step:
    """One recorded event and the running state before and after it."""

    recorded: RecordedEvent
    before: Book
    after: Book

    @property
    def event(self) -> Event:
        return self.recorded.event


@dataclass(frozen=True)
class DealRecord:
    deal: LoadedDeal
    recorded: tuple[RecordedEvent, ...] | None = None  # None: the deal has no ledger
    location: str | None = None
    verify: VerifyReport | None = None
    _cache: dict[str, object] = field(default_factory=dict, repr=False, compare=False)

    @property
    def has_ledger(self) -> bool:
        return self.recorded is not None

    @property
    def source(self) -> str:
        """"ledger" when states come from recorded events, "terms" when they are assumed."""
        return "ledger" if self.recorded else "terms"

    @property
    def events(self) -> tuple[Event, ...]:
        """The events states are folded from: the ledger's, else the terms' assumed ones."""
        if self.recorded:
            return tuple(r.event for r in self.counted)
        return assumed_events(self.deal)

    @property
    def counted(self) -> tuple[RecordedEvent, ...]:
        """The recorded events states are folded over: voided events and the corrections that
        voided them left out (``ledger.corrections``)."""
        return tuple(effective(self.recorded or ()))

    def event_dates(self) -> list[dt.date]:
        return sorted({e.date for e in self.events})

    @property
    def last_event_date(self) -> dt.date | None:
        return max((r.event.date for r in self.counted), default=None)

    def _folded(self) -> tuple[list[dt.date], list[Book], list[int]]:
        """One pass over the log: the running book after each event date, and how many events
        it holds."""
        hit = self._cache.get("folded")
        if hit is None:
            dates: list[dt.date] = []
            books: list[Book] = []
            counts: list[int] = []
            book = Book.empty(self.deal)
            events = self.events
            applied = list(events)
            # events are recorded in date order per instrument, not globally: fold in recorded
            # order, keeping a book only once no later-recorded event is dated on or before it
            order = sorted(range(len(applied)), key=lambda i: applied[i].date)
            if order == list(range(len(applied))):
                for i, e in enumerate(applied):
                    book = apply(self.deal, book, e)
                    if i + 1 == len(applied) or applied[i + 1].date != e.date:
                        dates.append(e.date)
                        books.append(book)
                        counts.append(i + 1)
            hit = (dates, books, counts)
            self._cache["folded"] = hit
        return hit  # type: ignore[return-value]

    def steps(self, as_of: dt.date) -> tuple[Step, ...]:
        """Each counted event (not voided, not a correction) dated on or before ``as_of``, in
        recorded order, with the running state just before and just after it."""
        key = f"steps:{as_of.isoformat()}"
        hit = self._cache.get(key)
        if hit is None:
            out: list[Step] = []
            book = Book.empty(self.deal)
            for rec in self.counted:
                if rec.event.date > as_of:
                    continue
                after = apply(self.deal, book, rec.event)
                out.append(Step(rec, book, after))
                book = after
            hit = tuple(out)
            self._cache[key] = hit
        return hit  # type: ignore[return-value]

    def state(self, as_of: dt.date) -> LedgerState:
        """The state at the end of ``as_of``."""
        key = f"state:{as_of.isoformat()}"
        hit = self._cache.get(key)
        if hit is not None:
            return hit  # type: ignore[return-value]
        events = self.events
        dates, books, counts = self._folded()
        if dates or not events:
            i = bisect.bisect_right(dates, as_of)
            book = books[i - 1] if i else Book.empty(self.deal)
            applied = events[: counts[i - 1]] if i else ()
            state = snapshot(self.deal, book, as_of, tuple(applied))
        else:  # recorded out of global date order: fold the events dated up to as_of
            from pipedeal.ledger.rules import replay

            state = replay(self.deal, events, as_of)
        self._cache[key] = state
        return state


def deal_record(
    deal: Path | str | LoadedDeal,
    db: str | None = None,
    *,
    verify: bool = True,
    deal_key: str | None = None,
) -> DealRecord:
    """The deal (loaded once, unless ``deal`` is already loaded) and its ledger's events (read
    once; none when the deal has no ledger). ``deal_key``: the deal's key in a database holding
    several (default: its name). Never creates a database."""
    from pipedeal.ledger.opening import ledger_exists, open_ledger

    loaded = deal if isinstance(deal, LoadedDeal) else load(deal)
    folder = loaded.folder
    if folder is None or not ledger_exists(
        folder, db, deal_key=deal_key, deal_name=loaded.terms.name
    ):
        return DealRecord(loaded)
    with open_ledger(folder, db, deal_key=deal_key, contract=loaded) as ledger:
        recorded = ledger.events()
        report = ledger.verify() if verify else None
        return DealRecord(loaded, recorded, ledger.location, report)
