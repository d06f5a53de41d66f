"""Deal rules: stock splits and dividends, registration statements, and memos.

A stock split or stock dividend concerns every instrument, so it may not be dated before any
instrument's latest event; it multiplies the cumulative factor (conversion and exercise prices
divide by it) and the outstanding warrant shares (rounded per ``warrant.share_rounding``).
Registration statements are filed and declared effective in date order among the deal's events.
A memo records text on a note, a warrant or the deal, under that instrument's ordering. Handlers
are registered with their event kind, payload type and instrument by ``@register``.
"""

from __future__ import annotations

from fractions import Fraction

from pipedeal.instruments.warrant import round_shares
from pipedeal.ledger.contract import Contract
from pipedeal.ledger.events import (
    DEAL,
    Event,
    EventKind,
    Memo,
    RegistrationEffective,
    RegistrationFiled,
    StockDividend,
    StockSplit,
)
from pipedeal.ledger.note_rules import _note, _set_note
from pipedeal.ledger.registry import RuleViolation, register
from pipedeal.ledger.state import Book, RegistrationState, replace
from pipedeal.ledger.warrant_rules import _set_warrant, _warrant


def _adjustment(contract: Contract, book: Book, event: Event, ratio: Fraction) -> Book:
    latest = [n.last_date for n in book.notes.values()] + [
        w.last_date for w in book.warrants.values()
    ]
    latest += [book.deal_last, book.last_adjustment]
    floor = max((d for d in latest if d is not None), default=None)
    if floor is not None and event.date < floor:
        raise RuleViolation(
            "ledger.order",
            f"a {event.kind.value.replace('_', ' ')} adjusts every instrument, so it cannot be "
            f"dated {event.date}, before events already recorded on {floor}",
        )
    factor = book.factor * ratio
    warrants = dict(book.warrants)
    if contract.deal.warrant is not None:
        mode = contract.deal.warrant.share_rounding
        for name, w in warrants.items():
            if w.issued and w.outstanding:
                warrants[name] = replace(w, outstanding=round_shares(w.outstanding * ratio, mode))
    return replace(
        book,
        warrants=warrants,
        factor=factor,
        last_adjustment=event.date,
        deal_last=event.date,
        count=book.count + 1,
    )


@register(EventKind.STOCK_SPLIT, payload=StockSplit, applies_to="deal")
def _stock_split(contract: Contract, book: Book, event: Event, pl: StockSplit) -> Book:
    return _adjustment(contract, book, event, Fraction(pl.new, pl.old))


@register(EventKind.STOCK_DIVIDEND, payload=StockDividend, applies_to="deal")
def _stock_dividend(contract: Contract, book: Book, event: Event, pl: StockDividend) -> Book:
    return _adjustment(contract, book, event, 1 + Fraction(pl.percent) / 100)


def _check_deal_order(book: Book, event: Event) -> None:
    if book.deal_last is not None and event.date < book.deal_last:
        raise RuleViolation(
            "ledger.order",
            f"{event.kind.value} dated {event.date} is before the deal's latest event "
            f"({book.deal_last}); deal events are recorded in date order",
        )


def _deal_event(
    book: Book, event: Event, registrations: tuple[RegistrationState, ...] | None = None
) -> Book:
    regs = book.registrations if registrations is None else registrations
    return replace(book, registrations=regs, deal_last=event.date, count=book.count + 1)


@register(EventKind.REGISTRATION_FILED, payload=RegistrationFiled, applies_to="deal")
def _registration_filed(
    contract: Contract, book: Book, event: Event, pl: RegistrationFiled
) -> Book:
    _check_deal_order(book, event)
    regs = list(book.registrations)
    if pl.file_number and any(r.file_number == pl.file_number for r in regs):
        raise RuleViolation(
            "registration_rights",
            f"registration statement {pl.file_number} was already filed",
        )
    regs.append(RegistrationState(pl.form, pl.file_number, pl.shares, event.date))
    if contract.deal.registration_rights is None:
        raise RuleViolation("registration_rights", "this deal has no registration rights")
    return _deal_event(book, event, tuple(regs))


@register(EventKind.REGISTRATION_EFFECTIVE, payload=RegistrationEffective, applies_to="deal")
def _registration_effective(
    contract: Contract, book: Book, event: Event, pl: RegistrationEffective
) -> Book:
    _check_deal_order(book, event)
    regs = list(book.registrations)
    if contract.deal.registration_rights is None:
        raise RuleViolation("registration_rights", "this deal has no registration rights")
    pending = [
        i
        for i, r in enumerate(regs)
        if r.effective is None and (pl.file_number is None or r.file_number == pl.file_number)
    ]
    if not pending:
        which = f" {pl.file_number}" if pl.file_number else ""
        raise RuleViolation(
            "registration_rights",
            f"no registration statement{which} has been filed and is awaiting effectiveness",
        )
    if len(pending) > 1 and pl.file_number is None:
        raise RuleViolation(
            "registration_rights",
            "several registration statements are pending; name the file number",
        )
    regs[pending[0]] = replace(regs[pending[0]], effective=event.date)
    return _deal_event(book, event, tuple(regs))


@register(EventKind.MEMO, payload=Memo, applies_to="any")
def _memo(contract: Contract, book: Book, event: Event, pl: Memo) -> Book:
    if event.instrument == DEAL:
        _check_deal_order(book, event)
        return _deal_event(book, event)
    if event.instrument_type == "note":
        name, note = _note(contract, book, event)
        return _set_note(book, name, note, event.date)
    name, w = _warrant(contract, book, event)
    return _set_warrant(book, name, w, event.date)
