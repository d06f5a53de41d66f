"""Derived deal figures: per-purchaser prices, share counts and proceeds, and the deal totals."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from pipedeal.market.closes import PriceSeries
from pipedeal.pricing.rules import PriceTrace, evaluate
from pipedeal.terms.models import ConversionTerms, Deal, Purchaser, WarrantTerms


@dataclass(frozen=True)
class PurchaserFigures:
    purchaser: Purchaser
    conversion: PriceTrace
    conversion_shares: int  # for the full principal, fractional shares per the terms
    warrant_shares: int
    exercise: PriceTrace | None
    exercise_proceeds: Decimal

    @property
    def conversion_price(self) -> Decimal:
        return self.conversion.price

    @property
    def exercise_price(self) -> Decimal | None:
        return self.exercise.price if self.exercise else None


@dataclass(frozen=True)
class DealFigures:
    purchasers: tuple[PurchaserFigures, ...]

    @property
    def principal(self) -> Decimal:
        return sum((f.purchaser.principal for f in self.purchasers), Decimal(0))

    @property
    def cash_funded(self) -> Decimal:
        return sum((f.purchaser.funded for f in self.purchasers), Decimal(0))

    @property
    def conversion_shares(self) -> int:
        return sum(f.conversion_shares for f in self.purchasers)

    @property
    def warrant_shares(self) -> int:
        return sum(f.warrant_shares for f in self.purchasers)

    @property
    def exercise_proceeds(self) -> Decimal:
        return sum((f.exercise_proceeds for f in self.purchasers), Decimal(0))

    def for_purchaser(self, name: str) -> PurchaserFigures:
        for f in self.purchasers:
            if f.purchaser.name == name:
                return f
        raise KeyError(name)


def conversion_shares(amount: Decimal, price: Decimal, terms: ConversionTerms) -> int:
    """Whole shares for converting ``amount`` dollars at ``price`` (fractions per the terms)."""
    raw = amount / price
    mode = ROUND_HALF_UP if terms.fractional_shares == "round_half_up" else ROUND_DOWN
    return int(raw.to_integral_value(rounding=mode))


def warrant_share_count(principal: Decimal, terms: WarrantTerms) -> int:
    raw = principal * terms.coverage_shares_per_dollar
    return int(raw.to_integral_value(rounding=terms.share_rounding.decimal_mode))


def deal_figures(deal: Deal, prices: PriceSeries | None) -> DealFigures:
    """Price every purchaser's note and warrant on the deal's trading calendar."""
    cal = deal.market.trading_calendar
    out = []
    for p in deal.purchasers:
        conv = evaluate(
            deal.note.conversion.price,
            p.closing_date,
            prices,
            cal,
            label=f"note.conversion.price ({p.name}, issued {p.closing_date})",
        )
        shares = conversion_shares(p.principal, conv.price, deal.note.conversion)
        exercise: PriceTrace | None = None
        warrant_shares = 0
        proceeds = Decimal(0)
        if deal.warrant is not None:
            warrant_shares = warrant_share_count(p.principal, deal.warrant)
            rule = deal.warrant.exercise_price
            exercise = (
                conv
                if rule == "conversion_price"
                else evaluate(
                    rule,
                    p.closing_date,
                    prices,
                    cal,
                    label=f"warrant.exercise_price ({p.name}, issued {p.closing_date})",
                )
            )
            proceeds = warrant_shares * exercise.price
        out.append(PurchaserFigures(p, conv, shares, warrant_shares, exercise, proceeds))
    return DealFigures(tuple(out))
