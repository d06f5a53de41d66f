"""Cap table and dilution: shares outstanding and fully diluted as of a date, each holder's
basic, fully diluted and beneficial ownership, the exchange's 20% rule, authorized-share
headroom, dilution across stock prices and dates, and diluted EPS.

Owns share counting (whole shares, fractions per the terms) and the ownership ratios. Imports
``terms``, ``pricing``, ``schedule``, ``market`` and (optionally) ``ledger``. See
``docs/captable.md``.
"""

from pipedeal.captable.dilution import (
    DilutedEps,
    GridPoint,
    diluted_eps,
    parse_price_range,
    price_grid,
    treasury_shares,
)
from pipedeal.captable.limits import TwentyPercentTest, twenty_percent_test
from pipedeal.captable.positions import Position, Positions, positions_from_terms
from pipedeal.captable.table import CapTable, HolderRow, cap_table

__all__ = [
    "CapTable",
    "DilutedEps",
    "GridPoint",
    "HolderRow",
    "Position",
    "Positions",
    "TwentyPercentTest",
    "cap_table",
    "diluted_eps",
    "parse_price_range",
    "positions_from_terms",
    "price_grid",
    "treasury_shares",
    "twenty_percent_test",
]
