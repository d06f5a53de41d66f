"""Warrant rules: exercise (cash or cashless) and expiry at the contract's time of day.

A warrant is issued with its note (``note_rules._note_issued``); here it is exercised, in whole or
in part, for cash at the split-adjusted exercise price or cashless at a stated fair market value,
before its expiry moment (a date and a time in the contract's time zone: an exercise on the expiry
date carries its timestamp ``at``), and recorded as expired once that moment has passed. Handlers
are registered with their event kind, payload type and instrument by ``@register``.
"""

from __future__ import annotations

import datetime as dt
import math
from fractions import Fraction
from zoneinfo import ZoneInfo

from pipedeal.ledger.accrual import exercise_price
from pipedeal.ledger.contract import Contract, dates_of
from pipedeal.ledger.events import Empty, Event, EventKind, WarrantExercised
from pipedeal.ledger.registry import RuleViolation, _check_order, register
from pipedeal.ledger.state import ZERO, Book, _cents, _dec, _Warrant, replace


def _set_warrant(book: Book, name: str, w: _Warrant, date: dt.date) -> Book:
    warrants = dict(book.warrants)
    warrants[name] = replace(w, last_date=date)
    return replace(book, warrants=warrants, count=book.count + 1)


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
    assert contract.deal.warrant is not None  # _warrant: the deal has warrants
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


@register(EventKind.WARRANT_EXERCISED, payload=WarrantExercised, applies_to="warrant")
def _warrant_exercised(contract: Contract, book: Book, event: Event, pl: WarrantExercised) -> Book:
    name, w = _warrant(contract, book, event)
    terms = contract.deal.warrant
    expiry = dates_of(contract, name).warrant_expiry
    assert terms is not None and expiry is not None  # _warrant: the deal has warrants
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
    assert w.issue_date is not None  # _warrant: issued
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
    assert price is not None
    if pl.method == "cashless":
        if not terms.cashless_exercise:
            raise RuleViolation(
                "warrant.cashless_exercise", "this warrant does not allow cashless exercise"
            )
        assert pl.fair_market_value is not None  # WarrantExercised: cashless needs it
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


@register(EventKind.WARRANT_EXPIRED, payload=Empty, applies_to="warrant")
def _warrant_expired(contract: Contract, book: Book, event: Event, pl: Empty) -> Book:
    name, w = _warrant(contract, book, event)
    expiry = dates_of(contract, name).warrant_expiry
    terms = contract.deal.warrant
    assert terms is not None and expiry is not None  # _warrant: the deal has warrants
    local = _local(contract, event)
    if w.expired_on is not None:
        raise RuleViolation("warrant.term_years", f"the warrant already expired ({w.expired_on})")
    if event.date < expiry.date() or (local is not None and local < expiry):
        raise RuleViolation(
            "warrant.term_years",
            f"the warrant expires at {expiry.isoformat()} ({terms.expiry_timezone})"
            f"; it cannot be recorded as expired on {event.date}",
        )
    w = replace(w, expired=w.expired + w.outstanding, outstanding=0, expired_on=event.date)
    return _set_warrant(book, name, w, event.date)
