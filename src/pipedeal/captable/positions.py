"""Each purchaser's position as of a date: what the cap table and dilution views read.

Two sources give the same ``Position``:

* the deal terms alone (``positions_from_terms``): the terms' own state
  (``pipedeal.ledger.assumed.terms_state``: every note closed by the date is outstanding until
  its maturity payment date, interest is paid on schedule, nothing is converted or exercised,
  warrants are outstanding until they expire);
* the ledger (``pipedeal.captable.ledger``), when the deal folder has one: what was recorded.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from pipedeal.errors import UserError
from pipedeal.pricing.figures import DealFigures, conversion_shares
from pipedeal.schedule.interest import NoteSchedule
from pipedeal.terms.models import Deal


@dataclass(frozen=True)
class Position:
    purchaser: str
    closing_date: dt.date
    principal_outstanding: Decimal
    accrued_interest: Decimal  # accrued and unpaid as of the date
    conversion_price: Decimal  # as adjusted (splits)
    warrant_shares_outstanding: int
    exercise_price: Decimal | None
    conversion_shares_issued: int = 0
    exercise_shares_issued: int = 0

    @property
    def shares_held(self) -> int:
        """Shares received from the issuer on conversion and exercise (assumed still held)."""
        return self.conversion_shares_issued + self.exercise_shares_issued


@dataclass(frozen=True)
class Positions:
    as_of: dt.date
    positions: tuple[Position, ...]
    source: str  # "terms" or "ledger"
    shares_issued_since_count: int = 0  # conversion/exercise shares recorded after the count date
    split_factor_since_count: Decimal = Decimal(1)  # splits recorded after the count date


def first_closing(deal: Deal) -> dt.date:
    return min(p.closing_date for p in deal.purchasers)


def check_as_of(deal: Deal, as_of: dt.date) -> None:
    first = first_closing(deal)
    if as_of < first:
        raise UserError(
            f"--as-of {as_of} is before the first closing ({first}); nothing is outstanding yet"
        )


def positions_from_terms(
    deal: Deal, figures: DealFigures, schedules: tuple[NoteSchedule, ...], as_of: dt.date
) -> Positions:
    """Positions on the terms alone: the state of the contract performed as scheduled."""
    from pipedeal.instruments.deal import LoadedDeal
    from pipedeal.ledger.assumed import terms_state

    check_as_of(deal, as_of)
    state = terms_state(LoadedDeal.from_figures(deal, figures), as_of)
    out = []
    for f in figures.purchasers:
        p = f.purchaser
        if p.closing_date > as_of:
            continue
        note, warrant = state.notes[p.name], state.warrants.get(p.name)
        out.append(Position(
            purchaser=p.name,
            closing_date=p.closing_date,
            principal_outstanding=note.outstanding_principal,
            accrued_interest=note.accrued_interest,
            conversion_price=note.conversion_price.normalize(),
            warrant_shares_outstanding=0 if warrant is None else warrant.shares_outstanding,
            exercise_price=None if warrant is None or warrant.exercise_price is None
            else warrant.exercise_price.normalize(),
        ))
    return Positions(as_of, tuple(out), "terms")


def note_shares(deal: Deal, pos: Position) -> tuple[int, int]:
    """(shares for the principal, extra shares for accrued interest when it is convertible)."""
    if pos.principal_outstanding <= 0:
        return 0, 0
    terms = deal.note.conversion
    base = conversion_shares(pos.principal_outstanding, pos.conversion_price, terms)
    if not terms.unpaid_interest_convertible or pos.accrued_interest <= 0:
        return base, 0
    total = conversion_shares(
        pos.principal_outstanding + pos.accrued_interest, pos.conversion_price, terms
    )
    return base, total - base
