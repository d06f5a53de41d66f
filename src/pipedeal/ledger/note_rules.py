"""Note rules: issue, interest payments, conversion and repayment at maturity.

Each handler takes the contract, the running ``Book``, the event and its payload as its concrete
type, checks the event against the note's terms (raising ``RuleViolation`` naming the clause) and
returns the new book; it is registered with its event kind, payload type and instrument by
``@register``. ``_note`` and ``_set_note`` read and write one purchaser's note with the ordering
check; ``_convert`` is shared with the election to convert after a prepayment notice
(``prepayment_rules``), and ``_pending`` tells whether a noticed prepayment is still unsettled.
"""

from __future__ import annotations

import datetime as dt

from pipedeal.ledger.accrual import (
    _with_principal,
    conversion_price,
    conversion_result,
    payable_interest,
)
from pipedeal.ledger.contract import Contract, dates_of
from pipedeal.ledger.events import (
    Conversion,
    Event,
    EventKind,
    InterestPaid,
    MaturityRepayment,
    NoteIssued,
)
from pipedeal.ledger.registry import RuleViolation, _check_order, register
from pipedeal.ledger.state import (
    ONE_DAY,
    ZERO,
    Book,
    ElectionWindow,
    _dec,
    _money,
    _Note,
    replace,
)


def _note(contract: Contract, book: Book, event: Event) -> tuple[str, _Note]:
    name = event.purchaser
    assert name is not None
    contract.purchaser(name)
    note = book.notes[name]
    _check_order(contract, book, event, note.last_date)
    if not note.issued and event.kind is not EventKind.NOTE_ISSUED:
        raise RuleViolation(
            "purchasers",
            f"the note of {name} has not been issued yet (record note_issued first)",
        )
    return name, note


def _set_note(book: Book, name: str, note: _Note, date: dt.date) -> Book:
    notes = dict(book.notes)
    notes[name] = replace(note, last_date=date)
    return replace(book, notes=notes, count=book.count + 1)


@register(EventKind.NOTE_ISSUED, payload=NoteIssued, applies_to="note")
def _note_issued(contract: Contract, book: Book, event: Event, pl: NoteIssued) -> Book:
    name, note = _note(contract, book, event)
    p = contract.purchaser(name)
    if note.issued:
        raise RuleViolation(
            "purchasers", f"the note of {name} was already issued on {note.issue_date}"
        )
    if event.date != p.closing_date:
        raise RuleViolation(
            "purchasers.closing_date",
            f"the note of {name} is issued at its closing on {p.closing_date}, not {event.date}",
        )
    if pl.principal != p.principal:
        raise RuleViolation(
            "purchasers.principal",
            f"the note of {name} has principal {_money(p.principal)}, not {_money(pl.principal)}",
        )
    if pl.cash_received > pl.principal:
        raise RuleViolation(
            "purchasers.cash_funded",
            f"cash received {_money(pl.cash_received)} exceeds the principal "
            f"{_money(pl.principal)}",
        )
    note = replace(
        note,
        issued=True,
        issue_date=event.date,
        face=pl.principal,
        cash_received=pl.cash_received,
        status="outstanding",
    )
    note = _with_principal(contract, name, note, event.date, pl.principal)
    book = _set_note(book, name, note, event.date)
    if contract.deal.warrant is not None:
        shares = contract.warrants[name].shares_after(book.factor)
        warrants = dict(book.warrants)
        warrants[name] = replace(
            warrants[name],
            issued=True,
            issue_date=event.date,
            shares_initial=contract.warrant_shares[name],
            outstanding=shares,
        )
        book = replace(book, warrants=warrants)
    return book


@register(EventKind.INTEREST_PAID, payload=InterestPaid, applies_to="note")
def _interest_paid(contract: Contract, book: Book, event: Event, pl: InterestPaid) -> Book:
    name, note = _note(contract, book, event)
    if pl.through >= event.date:
        raise RuleViolation(
            "note.interest",
            f"a payment on {event.date} can only cover days that have ended "
            f"(through {pl.through} is not before the payment date)",
        )
    assert note.issue_date is not None  # _note: issued
    if pl.through < note.issue_date:
        raise RuleViolation(
            "note.interest", f"through {pl.through} is before the note's issue on {note.issue_date}"
        )
    payable = payable_interest(contract, name, note, pl.through + ONE_DAY)
    if pl.amount > payable:
        raise RuleViolation(
            "note.interest",
            f"paying {_money(pl.amount)} of interest but only {_money(payable)} accrued through "
            f"{pl.through} is unpaid ({name})",
        )
    note = replace(
        note,
        settled_interest=note.settled_interest + pl.amount,
        interest_paid=note.interest_paid + pl.amount,
        cash_paid=note.cash_paid + pl.amount,
        paid_through=max(pl.through, note.paid_through or pl.through),
    )
    return _set_note(book, name, note, event.date)


def _convert(
    contract: Contract,
    book: Book,
    name: str,
    note: _Note,
    event: Event,
    pl: Conversion,
    *,
    elected: bool,
) -> _Note:
    """The note after converting ``pl`` (a conversion, or an election after a notice)."""
    terms = contract.deal.note.conversion
    assert note.issue_date is not None  # _note: issued
    if event.date < note.issue_date:
        raise RuleViolation(
            "note.conversion.any_time_from_issue",
            f"a conversion on {event.date} is before the note's issue on {note.issue_date}",
        )
    if pl.principal > note.principal:
        raise RuleViolation(
            "note.conversion",
            f"converting {_money(pl.principal)} of principal but only {_money(note.principal)} "
            f"is outstanding ({name})",
        )
    if pl.interest > 0 and not terms.unpaid_interest_convertible:
        raise RuleViolation(
            "note.conversion.unpaid_interest_convertible",
            "accrued interest does not convert under this note (pay it in cash)",
        )
    payable = payable_interest(
        contract, name, note, event.date + dt.timedelta(days=contract.accrual_shift)
    )
    if pl.interest > payable:
        raise RuleViolation(
            "note.conversion.unpaid_interest_convertible",
            f"converting {_money(pl.interest)} of interest but only {_money(payable)} is accrued "
            f"and unpaid on {event.date} ({name})",
        )
    shares, cash = conversion_result(contract, name, book.factor, pl.principal + pl.interest)
    if shares <= 0 and cash <= 0:
        raise RuleViolation(
            "note.conversion.price",
            f"{_money(pl.principal + pl.interest)} converts to no shares at "
            f"${_dec(conversion_price(contract, name, book.factor))}",
        )
    remaining = note.principal - pl.principal
    note = replace(
        note,
        settled_interest=note.settled_interest + pl.interest,
        principal_converted=note.principal_converted + pl.principal,
        interest_converted=note.interest_converted + pl.interest,
        shares_issued=note.shares_issued + shares,
        cash_in_lieu=note.cash_in_lieu + cash,
        cash_paid=note.cash_paid + cash,
        status="converted" if remaining == 0 else note.status,
    )
    if pl.principal:
        note = _with_principal(contract, name, note, event.date, remaining)
    return note


@register(EventKind.CONVERSION, payload=Conversion, applies_to="note")
def _conversion(contract: Contract, book: Book, event: Event, pl: Conversion) -> Book:
    name, note = _note(contract, book, event)
    note = _convert(contract, book, name, note, event, pl, elected=False)
    w = note.window
    if w is not None and w.status in ("open", "lapsed", "elected") and w.to_settle > note.principal:
        # principal converted outside the election: the prepayment can only settle what is left
        note = replace(note, window=replace(w, elected_principal=w.principal - note.principal))
    return _set_note(book, name, note, event.date)


def _pending_window(note: _Note) -> ElectionWindow | None:
    """The window of a noticed prepayment not yet settled, if any."""
    w = note.window
    return w if w is not None and w.status != "settled" and w.to_settle > 0 else None


def _pending(note: _Note) -> bool:
    return _pending_window(note) is not None

@register(EventKind.MATURITY_REPAYMENT, payload=MaturityRepayment, applies_to="note")
def _maturity_repayment(
    contract: Contract, book: Book, event: Event, pl: MaturityRepayment
) -> Book:
    name, note = _note(contract, book, event)
    d = dates_of(contract, name)
    if event.date < d.maturity.date:
        raise RuleViolation(
            "note.maturity.months_after_issue",
            f"the note matures on {d.maturity.date} (payable {d.maturity.pay_date}); a "
            f"repayment on {event.date} is a prepayment (record a prepayment notice)",
        )
    pending = _pending_window(note)
    if pending is not None:
        raise RuleViolation(
            "note.prepayment", f"the prepayment noticed on {pending.notice_date} is not settled"
        )
    if pl.principal != note.principal:
        raise RuleViolation(
            "note.maturity",
            f"at maturity the outstanding principal {_money(note.principal)} is repaid, not "
            f"{_money(pl.principal)}",
        )
    payable = payable_interest(contract, name, note, event.date + ONE_DAY)
    if pl.interest > payable:
        raise RuleViolation(
            "note.maturity",
            f"paying {_money(pl.interest)} of interest but only {_money(payable)} is accrued "
            f"and unpaid",
        )
    if pl.principal + pl.interest <= 0:
        raise RuleViolation("note.maturity", "nothing is left to repay on this note")
    note = replace(
        note,
        settled_interest=note.settled_interest + pl.interest,
        interest_paid=note.interest_paid + pl.interest,
        principal_repaid=note.principal_repaid + pl.principal,
        cash_paid=note.cash_paid + pl.principal + pl.interest,
        status="repaid" if pl.principal > 0 else note.status,
    )
    note = _with_principal(contract, name, note, event.date, ZERO)
    return _set_note(book, name, note, event.date)
