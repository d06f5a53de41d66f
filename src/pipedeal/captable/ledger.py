"""Positions from the deal's ledger (``pipedeal.ledger``), when the deal folder has one."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from pipedeal.captable.positions import Positions
from pipedeal.pricing.figures import DealFigures
from pipedeal.terms.models import Deal


def positions_from_ledger(
    deal_dir: Path, deal: Deal, figures: DealFigures, as_of: dt.date
) -> Positions | None:
    """None while the deal folder has no ledger (or the ledger package is not installed)."""
    return None
