"""What is due as an iCalendar file (``pipedeal ledger due --ics``), written with ``icalendar``.

The events are the items of ``pipedeal.ledger.due.due_items``, the list ``ledger due`` prints,
nothing recomputed: interest payments, maturity repayments, prepayment settlements and
registration deadlines are all-day events on their date; an election window's last day is an
event from the start of that day to its deadline, midnight after it in the deadline zone (the
deal room's ``deadline_zone``, as ``pipedeal.service.outbox.deadline`` computes it); a warrant
expiry is the instant the warrant expires, in the warrant's own time zone. Times carry their
zone (``TZID``) and the file holds a ``VTIMEZONE`` for each. Each event's UID is derived from
the deal, the item's kind, instrument and date, so importing a newer file updates the events
in a calendar instead of adding them twice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

from pipedeal.ledger.contract import Contract
from pipedeal.ledger.due import DueItem


def deadline_zone() -> str:
    """The zone an election window's last day ends in: the deal room's default."""
    from pipedeal.service.settings import Settings  # plain data, no server

    return Settings.deadline_zone

_TITLES = {
    "interest_payment": "Interest due",
    "maturity_repayment": "Maturity repayment",
    "election_window_closes": "Election window closes",
    "prepayment_settlement": "Prepayment may settle",
    "warrant_expiry": "Warrant expires",
    "share_delivery": "Shares to deliver",
    "registration_filing_deadline": "Registration statement filing deadline",
    "registration_effectiveness_deadline": "Registration statement effectiveness deadline",
}


def _money(amount: Decimal) -> str:
    return f"${amount:,.2f}"


def _summary(item: DueItem) -> str:
    who = item.instrument.partition(":")[2]  # none for the deal's own deadlines
    text = _TITLES.get(item.kind, item.kind) + (f": {who}" if who else "")
    if item.amount is not None:
        text += f" {_money(item.amount)}"
    if item.shares is not None:
        text += f" ({item.shares:,} shares)"
    return text + (" (OVERDUE)" if item.status == "overdue" else "")


def _uid(deal: str, item: DueItem) -> str:
    key = "\x1f".join((deal, item.kind, item.instrument, item.date.isoformat()))
    return f"{hashlib.sha256(key.encode()).hexdigest()[:32]}@pipedeal"


def _when(
    item: DueItem, contract: Contract, zone: str
) -> tuple[dt.date | dt.datetime, dt.date | dt.datetime | None]:
    """The event's start and end (None: an instant)."""
    if item.kind == "election_window_closes":
        from pipedeal.service.outbox import deadline  # the deal room's rule, one home

        end = deadline(item.date, zone)
        return dt.datetime.combine(item.date, dt.time(0), ZoneInfo(zone)), end
    if item.kind == "warrant_expiry":
        expiry = contract.dates(item.instrument.partition(":")[2]).warrant_expiry
        assert expiry is not None and expiry.tzinfo is not None  # a due expiry has a warrant
        return expiry, None
    return item.date, item.date + dt.timedelta(days=1)  # all day


def due_calendar(
    items: Sequence[DueItem],
    contract: Contract,
    *,
    as_of: dt.date,
    days: int,
    zone: str | None = None,
    stamp: dt.datetime | None = None,
) -> Calendar:
    """The calendar of ``items`` (``ledger.due(as_of, days)``) for the deal of ``contract``;
    election deadlines in ``zone`` (default ``deadline_zone()``)."""
    deal = contract.deal.name
    zone = zone or deadline_zone()
    cal = Calendar()
    cal.add("prodid", "-//pipedeal//ledger due//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", f"{deal}: due from {as_of.isoformat()} ({days} days)")
    now = stamp or dt.datetime.now(dt.UTC)
    for item in items:
        start, end = _when(item, contract, zone)
        event = Event()
        event.add("uid", _uid(deal, item))
        event.add("dtstamp", now)
        event.add("summary", _summary(item))
        event.add("dtstart", start)
        if end is not None:
            event.add("dtend", end)
        lines = [item.detail, f"deal: {deal}", f"instrument: {item.instrument}",
                 f"kind: {item.kind}", f"status: {item.status}"]  # fmt: skip
        if item.amount is not None:
            lines.append(f"amount: {item.amount}")
        if item.shares is not None:
            lines.append(f"shares: {item.shares}")
        event.add("description", "\n".join(lines))
        event.add("categories", [item.kind])
        cal.add_component(event)
    cal.add_missing_timezones()  # a VTIMEZONE for each TZID the events use
    return cal


def write_due_ics(
    cal: Calendar, path: Path | str, *, protect: Iterable[Path | str] = (),
    follow_symlinks: bool = False,
) -> None:  # fmt: skip
    """Write ``cal`` to ``path`` whole or not at all (``pipedeal.outfiles`` rules)."""
    from pipedeal.outfiles import write_atomic

    write_atomic(path, cal.to_ical(), "--ics", protect=protect, follow_symlinks=follow_symlinks)
