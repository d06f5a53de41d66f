"""Accrual, prices and shares for the rules: thin wrappers over ``pipedeal.instruments``.

The ledger holds no day-count or conversion arithmetic of its own: interest accrued and payable
on a note's running principal segments, the note's principal after a change on a day, and the
conversion and exercise prices and shares after the cumulative split factor are all the
instrument layer's answers (``contract.note(name)``, ``contract.warrants[name]``), called with the
ledger's running state. Cents are settled cumulatively (see ``docs/ledger.md``).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction

from pipedeal.ledger.contract import Contract
from pipedeal.ledger.state import ZERO, _Note, replace

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
