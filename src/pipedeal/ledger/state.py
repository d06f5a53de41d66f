"""Running state: what the rules check the next event against.

``Book`` holds, per purchaser, the running state of the note (``_Note``) and the warrant
(``_Warrant``), the cumulative split/dividend factor (an exact fraction), the registration
statements filed, the shares issued against those delivered per instrument and the ordering
marks (latest event per instrument and on the deal). Every type is a frozen dataclass;
``replace`` copies one with changes (``dataclasses.replace`` minus its overhead). The money
and price formatting helpers (``_money``, ``_dec``, ``_cents``) live here so that rules and
snapshots round the same way.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any, TypeVar

from pipedeal.ledger.contract import Contract
from pipedeal.schedule.interest import CENT

ZERO = Decimal(0)
ONE_DAY = dt.timedelta(days=1)
PRICE_PLACES = Decimal("0.0000000001")
_T = TypeVar("_T")


def replace(obj: _T, **changes: Any) -> _T:  # dataclasses.replace, minus its overhead
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
class Owed:
    """Shares issued on one day (a conversion or an exercise) not delivered yet."""

    date: dt.date
    shares: int


@dataclass(frozen=True)
class Deliveries:
    """One instrument's shares issued (conversions or exercises) against those the transfer
    agent delivered (``shares_delivered``); ``owed`` oldest first."""

    issued: int = 0
    delivered: int = 0
    owed: tuple[Owed, ...] = ()

    @property
    def undelivered(self) -> int:
        return self.issued - self.delivered


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
    # instrument ("note:NAME", "warrant:NAME") -> shares issued vs delivered (delivery_rules)
    deliveries: Mapping[str, Deliveries] = field(default_factory=dict)

    @classmethod
    def empty(cls, contract: Contract) -> Book:
        warrants = {n: _Warrant() for n in contract.names} if contract.deal.warrant else {}
        return cls(notes={n: _Note() for n in contract.names}, warrants=warrants)
