"""Snapshots: the figures at the end of a day, read from a running ``Book``.

``snapshot(contract, book, as_of)`` turns the rules' running state into the frozen ``LedgerState``
every view reads: per purchaser a ``NoteState`` (outstanding principal, interest accrued and
unpaid through ``as_of``, what was paid, converted, prepaid and repaid, the split-adjusted
conversion price, the election window, lapsed if its last day has passed) and a ``WarrantState``
(shares outstanding, exercised and expired, the adjusted exercise price; a warrant past its expiry
moment counts as expired even before that is recorded), and the ``DealTotals`` over them.
Each note and warrant also carries its ``DeliveryState``: shares issued on conversion or
exercise against those the transfer agent delivered, and what is still owed with its deadline.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from types import MappingProxyType
from typing import Any

from pipedeal.jsonfmt import money_json
from pipedeal.ledger.accrual import conversion_price, exercise_price, payable_interest
from pipedeal.ledger.contract import Contract, dates_of
from pipedeal.ledger.events import Event, EventKind
from pipedeal.ledger.state import (
    ONE_DAY,
    ZERO,
    Book,
    Deliveries,
    ElectionWindow,
    RegistrationState,
    _dec,
    replace,
)


@dataclass(frozen=True)
class PendingDelivery:
    issued_on: dt.date  # the conversion or exercise
    shares: int  # still to deliver
    deadline: dt.date  # the instrument's delivery_deadline
    overdue: bool  # the deadline has passed at the snapshot's date


@dataclass(frozen=True)
class DeliveryState:
    shares_issued: int
    shares_delivered: int
    pending: tuple[PendingDelivery, ...]

    @property
    def undelivered(self) -> int:
        return self.shares_issued - self.shares_delivered


def delivery_state(
    contract: Contract, instrument: str, d: Deliveries | None, as_of: dt.date
) -> DeliveryState:
    """What ``d`` (an instrument's running deliveries) owes at the end of ``as_of``."""
    if d is None:
        return DeliveryState(0, 0, ())
    pending = []
    for owed in d.owed:
        deadline = contract.delivery_deadline(instrument, owed.date)
        pending.append(PendingDelivery(owed.date, owed.shares, deadline, as_of > deadline))
    return DeliveryState(d.issued, d.delivered, tuple(pending))


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
    delivery: DeliveryState = DeliveryState(0, 0, ())


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
    delivery: DeliveryState = DeliveryState(0, 0, ())


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

    def to_json(self) -> dict[str, Any]:
        """What ``pipedeal ledger state --format json`` prints."""
        return state_to_json(self)


def snapshot(
    contract: Contract, book: Book, as_of: dt.date, events: tuple[Event, ...] = ()
) -> LedgerState:
    """Figures at the end of ``as_of`` from a book holding the events dated up to then."""
    notes: dict[str, NoteState] = {}
    for name, n in book.notes.items():
        d = dates_of(contract, name)
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
            delivery=delivery_state(
                contract, f"note:{name}", book.deliveries.get(f"note:{name}"), as_of
            ),
        )
    warrants: dict[str, WarrantState] = {}
    for name, w in book.warrants.items():
        expiry = dates_of(contract, name).warrant_expiry
        assert expiry is not None  # the book holds warrants only when the deal has them
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
            delivery=delivery_state(
                contract, f"warrant:{name}", book.deliveries.get(f"warrant:{name}"), as_of
            ),
        )

    def total(attr: str, values: Iterable[object]) -> Decimal:
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


# --- JSON --------------------------------------------------------------------------------------

SCHEMA_VERSION = 1


def _d(v: Decimal | None) -> str | None:
    return None if v is None else format(v, "f")


_m = money_json  # money: two decimals


def _day(v: dt.date | None) -> str | None:
    return None if v is None else v.isoformat()


def delivery_json(d: DeliveryState) -> dict[str, Any]:
    return {
        "shares_issued": d.shares_issued,
        "shares_delivered": d.shares_delivered,
        "shares_undelivered": d.undelivered,
        "pending": [
            {
                "issued_on": p.issued_on.isoformat(),
                "shares": p.shares,
                "deadline": p.deadline.isoformat(),
                "overdue": p.overdue,
            }
            for p in d.pending
        ],
    }


def state_to_json(state: LedgerState) -> dict[str, Any]:
    """The state as JSON (``docs/ledger.md``): money as decimal strings, dates ISO."""
    notes = []
    for n in state.notes.values():
        w = n.election_window
        notes.append(
            {
                "purchaser": n.purchaser,
                "status": n.status,
                "issued": n.issued,
                "issue_date": _day(n.issue_date),
                "maturity_date": _day(n.maturity_date),
                "maturity_pay_date": _day(n.maturity_pay_date),
                "face_principal": _m(n.face_principal),
                "outstanding_principal": _m(n.outstanding_principal),
                "accrued_interest": _m(n.accrued_interest),
                "interest_paid": _m(n.interest_paid),
                "interest_paid_through": _day(n.interest_paid_through),
                "principal_converted": _m(n.principal_converted),
                "interest_converted": _m(n.interest_converted),
                "shares_issued": n.shares_issued,
                "cash_in_lieu": _m(n.cash_in_lieu),
                "principal_prepaid": _m(n.principal_prepaid),
                "premium_paid": _m(n.premium_paid),
                "principal_repaid": _m(n.principal_repaid),
                "cash_received": _m(n.cash_received),
                "cash_paid": _m(n.cash_paid),
                "conversion_price": _d(n.conversion_price.normalize()),
                "base_conversion_price": _d(n.base_conversion_price),
                "prepayment_notices": n.prepayment_notices,
                "election_window": None
                if w is None
                else {
                    "notice_date": _day(w.notice_date),
                    "principal": _m(w.principal),
                    "closes": _day(w.closes),
                    "settle_from": _day(w.settle_from),
                    "status": w.status,
                    "elected_principal": _m(w.elected_principal),
                },
                "delivery": delivery_json(n.delivery),
            }
        )
    warrants = [
        {
            "purchaser": w.purchaser,
            "issued": w.issued,
            "shares_initial": w.shares_initial,
            "shares_outstanding": w.shares_outstanding,
            "shares_exercised": w.shares_exercised,
            "shares_delivered": w.shares_delivered,
            "shares_expired": w.shares_expired,
            "exercise_price": (
                None if w.exercise_price is None else _d(w.exercise_price.normalize())
            ),
            "base_exercise_price": _d(w.base_exercise_price),
            "cash_received": _m(w.cash_received),
            "expires_at": w.expires_at.isoformat(),
            "expired": w.expired,
            "delivery": delivery_json(w.delivery),
        }
        for w in state.warrants.values()
    ]
    t = state.totals
    return {
        "schema_version": SCHEMA_VERSION,
        "as_of": state.as_of.isoformat(),
        "split_factor": str(state.split_factor),
        "split_factor_decimal": _d(_dec(state.split_factor).normalize()),
        "events_applied": len(state.events),
        "notes": notes,
        "warrants": warrants,
        "registrations": [
            {
                "form": r.form,
                "file_number": r.file_number,
                "shares": r.shares,
                "filed": _day(r.filed),
                "effective": _day(r.effective),
            }
            for r in state.registrations
        ],
        "totals": {
            "outstanding_principal": _m(t.outstanding_principal),
            "accrued_interest": _m(t.accrued_interest),
            "interest_paid": _m(t.interest_paid),
            "principal_converted": _m(t.principal_converted),
            "interest_converted": _m(t.interest_converted),
            "shares_issued_on_conversion": t.shares_issued_on_conversion,
            "warrant_shares_outstanding": t.warrant_shares_outstanding,
            "warrant_shares_exercised": t.warrant_shares_exercised,
            "cash_received": _m(t.cash_received),
            "cash_paid": _m(t.cash_paid),
        },
    }


def event_effect(before: Book, after: Book, event: Event) -> dict[str, Any]:
    """What ``event`` changed on its instrument (``ledger record``'s and the service's
    ``effect``): the state after it, and the differences of the running totals across it."""
    name = event.purchaser
    if name is None or before is after:
        return {}
    if event.kind is EventKind.SHARES_DELIVERED:
        da = before.deliveries.get(event.instrument) or Deliveries()
        db = after.deliveries.get(event.instrument) or Deliveries()
        return {
            "shares_delivered": db.delivered - da.delivered,
            "shares_undelivered": db.undelivered,
        }
    if event.instrument_type == "note":
        a, b = before.notes[name], after.notes[name]
        out: dict[str, Any] = {
            "outstanding_principal": money_json(b.principal),
            "shares_issued": b.shares_issued - a.shares_issued,
            "cash_paid": money_json(b.cash_paid - a.cash_paid),
        }
        if b.window is not None:
            out["election_window_closes"] = b.window.closes.isoformat()
            out["settle_from"] = b.window.settle_from.isoformat()
        return out
    wa, wb = before.warrants[name], after.warrants[name]
    return {
        "shares_outstanding": wb.outstanding,
        "shares_delivered": wb.delivered - wa.delivered,
        "cash_received": money_json(wb.cash_received - wa.cash_received),
    }
