"""Price setting and derived figures.

Owns: evaluating a price rule on real trading sessions with a trace of what was used
(``rules``), the per-purchaser conversion/exercise prices, share counts and proceeds
(``figures``), and the disclosure check of stated against computed figures (``check``).
Imports ``terms``, ``market`` and ``errors``.
"""

from pipedeal.pricing.check import CheckLine, disclosure_check
from pipedeal.pricing.figures import (
    DealFigures,
    PurchaserFigures,
    conversion_shares,
    deal_figures,
    warrant_share_count,
)
from pipedeal.pricing.rules import PriceTrace, describe_rule, evaluate, window_sessions

__all__ = [
    "CheckLine",
    "DealFigures",
    "PriceTrace",
    "PurchaserFigures",
    "conversion_shares",
    "deal_figures",
    "describe_rule",
    "disclosure_check",
    "evaluate",
    "warrant_share_count",
    "window_sessions",
]
