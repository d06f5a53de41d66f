"""The disclosure check: the figures a filing states against the figures the terms produce."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from pipedeal.pricing.figures import DealFigures
from pipedeal.terms.models import Deal


@dataclass(frozen=True)
class CheckLine:
    figure: str
    stated: str
    computed: str
    matches: bool
    source: str = ""  # where the stated value comes from (the filing, an exhibit, deal.toml)


def disclosure_check(
    deal: Deal, figures: DealFigures, first_payment_dates: tuple[dt.date, ...] = ()
) -> tuple[CheckLine, ...]:
    """One line per stated figure; an empty tuple when the deal states none.

    ``first_payment_dates`` (one per note, from the schedules) are checked against the note's
    stated ``first_payment_date`` when the terms give one.
    """
    lines: list[CheckLine] = []
    stated_first = deal.note.interest.first_payment_date
    if stated_first is not None and first_payment_dates:
        for purchaser, computed in zip(deal.purchasers, first_payment_dates, strict=True):
            lines.append(
                CheckLine(
                    f"first interest payment ({purchaser.name})",
                    stated_first.isoformat(),
                    computed.isoformat(),
                    stated_first == computed,
                    "deal.toml note.interest.first_payment_date (the note's terms, not the 8-K)",
                )
            )
    stated = deal.disclosure
    if stated is None:
        return tuple(lines)

    source = f"[disclosure] of deal.toml, as stated in {stated.source or 'the filing'}"

    def add(name: str, said: object, computed: object) -> None:
        lines.append(
            CheckLine(name, _fmt(said), _fmt(computed), _equal(said, computed), source)
        )

    if stated.num_purchasers is not None:
        add("number of purchasers", stated.num_purchasers, len(figures.purchasers))
    if stated.aggregate_principal is not None:
        add("aggregate principal", stated.aggregate_principal, figures.principal)
    if stated.warrant_shares is not None:
        add("warrant shares", stated.warrant_shares, figures.warrant_shares)
    if stated.exercise_proceeds is not None:
        add("proceeds on full exercise", stated.exercise_proceeds, figures.exercise_proceeds)
    if stated.conversion_prices is not None:
        add(
            "conversion prices",
            stated.conversion_prices,
            tuple(f.conversion_price for f in figures.purchasers),
        )
    if stated.exercise_prices is not None:
        add(
            "exercise prices",
            stated.exercise_prices,
            tuple(f.exercise_price for f in figures.purchasers),
        )
    return tuple(lines)


def _equal(a: object, b: object) -> bool:
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b, strict=True))
    if a is None or b is None:
        return a is b
    return Decimal(str(a)) == Decimal(str(b))


def _fmt(value: object) -> str:
    if isinstance(value, tuple):
        return ", ".join(_fmt(v) for v in value)
    if isinstance(value, Decimal):
        return f"{value:,f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)
