"""The figures an event takes when its recorder leaves them out.

``pipedeal ledger record`` (and any other front end) asks these functions what a payment,
conversion or settlement comes to by default, instead of working it out itself: each answers one
question from the contract and the running ``Book`` (the state after every recorded event), with
the same rules the ledger then checks the event against (``pipedeal.ledger.rules``).

Interest conventions (see ``docs/ledger.md``): ``through`` dates are inclusive (the last day a
payment covers); an event dated D settles the interest of the days before D, and of D itself when
interest accrues from the day after a principal change (``Contract.accrual_shift``).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from pipedeal.errors import UserError
from pipedeal.ledger.contract import Contract
from pipedeal.ledger.rules import ONE_DAY, Book, payable_interest

if TYPE_CHECKING:
    from pipedeal.ledger.rules import _Note

ZERO = Decimal(0)
CENT = Decimal("0.01")

__all__ = [
    "conversion_interest",
    "default_interest_through",
    "elected_principal",
    "interest_payable",
    "interest_settled_by_event",
    "maturity_pay_date",
    "outstanding_principal",
    "prepayment_interest",
    "prepayment_to_settle",
    "warrant_expiry_date",
    "warrant_shares_outstanding",
    "warrant_time_zone",
]


def _note(contract: Contract, book: Book, purchaser: str) -> _Note:
    contract.purchaser(purchaser)  # a user error naming the purchasers if unknown
    return book.notes[purchaser]


# --- interest ----------------------------------------------------------------------------------


def default_interest_through(day: dt.date) -> dt.date:
    """The last day an interest payment made on ``day`` covers by default: the end of the
    previous month (a payment on 2004-08-02 covers through 2004-07-31)."""
    return day.replace(day=1) - ONE_DAY


def interest_payable(contract: Contract, book: Book, purchaser: str, through: dt.date) -> Decimal:
    """Interest on ``purchaser``'s note accrued through ``through`` (inclusive) and not yet paid
    or converted, in cents (cumulative rounding, as the rules settle it)."""
    note = _note(contract, book, purchaser)
    return payable_interest(contract, purchaser, note, through + ONE_DAY)


def interest_settled_by_event(
    contract: Contract, book: Book, purchaser: str, day: dt.date
) -> Decimal:
    """Unpaid interest that a principal change dated ``day`` (conversion, prepayment) settles:
    the days before ``day``, plus ``day`` itself when interest accrues from the day after a
    principal change (``accrual_start = day_after_issue``)."""
    note = _note(contract, book, purchaser)
    upto = day + dt.timedelta(days=contract.accrual_shift)
    return payable_interest(contract, purchaser, note, upto)


def conversion_interest(contract: Contract, book: Book, purchaser: str, day: dt.date) -> Decimal:
    """Accrued unpaid interest converted along with principal on ``day`` ("all"): every unpaid
    cent up to the conversion when the terms let unpaid interest convert, else nothing."""
    if not contract.deal.note.conversion.unpaid_interest_convertible:
        contract.purchaser(purchaser)
        return ZERO
    return interest_settled_by_event(contract, book, purchaser, day)


# --- principal ---------------------------------------------------------------------------------


def outstanding_principal(contract: Contract, book: Book, purchaser: str) -> Decimal:
    """``purchaser``'s principal outstanding after every recorded event."""
    return _note(contract, book, purchaser).principal


def elected_principal(contract: Contract, book: Book, purchaser: str) -> Decimal:
    """Principal a conversion election converts by default: what the pending prepayment notice
    leaves to settle (at most the principal outstanding).

    Raises ``UserError`` when no prepayment notice is pending.
    """
    note = _note(contract, book, purchaser)
    w = note.window
    if w is None or w.status == "settled":
        raise UserError("note.prepayment.holder_election_days: no pending prepayment notice")
    return min(w.to_settle, note.principal)


def prepayment_to_settle(contract: Contract, book: Book, purchaser: str) -> Decimal:
    """Principal a prepayment settlement pays by default: what the notice left to settle after
    any election (at most the principal outstanding); 0 when there was no notice."""
    note = _note(contract, book, purchaser)
    w = note.window
    return ZERO if w is None else min(w.to_settle, note.principal)


def prepayment_interest(
    contract: Contract, book: Book, purchaser: str, day: dt.date, principal: Decimal
) -> Decimal:
    """Accrued interest paid with a prepayment of ``principal`` settled on ``day``: all unpaid
    interest up to the settlement, pro rata (to the cent) when only part of the principal is
    prepaid; nothing when the terms do not pay accrued interest on prepayment."""
    note = _note(contract, book, purchaser)
    if not contract.deal.note.prepayment.pays_accrued_interest or note.principal <= 0:
        return ZERO
    accrued = interest_settled_by_event(contract, book, purchaser, day)
    return (accrued * principal / note.principal).quantize(CENT)


def maturity_pay_date(contract: Contract, purchaser: str) -> dt.date:
    """The day ``purchaser``'s note is repaid at maturity (the maturity date, moved to a business
    day by the terms' convention)."""
    return contract.dates(purchaser).maturity.pay_date


# --- warrants ----------------------------------------------------------------------------------


def warrant_shares_outstanding(contract: Contract, book: Book, purchaser: str) -> int:
    """Warrant shares ``purchaser`` may still exercise ("all"); 0 when the deal has no warrants."""
    contract.purchaser(purchaser)
    w = book.warrants.get(purchaser)
    return w.outstanding if w else 0


def warrant_expiry_date(contract: Contract, purchaser: str) -> dt.date:
    """The (local) date ``purchaser``'s warrant expires.

    Raises ``UserError`` when the deal has no warrants.
    """
    expiry = contract.dates(purchaser).warrant_expiry
    if expiry is None:
        raise UserError("warrant: this deal has no warrants")
    return expiry.date()


def warrant_time_zone(contract: Contract) -> dt.tzinfo:
    """The zone an exercise time without one is read in: the warrant's expiry time zone (UTC when
    the deal has no warrants)."""
    w = contract.deal.warrant
    return ZoneInfo(w.expiry_timezone) if w else dt.UTC
