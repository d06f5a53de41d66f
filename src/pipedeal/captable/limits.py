"""Limits a deal lawyer checks: the exchange's 20% rule and authorized-share headroom.

**20% rule** (Nasdaq Marketplace Rule 4350(i)(1)(D) as in 2004, now Rule 5635(d); NYSE
312.03(c) is alike): issuing, in a private placement, common stock (or securities convertible
into or exercisable for it) equal to 20% or more of the common stock outstanding before the
issuance, at a price below the greater of book or market value, needs shareholder approval.

* Pre-deal outstanding: the issuer's latest reported count dated before the first closing.
* Shares issuable: every note's principal on conversion (fractions per the terms) plus every
  warrant share, aggregated across the purchasers as one transaction. Accrued interest is left
  out (it is paid monthly in cash); ``interest_shares`` shows what one unpaid period would add.
* Market value (``market_basis``): ``last_close`` — the consolidated closing bid/close on the
  last session before signing, the 2004 reading (the closing date is taken as signing);
  ``minimum_price`` — the lower of that close and the 5-session average close before signing
  (Rule 5635(d) since 2018). Book value is not modelled.
* Verdict: approval is required when the issuable shares reach 20% **and** any purchaser's
  conversion or exercise price is below market; when the price file does not cover a signing
  date and the 20% threshold is reached, the verdict is ``undetermined``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from pipedeal.captable.table import pct
from pipedeal.market.closes import PriceSeries
from pipedeal.pricing.figures import DealFigures
from pipedeal.schedule.interest import NoteSchedule
from pipedeal.terms.models import Deal

THRESHOLD_PCT = Decimal(20)
MarketBasis = Literal["last_close", "minimum_price"]
Verdict = Literal["approval required", "approval not required", "undetermined"]


@dataclass(frozen=True)
class PriceTest:
    purchaser: str
    signing_date: dt.date
    deal_price: Decimal  # the lower of conversion and exercise price
    market_date: dt.date | None
    last_close: Decimal | None
    five_day_average: Decimal | None
    market_price: Decimal | None
    below_market: bool | None


@dataclass(frozen=True)
class TwentyPercentTest:
    pre_deal_outstanding: int
    count_date: dt.date | None
    count_source: str | None
    conversion_shares: int
    warrant_shares: int
    interest_shares: int  # one period's interest converted (shown, not counted)
    shares_issuable: int
    percent: Decimal
    threshold_pct: Decimal
    market_basis: MarketBasis
    prices: tuple[PriceTest, ...]
    verdict: Verdict
    reason: str


def _market(
    prices: PriceSeries | None, day: dt.date
) -> tuple[dt.date | None, Decimal | None, Decimal | None]:
    """(date, close) of the last session within a week before ``day``, and the 5-session
    average close before ``day`` (None without enough sessions)."""
    if prices is None:
        return None, None, None
    before = [b for b in prices.bars if b.date < day]
    if not before or (day - before[-1].date).days > 7:
        return None, None, None
    last = before[-1]
    window = before[-5:]
    avg = None
    if len(window) == 5:
        avg = (sum((b.close for b in window), Decimal(0)) / 5).quantize(
            Decimal("0.0001"), rounding=ROUND_HALF_UP
        )
    return last.date, last.close, avg


def twenty_percent_test(
    deal: Deal,
    figures: DealFigures,
    schedules: tuple[NoteSchedule, ...],
    prices: PriceSeries | None,
    *,
    market_basis: MarketBasis = "last_close",
) -> TwentyPercentTest:
    first = min(p.closing_date for p in deal.purchasers)
    count = deal.issuer.shares_outstanding_on(first - dt.timedelta(days=1))
    source = count.source if count else None
    if count is None and deal.issuer.shares_outstanding:
        count = min(deal.issuer.shares_outstanding, key=lambda s: s.date)
        source = f"{count.source or 'reported count'} (dated after the deal: no earlier count)"
    pre = count.shares if count else 0
    conv = figures.conversion_shares
    warr = figures.warrant_shares
    interest = 0
    for f, s in zip(figures.purchasers, schedules, strict=True):
        if deal.note.conversion.unpaid_interest_convertible and s.periods:
            longest = max(p.amount for p in s.periods)
            interest += int(longest / f.conversion_price)
    issuable = conv + warr
    percent = pct(issuable, pre)
    tests = []
    for f in figures.purchasers:
        deal_price = min(x for x in (f.conversion_price, f.exercise_price) if x is not None)
        day, last, avg = _market(prices, f.purchaser.closing_date)
        market = last
        if market_basis == "minimum_price" and last is not None:
            market = min(last, avg) if avg is not None else last
        below = None if market is None else deal_price < market
        tests.append(PriceTest(f.purchaser.name, f.purchaser.closing_date, deal_price, day, last,
                               avg, market, below))
    reaches = percent >= THRESHOLD_PCT
    verdict: Verdict
    if count is None:
        verdict, reason = "undetermined", "no shares-outstanding count in deal.toml"
    elif not reaches:
        verdict = "approval not required"
        reason = f"{issuable:,} shares issuable are {percent}% of {pre:,}, below 20%"
    elif any(t.below_market for t in tests):
        verdict = "approval required"
        reason = f"{percent}% of pre-deal shares, and priced below market value"
    elif any(t.below_market is None for t in tests):
        verdict = "undetermined"
        reason = f"{percent}% of pre-deal shares; no market price before some signing dates"
    else:
        verdict = "approval not required"
        reason = f"{percent}% of pre-deal shares, but every price is at or above market value"
    return TwentyPercentTest(
        pre, count.date if count else None, source, conv, warr, interest, issuable, percent,
        THRESHOLD_PCT, market_basis, tuple(tests), verdict, reason,
    )
