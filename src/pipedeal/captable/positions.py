"""Each purchaser's position as of a date: what the cap table and dilution views read.

Two sources give the same ``Position``:

* the deal terms alone (``positions_from_terms``): every note closed by the date is outstanding
  until its maturity payment date, interest is paid on schedule, nothing is converted or
  exercised, warrants are outstanding until they expire;
* the ledger (``pipedeal.captable.ledger``), when the deal folder has one: what was recorded.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from pipedeal.errors import UserError
from pipedeal.pricing.figures import DealFigures, conversion_shares
from pipedeal.schedule.interest import CENT, NoteSchedule, add_months, interest_between
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


def accrued_unpaid(schedule: NoteSchedule, deal: Deal, as_of: dt.date) -> Decimal:
    """Interest accrued through ``as_of`` (inclusive) less interest paid on or before it."""
    terms = deal.note.interest
    exact = Decimal(0)
    paid = Decimal(0)
    for p in schedule.periods:
        if p.pay_date <= as_of:
            paid += p.amount
        if p.period_end <= as_of:
            exact += p.exact
        elif p.period_start <= as_of:
            exact += interest_between(
                schedule.principal, terms.rate, p.period_start,
                as_of + dt.timedelta(days=1), terms.day_count,
            )
    accrued = exact.quantize(CENT, rounding=terms.rounding_mode.decimal_mode) - paid
    return max(accrued, Decimal(0))


def warrant_expiry(deal: Deal, issue: dt.date) -> dt.date | None:
    if deal.warrant is None:
        return None
    return add_months(issue, 12 * deal.warrant.term_years)


def positions_from_terms(
    deal: Deal, figures: DealFigures, schedules: tuple[NoteSchedule, ...], as_of: dt.date
) -> Positions:
    check_as_of(deal, as_of)
    by_name = {s.purchaser: s for s in schedules}
    out = []
    for f in figures.purchasers:
        p = f.purchaser
        if p.closing_date > as_of:
            continue
        sched = by_name[p.name]
        repaid = as_of >= sched.maturity.pay_date
        expiry = warrant_expiry(deal, p.closing_date)
        expired = expiry is not None and as_of > expiry
        out.append(Position(
            purchaser=p.name,
            closing_date=p.closing_date,
            principal_outstanding=Decimal(0) if repaid else p.principal,
            accrued_interest=Decimal(0) if repaid else accrued_unpaid(sched, deal, as_of),
            conversion_price=f.conversion_price,
            warrant_shares_outstanding=0 if expired else f.warrant_shares,
            exercise_price=f.exercise_price,
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
