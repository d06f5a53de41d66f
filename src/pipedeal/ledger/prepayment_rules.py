"""Prepayment rules: the company's notice, the holder's election window, settlement and lapse.

A prepayment notice opens an ``ElectionWindow`` (``contract.note(name).election_window``, the
one implementation the valuation uses too); during it the holder may elect to convert some or all
of the noticed principal (``_conversion_election``, through ``note_rules._convert``); from its
settlement day the company prepays what was not converted, with any premium and accrued interest
(``_prepayment_settled``); an unused window may be recorded as lapsed after it closes. Handlers
are registered with their event kind, payload type and instrument by ``@register``.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP

from pipedeal.ledger.accrual import _with_principal, payable_interest
from pipedeal.ledger.contract import Contract, dates_of
from pipedeal.ledger.events import (
    ConversionElection,
    Empty,
    Event,
    EventKind,
    PrepaymentNotice,
    PrepaymentSettled,
)
from pipedeal.ledger.note_rules import _convert, _note, _pending_window, _set_note
from pipedeal.ledger.registry import RuleViolation, register
from pipedeal.ledger.state import Book, ElectionWindow, _money, _Note, replace
from pipedeal.schedule.interest import CENT


@register(EventKind.PREPAYMENT_NOTICE, payload=PrepaymentNotice, applies_to="note")
def _prepayment_notice(contract: Contract, book: Book, event: Event, pl: PrepaymentNotice) -> Book:
    name, note = _note(contract, book, event)
    terms = contract.deal.note.prepayment
    d = dates_of(contract, name)
    if not terms.allowed:
        raise RuleViolation("note.prepayment.allowed", "this note may not be prepaid")
    if note.notices >= terms.max_notices:
        nth = "a second" if note.notices == 1 else f"notice no. {note.notices + 1}:"
        prior = (
            f" (the company gave {name} notice on {note.window.notice_date})" if note.window else ""
        )
        raise RuleViolation(
            "note.prepayment.max_notices",
            f"{nth} prepayment notice is not allowed{prior}; max_notices = {terms.max_notices}",
        )
    if event.date < d.prepayment_from:
        after = "on or after" if terms.earliest_inclusive else "after"
        raise RuleViolation(
            "note.prepayment.earliest_months_after_issue",
            f"a prepayment notice on {event.date} is too early: the company may prepay only "
            f"{after} {terms.earliest_months_after_issue} months from issue "
            f"(first allowed day {d.prepayment_from})",
        )
    pending = _pending_window(note)
    if pending is not None:
        raise RuleViolation(
            "note.prepayment",
            f"the prepayment noticed on {pending.notice_date} is not yet settled",
        )
    if event.date >= d.maturity.date:
        raise RuleViolation(
            "note.maturity",
            f"the note matures on {d.maturity.date}; a prepayment notice on {event.date} is late",
        )
    if pl.principal > note.principal:
        raise RuleViolation(
            "note.prepayment",
            f"prepaying {_money(pl.principal)} but only {_money(note.principal)} is outstanding",
        )
    if pl.principal < note.principal and not terms.partial_allowed:
        raise RuleViolation(
            "note.prepayment.partial_allowed",
            f"the note may be prepaid only in whole ({_money(note.principal)})",
        )
    opened = contract.note(name).election_window(event.date)
    closes, settle_from = opened.closes, opened.settle_from
    window = ElectionWindow(event.date, pl.principal, closes, settle_from)
    note = replace(note, notices=note.notices + 1, window=window)
    return _set_note(book, name, note, event.date)


def _window_open(note: _Note, event: Event, term: str) -> ElectionWindow:
    w = note.window
    if w is None or w.status == "settled":
        raise RuleViolation(term, "there is no pending prepayment notice on this note")
    return w


@register(EventKind.CONVERSION_ELECTION, payload=ConversionElection, applies_to="note")
def _conversion_election(
    contract: Contract, book: Book, event: Event, pl: ConversionElection
) -> Book:
    name, note = _note(contract, book, event)
    terms = contract.deal.note.prepayment
    w = _window_open(note, event, "note.prepayment.holder_election_days")
    if w.status != "open":
        raise RuleViolation(
            "note.prepayment.holder_election_days",
            f"the holder's election window is no longer open (status {w.status})",
        )
    if event.date > w.closes:
        raise RuleViolation(
            "note.prepayment.holder_election_days",
            f"the election window closed on {w.closes} ({terms.holder_election_days} "
            f"{terms.election_day_type.value} days after the notice of {w.notice_date}); "
            f"an election on {event.date} is late",
        )
    if pl.principal > w.to_settle:
        raise RuleViolation(
            "note.prepayment",
            f"electing to convert {_money(pl.principal)} but the notice covers "
            f"{_money(w.to_settle)}",
        )
    note = _convert(contract, book, name, note, event, pl, elected=True)
    note = replace(
        note,
        window=replace(w, status="elected", elected_principal=w.elected_principal + pl.principal),
    )
    return _set_note(book, name, note, event.date)


@register(EventKind.PREPAYMENT_SETTLED, payload=PrepaymentSettled, applies_to="note")
def _prepayment_settled(
    contract: Contract, book: Book, event: Event, pl: PrepaymentSettled
) -> Book:
    name, note = _note(contract, book, event)
    terms = contract.deal.note.prepayment
    w = _window_open(note, event, "note.prepayment")
    if event.date < w.settle_from:
        raise RuleViolation(
            "note.prepayment.settlement",
            f"the holder's election window is open until {w.closes}; the prepayment noticed on "
            f"{w.notice_date} may settle from {w.settle_from}, not {event.date}",
        )
    due = min(w.to_settle, note.principal)
    if due <= 0:
        raise RuleViolation(
            "note.prepayment", "nothing is left to prepay: the holder converted the noticed amount"
        )
    if pl.principal != due:
        raise RuleViolation(
            "note.prepayment",
            f"the settlement prepays the noticed principal {_money(due)}, not "
            f"{_money(pl.principal)}",
        )
    payable = payable_interest(
        contract, name, note, event.date + dt.timedelta(days=contract.accrual_shift)
    )
    if pl.interest > payable:
        raise RuleViolation(
            "note.prepayment.pays_accrued_interest",
            f"paying {_money(pl.interest)} of interest but only {_money(payable)} is accrued "
            f"and unpaid on {event.date}",
        )
    if pl.interest > 0 and not terms.pays_accrued_interest:
        raise RuleViolation(
            "note.prepayment.pays_accrued_interest",
            "this note's prepayment does not pay accrued interest (pay it on the schedule)",
        )
    premium = (pl.principal * terms.premium).quantize(CENT, rounding=ROUND_HALF_UP)
    remaining = note.principal - pl.principal
    note = replace(
        note,
        settled_interest=note.settled_interest + pl.interest,
        interest_paid=note.interest_paid + pl.interest,
        principal_prepaid=note.principal_prepaid + pl.principal,
        premium_paid=note.premium_paid + premium,
        cash_paid=note.cash_paid + pl.principal + pl.interest + premium,
        window=replace(w, status="settled"),
        status="prepaid" if remaining == 0 else note.status,
    )
    note = _with_principal(contract, name, note, event.date, remaining)
    return _set_note(book, name, note, event.date)


@register(EventKind.ELECTION_LAPSED, payload=Empty, applies_to="note")
def _election_lapsed(contract: Contract, book: Book, event: Event, pl: Empty) -> Book:
    name, note = _note(contract, book, event)
    w = _window_open(note, event, "note.prepayment.holder_election_days")
    if w.status != "open":
        raise RuleViolation(
            "note.prepayment.holder_election_days",
            f"the election window is not open (status {w.status})",
        )
    if event.date <= w.closes:
        raise RuleViolation(
            "note.prepayment.holder_election_days",
            f"the holder may still elect until {w.closes}; the window cannot lapse on {event.date}",
        )
    note = replace(note, window=replace(w, status="lapsed"))
    return _set_note(book, name, note, event.date)
