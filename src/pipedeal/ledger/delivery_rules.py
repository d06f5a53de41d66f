"""Share delivery: the transfer agent delivers the shares a conversion or an exercise issued.

Each instrument keeps its shares issued against those delivered (``Book.deliveries``, keyed by
``note:NAME`` / ``warrant:NAME``), with what is still owed per day of issue (one entry per day),
oldest first. The rules that issue shares (conversion, election to convert, warrant exercise)
live in ``note_rules``, ``prepayment_rules`` and ``warrant_rules`` and know nothing of delivery:
``rules.apply`` calls ``owe_delivery`` after each of them, so that the shares it adds to the
instrument's issued count open an owed delivery dated on its event. ``shares_delivered`` then
settles the oldest owed shares first and may not deliver more than is owed.

A delivery may name the conversion or exercise it settles (``settles``, a sequence number);
the rules see no sequence numbers, so ``check_settles`` checks that reference against the log
(the CLI and the service call it before recording). The deadline for a delivery is a contract
term answered by the instrument (``NoteInstrument.delivery_deadline``,
``WarrantInstrument.delivery_deadline``); ``due`` lists what is past it.
"""

from __future__ import annotations

from collections.abc import Sequence

from pipedeal.ledger.contract import Contract
from pipedeal.ledger.corrections import Logged, voided_by
from pipedeal.ledger.events import Event, EventKind, SharesDelivered
from pipedeal.ledger.registry import RuleViolation, _check_order, register
from pipedeal.ledger.state import Book, Deliveries, Owed, replace

#: the kinds whose events issue shares to deliver
ISSUING = (EventKind.CONVERSION, EventKind.CONVERSION_ELECTION, EventKind.WARRANT_EXERCISED)


def issued_on(book: Book, instrument: str) -> int:
    """Shares the instrument has issued so far: on conversion (note) or exercise (warrant,
    net shares for a cashless exercise)."""
    kind, _, name = instrument.partition(":")
    if kind == "note":
        note = book.notes.get(name)
        return 0 if note is None else note.shares_issued
    warrant = book.warrants.get(name)
    return 0 if warrant is None else warrant.delivered


def deliveries_of(book: Book, instrument: str) -> Deliveries:
    return book.deliveries.get(instrument) or Deliveries()


def _with(book: Book, instrument: str, d: Deliveries) -> Book:
    table = dict(book.deliveries)
    table[instrument] = d
    return replace(book, deliveries=table)


def owe_delivery(before: Book, after: Book, event: Event) -> Book:
    """``after`` (the book after a share-issuing ``event``) with the shares the event issued
    recorded as owed on its date (``rules.apply`` calls it after each ``ISSUING`` rule)."""
    added = issued_on(after, event.instrument) - issued_on(before, event.instrument)
    if added <= 0:
        return after
    d = deliveries_of(after, event.instrument)
    if d.owed and d.owed[-1].date == event.date:  # one entry per day of issue
        owed = (*d.owed[:-1], Owed(event.date, d.owed[-1].shares + added))
    else:
        owed = (*d.owed, Owed(event.date, added))
    return _with(after, event.instrument, replace(d, issued=d.issued + added, owed=owed))


@register(EventKind.SHARES_DELIVERED, payload=SharesDelivered, applies_to="any")
def _shares_delivered(contract: Contract, book: Book, event: Event, pl: SharesDelivered) -> Book:
    name = event.purchaser
    assert name is not None  # events: a note or a warrant
    contract.purchaser(name)
    if event.instrument_type == "note":
        last = book.notes[name].last_date
    else:
        if name not in book.warrants:
            raise RuleViolation("warrant", "this deal has no warrants")
        last = book.warrants[name].last_date
    _check_order(contract, book, event, last)
    d = deliveries_of(book, event.instrument)
    if pl.shares > d.undelivered:
        raise RuleViolation(
            "shares_delivered.shares",
            f"delivering {pl.shares:,} shares but {d.undelivered:,} issued on "
            f"{event.instrument} are undelivered",
        )
    first = d.owed[0].date
    if event.date < first:
        raise RuleViolation(
            "shares_delivered.date",
            f"the delivery on {event.date} is before the shares were issued on {first}",
        )
    left, owed = pl.shares, list(d.owed)
    while left:  # oldest first
        head = owed[0]
        take = min(left, head.shares)
        left -= take
        if take == head.shares:
            owed.pop(0)
        else:
            owed[0] = Owed(head.date, head.shares - take)
    d = replace(d, delivered=d.delivered + pl.shares, owed=tuple(owed))
    book = _with(book, event.instrument, d)
    # the delivery is the instrument's latest event (ordering), and counts as one applied
    if event.instrument_type == "note":
        notes = dict(book.notes)
        notes[name] = replace(notes[name], last_date=event.date)
        return replace(book, notes=notes, count=book.count + 1)
    warrants = dict(book.warrants)
    warrants[name] = replace(warrants[name], last_date=event.date)
    return replace(book, warrants=warrants, count=book.count + 1)


def check_settles(records: Sequence[Logged], event: Event) -> None:
    """A delivery's ``settles`` names a conversion, election or exercise on the same
    instrument in ``records`` (the log before it), not voided."""
    assert isinstance(event.payload, SharesDelivered)
    seq = event.payload.settles
    if seq is None:
        return
    target = next((r for r in records if r.seq == seq), None)
    if target is None:
        raise RuleViolation("shares_delivered.settles", f"there is no event {seq}")
    if target.event.kind not in ISSUING or target.event.instrument != event.instrument:
        raise RuleViolation(
            "shares_delivered.settles",
            f"event {seq} is a {target.event.kind.value} on {target.event.instrument}, not a "
            f"conversion or exercise on {event.instrument}",
        )
    if seq in voided_by(records):
        raise RuleViolation("shares_delivered.settles", f"event {seq} was voided")
