"""The cap table of a deal folder as JSON-ready data (``pipedeal captable`` and the book)."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from decimal import Decimal
from pathlib import Path
from typing import Any

from pipedeal.captable.dilution import diluted_eps, price_grid
from pipedeal.captable.limits import MarketBasis, twenty_percent_test
from pipedeal.captable.positions import Positions, positions_from_terms
from pipedeal.captable.table import CapTable, cap_table
from pipedeal.jsonfmt import money_json
from pipedeal.market.closes import PriceSeries
from pipedeal.pricing.figures import DealFigures
from pipedeal.schedule.interest import NoteSchedule
from pipedeal.terms.models import Deal

CAPTABLE_SCHEMA_VERSION = 1


def deal_positions(
    deal_dir: Path,
    deal: Deal,
    figures: DealFigures,
    schedules: tuple[NoteSchedule, ...],
    as_of: dt.date,
    view: Any = None,
) -> Positions:
    """Positions from the deal folder's ledger (or ``view``) when there is one, else from the
    terms alone."""
    from pipedeal.captable.ledger import positions_from_ledger
    from pipedeal.ledger.reading import ledger_view

    view = view if view is not None else ledger_view(deal_dir)
    if view is not None:
        positions = positions_from_ledger(deal_dir, deal, figures, as_of, view=view)
        if positions is not None:  # None only without a view
            return positions
    return positions_from_terms(deal, figures, schedules, as_of)


def default_as_of(deal: Deal) -> dt.date:
    """The latest shares-outstanding count on or after the last closing, else the last closing."""
    last = max(p.closing_date for p in deal.purchasers)
    later = [s.date for s in deal.issuer.shares_outstanding if s.date >= last]
    return min(later) if later else last


def _d(v: Decimal | None) -> str | None:
    return None if v is None else format(v, "f")


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def table_json(t: CapTable) -> dict[str, Any]:
    return {
        "as_of": t.as_of.isoformat(),
        "positions_source": t.positions_source,
        "shares_outstanding": {
            "count_date": t.count_date.isoformat(),
            "count_source": t.count_source,
            "reported": t.reported_outstanding,
            "as_of": t.shares_outstanding,
        },
        "holders": [
            {
                "name": r.name,
                "shares_held": r.shares_held,
                "note_principal": money_json(r.note_principal),
                "accrued_interest": money_json(r.accrued_interest),
                "conversion_price": _d(r.conversion_price),
                "note_shares_principal": r.note_shares_principal,
                "note_shares_interest": r.note_shares_interest,
                "warrant_shares": r.warrant_shares,
                "exercise_price": _d(r.exercise_price),
                "potential_shares": r.potential_shares,
                "fully_diluted_shares": r.fully_diluted_shares,
                "basic_pct": _d(r.basic_pct),
                "fully_diluted_pct": _d(r.fully_diluted_pct),
                "beneficial_pct": _d(r.beneficial_pct),
                "cap_exceeded": r.cap_exceeded,
            }
            for r in t.holders
        ],
        "other_holders_shares": t.other_holders_shares,
        "potential": {
            "note_shares_principal": t.potential_note_shares,
            "note_shares_interest": t.potential_interest_shares,
            "warrant_shares": t.potential_warrant_shares,
            "total": t.potential_shares,
            "other_securities": t.potential_other_shares,
        },
        "fully_diluted": t.fully_diluted,
        "fully_diluted_includes": list(t.fully_diluted_includes),
        "authorized_shares": t.authorized_shares,
        "authorized_headroom": t.authorized_headroom,
        "ownership_cap_pct": None if t.ownership_cap is None else _d(t.ownership_cap * 100),
    }


def captable_data(
    deal_dir: Path,
    deal: Deal,
    prices: PriceSeries | None,
    figures: DealFigures,
    schedules: tuple[NoteSchedule, ...],
    *,
    as_of: dt.date | None = None,
    grid_prices: list[Decimal] | None = None,
    grid_dates: list[dt.date] | None = None,
    ownership_cap: Decimal | None = None,
    market_basis: MarketBasis = "last_close",
    eps: dict[str, Any] | None = None,
    view: Any = None,
) -> dict[str, Any]:
    """``pipedeal captable --format json``: see docs/captable.md. ``view``: a ledger view
    (``pipedeal.accounting.events.LedgerView``) instead of the deal folder's ledger."""
    from pipedeal.ledger.reading import ledger_view

    as_of = as_of or default_as_of(deal)
    view = view if view is not None else ledger_view(deal_dir)
    positions = deal_positions(deal_dir, deal, figures, schedules, as_of, view)
    table = cap_table(deal, positions, ownership_cap=ownership_cap)
    twenty = twenty_percent_test(deal, figures, schedules, prices, market_basis=market_basis)
    data: dict[str, Any] = {
        "schema_version": CAPTABLE_SCHEMA_VERSION,
        **table_json(table),
        "twenty_percent_rule": _jsonable(asdict(twenty)),
        "dilution": None,
        "diluted_eps": None,
    }
    if eps:
        data["diluted_eps"] = _jsonable(asdict(diluted_eps(deal, positions, **eps)))
    if grid_prices:
        rows = []
        for day in sorted({as_of, *(grid_dates or [])}):
            at = positions if day == as_of else deal_positions(
                deal_dir, deal, figures, schedules, day, view
            )
            rows += [_jsonable(asdict(g)) for g in price_grid(deal, at, grid_prices)]
        data["dilution"] = rows
    return data
