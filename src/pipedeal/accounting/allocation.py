"""Proceeds allocation and the beneficial conversion feature of a note issued with warrants.

Rules:

* **Relative fair value** (ASC 470-20-25-2, formerly APB 14 ¶16): proceeds are split between the
  note and the detachable warrants in proportion to their standalone fair values. The note's
  share is rounded to the cent half-up; the warrants take the rest, so the two add up to the
  proceeds exactly.
* **Beneficial conversion feature** (``legacy`` regime only; EITF 98-5 and 00-27, ASC
  470-20-25-5 and 30-4 before ASU 2020-06): the effective conversion price is the amount
  allocated to the note divided by the shares the principal converts into (unrounded, as
  EITF 00-27 Issue 1 computes it); the BCF is the intrinsic value
  ``(commitment-date share price − effective conversion price) × conversion shares`` when
  positive, computed as ``commitment price × shares − allocated amount`` and rounded to the cent
  half-up, and capped at the amount allocated to the note (EITF 98-5 ¶6).
* ``asu-2020-06``: no BCF model; the warrants' allocation is the only discount (assuming the
  warrants are equity-classified and no derivative is bifurcated under ASC 815).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from pipedeal.accounting.journal import ZERO, cents
from pipedeal.errors import UserError

ECP_PLACES = Decimal("0.000001")  # effective conversion price is shown to 6 places


class Regime(StrEnum):
    LEGACY = "legacy"  # APB 14 / EITF 98-5 / EITF 00-27 (as in 2004)
    ASU_2020_06 = "asu-2020-06"


@dataclass(frozen=True)
class Allocation:
    regime: Regime
    principal: Decimal
    proceeds: Decimal
    note_fair_value: Decimal
    warrant_fair_value: Decimal
    allocated_to_note: Decimal
    allocated_to_warrants: Decimal
    conversion_price: Decimal
    conversion_shares: Decimal  # principal / conversion price, unrounded
    effective_conversion_price: Decimal | None  # unrounded; legacy only
    commitment_price: Decimal | None
    intrinsic_value: Decimal | None  # before the cap; legacy only
    bcf: Decimal
    bcf_capped: bool

    @property
    def carrying_amount(self) -> Decimal:
        """Initial carrying amount of the note: allocated amount less the BCF."""
        return self.allocated_to_note - self.bcf

    @property
    def discount(self) -> Decimal:
        """Debt discount: face less initial carrying amount (warrants, BCF and any net costs)."""
        return self.principal - self.carrying_amount

    @property
    def effective_conversion_price_rounded(self) -> Decimal | None:
        if self.effective_conversion_price is None:
            return None
        return self.effective_conversion_price.quantize(ECP_PLACES)


def _positive(name: str, value: Decimal | None) -> Decimal:
    if value is None:
        raise UserError(f"{name} is required")
    value = Decimal(value)
    if not value.is_finite() or value <= 0:
        raise UserError(f"{name} must be greater than zero, got {value}")
    return value


def allocate(
    *,
    principal: Decimal,
    proceeds: Decimal,
    conversion_price: Decimal,
    note_fair_value: Decimal | None,
    warrant_fair_value: Decimal | None,
    commitment_price: Decimal | None = None,
    regime: Regime | str = Regime.LEGACY,
) -> Allocation:
    """Allocate ``proceeds`` to the note and warrants and measure the BCF under ``regime``."""
    regime = Regime(regime)
    principal = _positive("principal", principal)
    proceeds = _positive("proceeds", proceeds)
    conversion_price = _positive("conversion price", conversion_price)
    fv_note = _positive("note fair value (--note-fair-value)", note_fair_value)
    fv_warrant = Decimal(0) if warrant_fair_value is None else Decimal(warrant_fair_value)
    if warrant_fair_value is not None:
        fv_warrant = _positive("warrant fair value (--warrant-fair-value)", warrant_fair_value)
    to_note = cents(proceeds * fv_note / (fv_note + fv_warrant))
    to_warrants = proceeds - to_note
    shares = principal / conversion_price
    ecp = intrinsic = None
    bcf, capped = ZERO, False
    if regime is Regime.LEGACY:
        commitment_price = _positive(
            "commitment-date share price (--commitment-price, required by the legacy regime)",
            commitment_price,
        )
        ecp = to_note / shares
        intrinsic = cents(commitment_price * shares - to_note)
        if intrinsic > 0:
            bcf = min(intrinsic, to_note)
            capped = intrinsic > to_note
    return Allocation(
        regime, principal, proceeds, fv_note, fv_warrant, to_note, to_warrants, conversion_price,
        shares, ecp, commitment_price if regime is Regime.LEGACY else None, intrinsic, bcf, capped,
    )
