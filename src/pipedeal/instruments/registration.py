"""Registrable securities: the shares a resale registration statement must cover, per holder.

Under the registration rights agreement the registrable securities are the shares the notes
convert into and the warrants' shares (and, when the terms say so, the shares unpaid interest
would convert into). Registration counts the conversion shares by ``registration_rights.
share_rounding`` (the nearest share in practice), which can differ from what conversion
delivers (``note.conversion.fractional_shares``, whole shares rounded down): both are given.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from pipedeal.instruments.deal import LoadedDeal
from pipedeal.instruments.warrant import round_shares


@dataclass(frozen=True)
class HolderRegistrable:
    purchaser: str
    conversion_shares: int  # by the registration rounding rule
    conversion_shares_delivered: int  # what conversion of the whole principal delivers
    interest_shares: int  # unpaid interest to maturity, when registrable (else 0)
    warrant_shares: int

    @property
    def total(self) -> int:
        return self.conversion_shares + self.interest_shares + self.warrant_shares


@dataclass(frozen=True)
class Registrable:
    rounding: str
    securities: tuple[str, ...]
    holders: tuple[HolderRegistrable, ...]

    @property
    def total(self) -> int:
        return sum(h.total for h in self.holders)

    def to_json(self) -> dict[str, Any]:
        return {
            "rounding": self.rounding,
            "securities": list(self.securities),
            "holders": [
                {"purchaser": h.purchaser, "conversion_shares": h.conversion_shares,
                 "conversion_shares_delivered": h.conversion_shares_delivered,
                 "interest_shares": h.interest_shares, "warrant_shares": h.warrant_shares,
                 "total": h.total}
                for h in self.holders
            ],
            "total": self.total,
        }


def registrable_securities(deal: LoadedDeal) -> Registrable | None:
    """Per holder and in total, at the prices fixed at issue; None without registration
    rights."""
    rights = deal.terms.registration_rights
    if rights is None:
        return None
    mode = rights.share_rounding
    holders = []
    for name in deal.names:
        note = deal.notes[name]
        price = note.conversion_price()
        kinds = rights.registrable_securities
        conversion = round_shares(Fraction(note.principal) / price, mode)
        interest = 0
        if "interest_shares" in kinds:
            total_interest = sum((p.amount for p in note.schedule.periods), Decimal(0))
            interest = round_shares(Fraction(total_interest) / price, mode)
        warrant = deal.warrants.get(name)
        holders.append(HolderRegistrable(
            purchaser=name,
            conversion_shares=conversion if "conversion_shares" in kinds else 0,
            conversion_shares_delivered=note.conversion_result(note.principal)[0],
            interest_shares=interest,
            warrant_shares=warrant.shares if warrant is not None and "warrant_shares" in kinds
            else 0,
        ))
    return Registrable(mode.value, tuple(rights.registrable_securities), tuple(holders))
