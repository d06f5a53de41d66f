"""Derived deal figures: per-purchaser prices, share counts and proceeds, and the deal totals."""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

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


def conversion_result(
    amount: Decimal, price: Decimal | Fraction, terms: ConversionTerms
) -> tuple[int, Decimal]:
    """(whole shares, cash in lieu of a fraction) for converting ``amount`` dollars at ``price``.

    The one implementation of conversion shares: ``fractional_shares`` says whether a fraction
    is rounded half-up, dropped, or paid in cash (to the cent, half-up). Exact (fractions).
    """
    exact_price = Fraction(price)
    raw = Fraction(amount) / exact_price
    rule = terms.fractional_shares
    if rule == "round_half_up":
        return math.floor(raw + Fraction(1, 2)), Decimal(0)
    shares = math.floor(raw)
    if rule != "cash_in_lieu":
        return shares, Decimal(0)
    cash = (raw - shares) * exact_price
    cents = (Decimal(cash.numerator) / Decimal(cash.denominator)).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP
    )
    return shares, cents


def conversion_shares(amount: Decimal, price: Decimal | Fraction, terms: ConversionTerms) -> int:
    """Whole shares for converting ``amount`` dollars at ``price`` (fractions per the terms)."""
    return conversion_result(amount, price, terms)[0]


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
