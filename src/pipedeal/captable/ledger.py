"""Positions from the deal's ledger (``pipedeal.ledger``), when the deal folder has one.

The ledger is read once (its events), then replayed purely (``replay``) for each date needed.
Shares issued on conversion and exercise are carried forward through later splits and stock
dividends (a share issued before a 2-for-1 split is two shares after it); the ledger's per-date
``split_factor`` gives the multiplier. Shares issued and splits recorded after the issuer's latest
reported count are added to (and applied to) that count.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

from pipedeal.captable.positions import Position, Positions, check_as_of
from pipedeal.ledger.reading import ledger_view
from pipedeal.pricing.figures import DealFigures
from pipedeal.terms.models import Deal


def _delivered(prev: Any, cur: Any) -> int:
    """Shares delivered by a warrant between two states (net shares when cashless)."""
    if prev is None or cur is None:
        return 0
    delivered = cur.shares_delivered - prev.shares_delivered
    return delivered if delivered > 0 else cur.shares_exercised - prev.shares_exercised


def issued_shares_walk(
    view: Any, names: list[str], start: dt.date, as_of: dt.date, base: int = 0
) -> tuple[dict[str, tuple[int, int]], int, Fraction]:
    """Walk the ledger's dates in (start, as_of]: per purchaser (conversion shares, exercise
    shares) issued in that span carried through later splits; ``base`` shares grown by splits
    plus everything issued; and the split factor over the span."""
    dates = sorted(d for d in view.event_dates() if start < d <= as_of)
    prev = view.state(start)
    held = {n: [Fraction(0), Fraction(0)] for n in names}
    total = Fraction(base)
    factor = Fraction(1)
    for day in dates:
        cur = view.state(day)
        step = Fraction(cur.split_factor) / Fraction(prev.split_factor)
        factor *= step
        total *= step
        for n in names:
            held[n][0] *= step
            held[n][1] *= step
            conv = cur.notes[n].shares_issued - prev.notes[n].shares_issued
            ex = _delivered(prev.warrants.get(n), cur.warrants.get(n))
            held[n][0] += conv
            held[n][1] += ex
            total += conv + ex
        prev = cur
    return ({n: (int(c), int(e)) for n, (c, e) in held.items()}, int(total), factor)


def positions_from_ledger(
    deal_dir: Path, deal: Deal, figures: DealFigures, as_of: dt.date, view: Any = None
) -> Positions | None:
    """None while the deal has no ledger (or its ledger holds no events)."""
    view = view if view is not None else ledger_view(deal_dir)
    if view is None:
        return None
    check_as_of(deal, as_of)
    state = view.state(as_of)
    first = min(p.closing_date for p in deal.purchasers)
    closed = [f for f in figures.purchasers if f.purchaser.closing_date <= as_of]
    names = [f.purchaser.name for f in closed]
    held, _, _ = issued_shares_walk(view, names, first - dt.timedelta(days=1), as_of)
    count = deal.issuer.shares_outstanding_on(as_of)
    since, factor = 0, Fraction(1)
    if count is not None:
        start = max(count.date, first - dt.timedelta(days=1))
        _, grown, factor = issued_shares_walk(view, names, start, as_of, base=0)
        since = grown
    out = []
    for f in closed:
        name = f.purchaser.name
        note = state.notes[name]
        warrant = state.warrants.get(name)
        live = warrant is not None and not warrant.expired
        out.append(Position(
            purchaser=name,
            closing_date=f.purchaser.closing_date,
            principal_outstanding=note.outstanding_principal,
            accrued_interest=note.accrued_interest,
            conversion_price=note.conversion_price,
            warrant_shares_outstanding=warrant.shares_outstanding if live else 0,
            exercise_price=warrant.exercise_price if warrant is not None else None,
            conversion_shares_issued=held[name][0],
            exercise_shares_issued=held[name][1],
        ))
    split = Decimal(factor.numerator) / factor.denominator
    return Positions(as_of, tuple(out), "ledger", since, split)
