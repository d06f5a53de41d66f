"""The rules: pure functions that fold events into state and reject what the contract forbids.

``apply(contract, book, event)`` returns a new ``Book`` (the running state of every instrument)
or raises ``RuleViolation`` citing the term; ``replay(contract, events, as_of)`` folds the events
dated on or before ``as_of`` and takes a snapshot (``LedgerState``) at the end of that day.

Conventions (documented in ``docs/ledger.md``):

- Events on one instrument are in date order; a stock split or stock dividend concerns every
  instrument, so it may not be dated before any instrument's latest event, and no instrument
  event may be dated before it.
- Interest is simple on the outstanding principal by the note's day count; a principal change on
  day D counts from D (``accrual_start = issue_date``) or D + 1 (``day_after_issue``). Cents are
  settled cumulatively: what is payable through a day is round(exact interest accrued through that
  day) − interest already paid or converted.
- Prices and warrant shares adjust proportionally on splits and stock dividends: the conversion
  and exercise prices divide by the cumulative factor (kept exact as a fraction), warrant shares
  multiply by it (rounded per ``warrant.share_rounding``).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from types import MappingProxyType
from zoneinfo import ZoneInfo

from pipedeal.errors import UserError
from pipedeal.instruments.warrant import round_shares
from pipedeal.ledger.contract import Contract
from pipedeal.ledger.events import DEAL, Event, EventKind
from pipedeal.schedule.interest import CENT

ZERO = Decimal(0)
ONE_DAY = dt.timedelta(days=1)
PRICE_PLACES = Decimal("0.0000000001")


class RuleViolation(UserError):
    """An event the contract or the ledger's ordering does not allow; ``term`` names the clause."""

    def __init__(self, term: str, message: str) -> None:
        self.term = term
        super().__init__(f"{term}: {message}")


def replace(obj, **changes):  # noqa: ANN001, ANN201 - dataclasses.replace, minus its overhead
    """A copy of a frozen dataclass with ``changes`` (no __init__ re-run: these have no checks)."""
    new = object.__new__(type(obj))
    new.__dict__.update(obj.__dict__)
    new.__dict__.update(changes)
    return new


def _money(value: Decimal) -> str:
    return f"${value:,.2f}"


def _dec(f: Fraction, places: Decimal = PRICE_PLACES) -> Decimal:
    return (Decimal(f.numerator) / Decimal(f.denominator)).quantize(places, rounding=ROUND_HALF_UP)


def _cents(f: Fraction) -> Decimal:
    return _dec(f, CENT)


# --- running state -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ElectionWindow:
    notice_date: dt.date
    principal: Decimal  # principal named in the notice
    closes: dt.date  # last day the holder may elect to convert
    settle_from: dt.date  # first day the prepayment may settle
    status: str = "open"  # open | elected | lapsed | settled
    elected_principal: Decimal = ZERO

    @property
    def to_settle(self) -> Decimal:
        return self.principal - self.elected_principal


@dataclass(frozen=True)
class _Note:
    issued: bool = False
    issue_date: dt.date | None = None
    face: Decimal = ZERO
    principal: Decimal = ZERO
    segments: tuple[tuple[dt.date, Decimal], ...] = ()  # (effective from, principal)
    settled_interest: Decimal = ZERO  # paid + converted, cents
    interest_paid: Decimal = ZERO
    principal_converted: Decimal = ZERO
    interest_converted: Decimal = ZERO
    shares_issued: int = 0
    principal_prepaid: Decimal = ZERO
    premium_paid: Decimal = ZERO
    principal_repaid: Decimal = ZERO
    cash_received: Decimal = ZERO
    cash_paid: Decimal = ZERO
    cash_in_lieu: Decimal = ZERO
    notices: int = 0
    window: ElectionWindow | None = None
    paid_through: dt.date | None = None
    last_date: dt.date | None = None
    status: str = "not_issued"


@dataclass(frozen=True)
class _Warrant:
    issued: bool = False
    issue_date: dt.date | None = None
    shares_initial: int = 0
    outstanding: int = 0
    exercised: int = 0
    delivered: int = 0
    expired: int = 0
    expired_on: dt.date | None = None
    cash_received: Decimal = ZERO
    last_date: dt.date | None = None


@dataclass(frozen=True)
class RegistrationState:
    form: str
    file_number: str | None
    shares: int | None
    filed: dt.date
    effective: dt.date | None = None


@dataclass(frozen=True)
class Book:
    """The running state after some events: what the rules check the next event against."""

    notes: Mapping[str, _Note]
    warrants: Mapping[str, _Warrant]
    factor: Fraction = Fraction(1)
    last_adjustment: dt.date | None = None
    deal_last: dt.date | None = None
    registrations: tuple[RegistrationState, ...] = ()
    count: int = 0

    @classmethod
    def empty(cls, contract: Contract) -> Book:
        warrants = {n: _Warrant() for n in contract.names} if contract.deal.warrant else {}
        return cls(notes={n: _Note() for n in contract.names}, warrants=warrants)


# --- interest ----------------------------------------------------------------------------------


def accrued_exact(contract: Contract, name: str, note: _Note, upto: dt.date) -> Decimal:
    """Exact interest accrued on the days before ``upto`` (exclusive), from issue."""
    if not note.issued:
        return ZERO
    return contract.note(name).accrued_exact(note.segments, upto)


def payable_interest(contract: Contract, name: str, note: _Note, upto: dt.date) -> Decimal:
    """Interest accrued on the days before ``upto`` and not yet paid or converted, in cents."""
    if not note.issued:
        return ZERO
    return contract.note(name).payable_interest(note.segments, note.settled_interest, upto)


def _with_principal(contract: Contract, name: str, note: _Note, day: dt.date,
                    principal: Decimal) -> _Note:
    segments = contract.note(name).segments_after(note.segments, day, principal)
    return replace(note, principal=principal, segments=segments)


# --- prices and shares -------------------------------------------------------------------------


def conversion_price(contract: Contract, name: str, factor: Fraction) -> Fraction:
    return contract.note(name).conversion_price(factor)


def exercise_price(contract: Contract, name: str, factor: Fraction) -> Fraction | None:
    warrant = contract.warrants.get(name)
    return None if warrant is None else warrant.exercise_price(factor)


def conversion_result(
    contract: Contract, name: str, factor: Fraction, amount: Decimal
) -> tuple[int, Decimal]:
    """(shares issued, cash in lieu of a fraction) for converting ``amount`` dollars."""
    return contract.note(name).conversion_result(amount, factor)


# --- the rules ---------------------------------------------------------------------------------


def _check_order(contract: Contract, book: Book, event: Event, last: dt.date | None) -> None:
    floor = max((d for d in (last, book.last_adjustment) if d is not None), default=None)
    if floor is not None and event.date < floor:
        what = (
            "a stock split or stock dividend"
            if book.last_adjustment == floor and (last is None or last < floor)
            else f"an event on {event.instrument}"
        )
        raise RuleViolation(
            "ledger.order",
            f"{event.kind.value} dated {event.date} is before {what} dated {floor}; "
            f"events on an instrument are recorded in date order",
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


def _set_warrant(book: Book, name: str, w: _Warrant, date: dt.date) -> Book:
    warrants = dict(book.warrants)
    warrants[name] = replace(w, last_date=date)
    return replace(book, warrants=warrants, count=book.count + 1)


def _note_issued(contract: Contract, book: Book, event: Event) -> Book:
    name, note = _note(contract, book, event)
    p = contract.purchaser(name)
    pl = event.payload
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


def _interest_paid(contract: Contract, book: Book, event: Event) -> Book:
    name, note = _note(contract, book, event)
    pl = event.payload
    if pl.through >= event.date:
        raise RuleViolation(
            "note.interest",
            f"a payment on {event.date} can only cover days that have ended "
            f"(through {pl.through} is not before the payment date)",
        )
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
    contract: Contract, book: Book, name: str, note: _Note, event: Event, *, elected: bool
) -> _Note:
    pl = event.payload
    terms = contract.deal.note.conversion
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


def _conversion(contract: Contract, book: Book, event: Event) -> Book:
    name, note = _note(contract, book, event)
    note = _convert(contract, book, name, note, event, elected=False)
    w = note.window
    if w is not None and w.status in ("open", "lapsed", "elected") and w.to_settle > note.principal:
        # principal converted outside the election: the prepayment can only settle what is left
        note = replace(note, window=replace(w, elected_principal=w.principal - note.principal))
    return _set_note(book, name, note, event.date)


def _pending(note: _Note) -> bool:
    w = note.window
    return w is not None and w.status != "settled" and w.to_settle > 0


def _prepayment_notice(contract: Contract, book: Book, event: Event) -> Book:
    name, note = _note(contract, book, event)
    terms = contract.deal.note.prepayment
    d = contract.dates(name)
    pl = event.payload
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
    if _pending(note):
        raise RuleViolation(
            "note.prepayment",
            f"the prepayment noticed on {note.window.notice_date} is not yet settled",
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


def _conversion_election(contract: Contract, book: Book, event: Event) -> Book:
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
    pl = event.payload
    if pl.principal > w.to_settle:
        raise RuleViolation(
            "note.prepayment",
            f"electing to convert {_money(pl.principal)} but the notice covers "
            f"{_money(w.to_settle)}",
        )
    note = _convert(contract, book, name, note, event, elected=True)
    note = replace(
        note,
        window=replace(w, status="elected", elected_principal=w.elected_principal + pl.principal),
    )
    return _set_note(book, name, note, event.date)


def _prepayment_settled(contract: Contract, book: Book, event: Event) -> Book:
    name, note = _note(contract, book, event)
    terms = contract.deal.note.prepayment
    w = _window_open(note, event, "note.prepayment")
    pl = event.payload
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


def _election_lapsed(contract: Contract, book: Book, event: Event) -> Book:
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


def _maturity_repayment(contract: Contract, book: Book, event: Event) -> Book:
    name, note = _note(contract, book, event)
    d = contract.dates(name)
    pl = event.payload
    if event.date < d.maturity.date:
        raise RuleViolation(
            "note.maturity.months_after_issue",
            f"the note matures on {d.maturity.date} (payable {d.maturity.pay_date}); a "
            f"repayment on {event.date} is a prepayment (record a prepayment notice)",
        )
    if _pending(note):
        raise RuleViolation(
            "note.prepayment", f"the prepayment noticed on {note.window.notice_date} is not settled"
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


def _warrant(contract: Contract, book: Book, event: Event) -> tuple[str, _Warrant]:
    name = event.purchaser
    assert name is not None
    contract.purchaser(name)
    if contract.deal.warrant is None:
        raise RuleViolation("warrant", "this deal has no warrants")
    w = book.warrants[name]
    _check_order(contract, book, event, w.last_date)
    if not w.issued:
        raise RuleViolation(
            "purchasers",
            f"the warrant of {name} has not been issued yet (it is issued with the note: "
            f"record note_issued first)",
        )
    return name, w


def _local(contract: Contract, event: Event) -> dt.datetime | None:
    if event.at is None:
        return None
    zone = ZoneInfo(contract.deal.warrant.expiry_timezone)
    local = event.at.astimezone(zone)
    if local.date() != event.date:
        raise RuleViolation(
            "at",
            f"the timestamp {event.at.isoformat()} is on {local.date()} in {zone.key}, "
            f"not on the event date {event.date}",
        )
    return local


class _When:
    """The expiry moment as text, formatted only if a message needs it."""

    def __init__(self, expiry: dt.datetime, zone: str) -> None:
        self.expiry, self.zone = expiry, zone

    def __str__(self) -> str:
        return f"{self.expiry.date()} {self.expiry.strftime('%H:%M')} {self.zone}"


def _warrant_exercised(contract: Contract, book: Book, event: Event) -> Book:
    name, w = _warrant(contract, book, event)
    terms = contract.deal.warrant
    expiry = contract.dates(name).warrant_expiry
    pl = event.payload
    local = _local(contract, event)
    when = _When(expiry, terms.expiry_timezone)
    if w.expired_on is not None:
        raise RuleViolation("warrant.term_years", f"the warrant expired ({w.expired_on})")
    if event.date > expiry.date():
        raise RuleViolation(
            "warrant.term_years",
            f"the warrant expired at {when}; an exercise on {event.date} is late",
        )
    if event.date == expiry.date():
        if local is None:
            raise RuleViolation(
                "warrant.expiry_time",
                f"an exercise on the expiry date must carry its time (at): the warrant "
                f"expires at {when}",
            )
        if local >= expiry:
            raise RuleViolation(
                "warrant.expiry_time",
                f"exercise at {local.strftime('%H:%M %Z')} on the expiry date is not before "
                f"{terms.expiry_time.strftime('%-I:%M %p')} {terms.expiry_timezone}: the "
                f"warrant expired at {when}",
            )
    if event.date < w.issue_date:
        raise RuleViolation(
            "warrant.exercisable_from", f"the warrant is exercisable from {w.issue_date}"
        )
    if pl.shares > w.outstanding:
        raise RuleViolation(
            "warrant",
            f"exercising {pl.shares:,} shares but only {w.outstanding:,} are outstanding ({name})",
        )
    if pl.shares < w.outstanding and not terms.partial_exercise:
        raise RuleViolation(
            "warrant.partial_exercise",
            f"the warrant is exercised in whole only ({w.outstanding:,} shares)",
        )
    price = exercise_price(contract, name, book.factor)
    if pl.method == "cashless":
        if not terms.cashless_exercise:
            raise RuleViolation(
                "warrant.cashless_exercise", "this warrant does not allow cashless exercise"
            )
        fmv = Fraction(pl.fair_market_value)
        if fmv <= price:
            raise RuleViolation(
                "warrant.cashless_exercise",
                f"fair market value ${pl.fair_market_value} is not above the exercise price "
                f"${_dec(price)}: a cashless exercise delivers no shares",
            )
        delivered = math.floor(pl.shares * (fmv - price) / fmv)
        cash = ZERO
    else:
        delivered = pl.shares
        cash = _cents(pl.shares * price)
    w = replace(
        w,
        outstanding=w.outstanding - pl.shares,
        exercised=w.exercised + pl.shares,
        delivered=w.delivered + delivered,
        cash_received=w.cash_received + cash,
    )
    return _set_warrant(book, name, w, event.date)


def _warrant_expired(contract: Contract, book: Book, event: Event) -> Book:
    name, w = _warrant(contract, book, event)
    expiry = contract.dates(name).warrant_expiry
    local = _local(contract, event)
    if w.expired_on is not None:
        raise RuleViolation("warrant.term_years", f"the warrant already expired ({w.expired_on})")
    if event.date < expiry.date() or (local is not None and local < expiry):
        raise RuleViolation(
            "warrant.term_years",
            f"the warrant expires at {expiry.isoformat()} ({contract.deal.warrant.expiry_timezone})"
            f"; it cannot be recorded as expired on {event.date}",
        )
    w = replace(w, expired=w.expired + w.outstanding, outstanding=0, expired_on=event.date)
    return _set_warrant(book, name, w, event.date)


def _adjustment(contract: Contract, book: Book, event: Event) -> Book:
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
    pl = event.payload
    if event.kind is EventKind.STOCK_SPLIT:
        ratio = Fraction(pl.new, pl.old)
    else:
        ratio = 1 + Fraction(pl.percent) / 100
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


def _deal_event(contract: Contract, book: Book, event: Event) -> Book:
    if book.deal_last is not None and event.date < book.deal_last:
        raise RuleViolation(
            "ledger.order",
            f"{event.kind.value} dated {event.date} is before the deal's latest event "
            f"({book.deal_last}); deal events are recorded in date order",
        )
    pl = event.payload
    regs = list(book.registrations)
    if event.kind is EventKind.REGISTRATION_FILED:
        if pl.file_number and any(r.file_number == pl.file_number for r in regs):
            raise RuleViolation(
                "registration_rights",
                f"registration statement {pl.file_number} was already filed",
            )
        regs.append(RegistrationState(pl.form, pl.file_number, pl.shares, event.date))
    elif event.kind is EventKind.REGISTRATION_EFFECTIVE:
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
    if event.kind is EventKind.REGISTRATION_FILED and contract.deal.registration_rights is None:
        raise RuleViolation("registration_rights", "this deal has no registration rights")
    return replace(book, registrations=tuple(regs), deal_last=event.date, count=book.count + 1)


def _memo(contract: Contract, book: Book, event: Event) -> Book:
    if event.instrument == DEAL:
        return _deal_event(contract, book, event)
    if event.instrument_type == "note":
        name, note = _note(contract, book, event)
        return _set_note(book, name, note, event.date)
    name, w = _warrant(contract, book, event)
    return _set_warrant(book, name, w, event.date)


_RULES = {
    EventKind.NOTE_ISSUED: _note_issued,
    EventKind.INTEREST_PAID: _interest_paid,
    EventKind.CONVERSION: _conversion,
    EventKind.PREPAYMENT_NOTICE: _prepayment_notice,
    EventKind.CONVERSION_ELECTION: _conversion_election,
    EventKind.PREPAYMENT_SETTLED: _prepayment_settled,
    EventKind.ELECTION_LAPSED: _election_lapsed,
    EventKind.MATURITY_REPAYMENT: _maturity_repayment,
    EventKind.WARRANT_EXERCISED: _warrant_exercised,
    EventKind.WARRANT_EXPIRED: _warrant_expired,
    EventKind.STOCK_SPLIT: _adjustment,
    EventKind.STOCK_DIVIDEND: _adjustment,
    EventKind.REGISTRATION_FILED: _deal_event,
    EventKind.REGISTRATION_EFFECTIVE: _deal_event,
    EventKind.MEMO: _memo,
}


def apply(contract: Contract, book: Book, event: Event) -> Book:
    """The book after ``event``; raises ``RuleViolation`` if the contract does not allow it."""
    return _RULES[event.kind](contract, book, event)


def fold(contract: Contract, events: Iterable[Event], book: Book | None = None) -> Book:
    book = book if book is not None else Book.empty(contract)
    for event in events:
        book = apply(contract, book, event)
    return book


# --- snapshots ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class NoteState:
    purchaser: str
    issued: bool
    issue_date: dt.date | None
    maturity_date: dt.date
    maturity_pay_date: dt.date
    face_principal: Decimal
    outstanding_principal: Decimal
    accrued_interest: Decimal
    interest_paid: Decimal
    principal_converted: Decimal
    interest_converted: Decimal
    shares_issued: int
    cash_in_lieu: Decimal
    principal_prepaid: Decimal
    premium_paid: Decimal
    principal_repaid: Decimal
    cash_received: Decimal
    cash_paid: Decimal
    conversion_price: Decimal
    base_conversion_price: Decimal
    prepayment_notices: int
    election_window: ElectionWindow | None
    interest_paid_through: dt.date | None
    status: str


@dataclass(frozen=True)
class WarrantState:
    purchaser: str
    issued: bool
    shares_initial: int
    shares_outstanding: int
    shares_exercised: int
    shares_delivered: int
    shares_expired: int
    exercise_price: Decimal | None
    base_exercise_price: Decimal | None
    cash_received: Decimal
    expires_at: dt.datetime
    expired: bool


@dataclass(frozen=True)
class DealTotals:
    outstanding_principal: Decimal
    accrued_interest: Decimal
    interest_paid: Decimal
    principal_converted: Decimal
    interest_converted: Decimal
    shares_issued_on_conversion: int
    warrant_shares_outstanding: int
    warrant_shares_exercised: int
    cash_received: Decimal
    cash_paid: Decimal


@dataclass(frozen=True)
class LedgerState:
    as_of: dt.date
    split_factor: Fraction
    notes: Mapping[str, NoteState]
    warrants: Mapping[str, WarrantState]
    registrations: tuple[RegistrationState, ...]
    events: tuple[Event, ...]
    totals: DealTotals
    book: Book = field(repr=False, compare=False)


def snapshot(
    contract: Contract, book: Book, as_of: dt.date, events: tuple[Event, ...] = ()
) -> LedgerState:
    """Figures at the end of ``as_of`` from a book holding the events dated up to then."""
    notes: dict[str, NoteState] = {}
    for name, n in book.notes.items():
        d = contract.dates(name)
        window = n.window
        if window is not None and window.status == "open" and as_of > window.closes:
            window = replace(window, status="lapsed")
        notes[name] = NoteState(
            purchaser=name,
            issued=n.issued,
            issue_date=n.issue_date,
            maturity_date=d.maturity.date,
            maturity_pay_date=d.maturity.pay_date,
            face_principal=n.face,
            outstanding_principal=n.principal,
            accrued_interest=payable_interest(contract, name, n, as_of + ONE_DAY),
            interest_paid=n.interest_paid,
            principal_converted=n.principal_converted,
            interest_converted=n.interest_converted,
            shares_issued=n.shares_issued,
            cash_in_lieu=n.cash_in_lieu,
            principal_prepaid=n.principal_prepaid,
            premium_paid=n.premium_paid,
            principal_repaid=n.principal_repaid,
            cash_received=n.cash_received,
            cash_paid=n.cash_paid,
            conversion_price=_dec(conversion_price(contract, name, book.factor)),
            base_conversion_price=contract.conversion_prices[name],
            prepayment_notices=n.notices,
            election_window=window,
            interest_paid_through=n.paid_through,
            status=n.status,
        )
    warrants: dict[str, WarrantState] = {}
    for name, w in book.warrants.items():
        expiry = contract.dates(name).warrant_expiry
        lapsed = w.expired_on is not None or as_of >= expiry.date()
        outstanding, expired = w.outstanding, w.expired
        if lapsed and w.expired_on is None:  # expired by time, not yet recorded
            outstanding, expired = 0, expired + w.outstanding
        price = exercise_price(contract, name, book.factor)
        warrants[name] = WarrantState(
            purchaser=name,
            issued=w.issued,
            shares_initial=w.shares_initial,
            shares_outstanding=outstanding,
            shares_exercised=w.exercised,
            shares_delivered=w.delivered,
            shares_expired=expired,
            exercise_price=None if price is None else _dec(price),
            base_exercise_price=contract.exercise_prices.get(name),
            cash_received=w.cash_received,
            expires_at=expiry,
            expired=lapsed,
        )

    def total(attr: str, values) -> Decimal:
        return sum((getattr(v, attr) for v in values), ZERO)

    ns, ws = list(notes.values()), list(warrants.values())
    totals = DealTotals(
        outstanding_principal=total("outstanding_principal", ns),
        accrued_interest=total("accrued_interest", ns),
        interest_paid=total("interest_paid", ns),
        principal_converted=total("principal_converted", ns),
        interest_converted=total("interest_converted", ns),
        shares_issued_on_conversion=sum(n.shares_issued for n in ns),
        warrant_shares_outstanding=sum(w.shares_outstanding for w in ws),
        warrant_shares_exercised=sum(w.shares_exercised for w in ws),
        cash_received=total("cash_received", ns) + total("cash_received", ws),
        cash_paid=total("cash_paid", ns),
    )
    return LedgerState(
        as_of=as_of,
        split_factor=book.factor,
        notes=MappingProxyType(notes),
        warrants=MappingProxyType(warrants),
        registrations=book.registrations,
        events=events,
        totals=totals,
        book=book,
    )


def replay(contract: Contract, events: Iterable[Event], as_of: dt.date) -> LedgerState:
    """State at the end of ``as_of``: the events dated on or before it, in recorded order."""
    applied = tuple(e for e in events if e.date <= as_of)
    return snapshot(contract, fold(contract, applied), as_of, applied)
