"""Corrections: an event recorded by mistake is voided by a later ``correction`` event.

The log is append-only and the hash chain keeps both the mistaken event and its correction, but
every state, journal and cap table is folded over the *effective* log: the recorded events less
the voided ones and less the corrections themselves. A voided event is treated as never having
happened, as of every date (the books are restated, as a controller restates them); ``history``
shows each voided event next to the correction that voided it.

A correction voids one earlier event on the same instrument that is not itself a correction and
not already voided, and the effective log without it must still pass every rule (voiding an
interest payment that a later conversion relied on is refused, naming the event that breaks).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NamedTuple, Protocol, TypeVar

from pipedeal.ledger.contract import Contract
from pipedeal.ledger.events import Correction, Event, EventKind
from pipedeal.ledger.registry import RuleViolation, register
from pipedeal.ledger.state import Book


class Logged(Protocol):
    """An event with its sequence number (a ``RecordedEvent``, or a row being verified)."""

    @property
    def seq(self) -> int: ...

    @property
    def event(self) -> Event: ...


class Numbered(NamedTuple):
    seq: int
    event: Event


L = TypeVar("L", bound=Logged)


def voided_by(records: Iterable[Logged]) -> dict[int, int]:
    """Sequence number of each voided event → the sequence number of its correction."""
    out: dict[int, int] = {}
    for rec in records:
        if rec.event.kind is EventKind.CORRECTION:
            assert isinstance(rec.event.payload, Correction)
            out[rec.event.payload.voids] = rec.seq
    return out


def effective(records: Sequence[L]) -> list[L]:
    """The records every state is folded over: neither voided nor corrections."""
    voided = voided_by(records)
    if not voided:
        return list(records)
    return [r for r in records if r.seq not in voided and r.event.kind is not EventKind.CORRECTION]


def check_correction(records: Sequence[Logged], event: Event) -> None:
    """``event`` (a correction) may void its target: one of ``records`` (the log before it)
    on the same instrument, not a correction, not voided yet. The replay is checked by the
    caller (``refold``)."""
    assert isinstance(event.payload, Correction)
    target_seq = event.payload.voids
    target = next((r for r in records if r.seq == target_seq), None)
    if target is None:
        raise RuleViolation("correction.voids", f"there is no event {target_seq} to void")
    if target.event.kind is EventKind.CORRECTION:
        raise RuleViolation(
            "correction.voids", f"event {target_seq} is a correction; corrections are final"
        )
    if target_seq in voided_by(records):
        raise RuleViolation(
            "correction.voids",
            f"event {target_seq} was already voided by event {voided_by(records)[target_seq]}",
        )
    if event.instrument != target.event.instrument:
        raise RuleViolation(
            "correction.instrument",
            f"event {target_seq} is on {target.event.instrument}, not {event.instrument}",
        )


def refold(contract: Contract, records: Sequence[Logged]) -> Book:
    """The running book over the effective log of ``records`` (after a correction): raises a
    ``RuleViolation`` naming the first event the voiding leaves invalid."""
    from pipedeal.ledger.rules import apply

    book = Book.empty(contract)
    for rec in effective(records):
        try:
            book = apply(contract, book, rec.event)
        except RuleViolation as exc:
            raise RuleViolation(
                "correction",
                f"without the voided event, event {rec.seq} ({rec.event.kind.value} on "
                f"{rec.event.date}) is no longer valid: {exc.message}",
            ) from None
    return book


@register(EventKind.CORRECTION, payload=Correction, applies_to="any")
def _correction(contract: Contract, book: Book, event: Event, pl: Correction) -> Book:
    # A correction changes which events count, not the running book: the ledger and
    # ``DealRecord`` fold the effective log (``effective``), so this is never reached there.
    raise RuntimeError("a correction is applied by folding the effective log, not by apply()")
