"""The cap table as of a date: basic and fully diluted shares, each holder's ownership.

* Shares outstanding: the issuer's latest reported count on or before the date
  (``issuer.shares_outstanding``), plus shares the ledger records as issued on conversion or
  exercise after that count's date, times any split recorded after it.
* Potential shares: each outstanding note on conversion of its principal, plus its accrued unpaid
  interest when the terms make interest convertible (fractions per the terms); each warrant's
  outstanding shares (gross, not treasury-stock netted: "fully diluted" assumes every instrument
  is converted or exercised).
* Ownership: basic = shares held / shares outstanding; fully diluted = (held + own potential) /
  fully diluted total; beneficial (SEC Rule 13d-3(d)(1)) = (held + own potential) /
  (outstanding + own potential), the figure a 4.99%-style blocker tests.
* Percentages are exact ratios rounded half-up to 4 decimal places of a percent.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from pipedeal.captable.positions import Positions, note_shares
from pipedeal.errors import UserError
from pipedeal.terms.models import Deal, SharesOutstanding

PCT_PLACES = Decimal("0.0001")


def pct(part: Decimal | int, whole: Decimal | int) -> Decimal:
    """``part / whole`` as a percent, rounded half-up to 4 places (0 when ``whole`` is 0)."""
    if not whole:
        return Decimal(0).quantize(PCT_PLACES)
    return (Decimal(part) * 100 / Decimal(whole)).quantize(PCT_PLACES, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class HolderRow:
    name: str
    shares_held: int
    note_principal: Decimal
    accrued_interest: Decimal
    conversion_price: Decimal
    note_shares_principal: int
    note_shares_interest: int
    warrant_shares: int
    exercise_price: Decimal | None
    basic_pct: Decimal
    fully_diluted_shares: int  # held + own potential
    fully_diluted_pct: Decimal
    beneficial_pct: Decimal
    cap_exceeded: bool | None  # None when no cap is given

    @property
    def potential_shares(self) -> int:
        return self.note_shares_principal + self.note_shares_interest + self.warrant_shares


@dataclass(frozen=True)
class CapTable:
    as_of: dt.date
    count_date: dt.date
    count_source: str | None
    reported_outstanding: int
    shares_outstanding: int
    holders: tuple[HolderRow, ...]
    other_holders_shares: int
    potential_note_shares: int
    potential_interest_shares: int
    potential_warrant_shares: int
    potential_other_shares: int  # the issuer's other dilutive securities (deal.toml)
    fully_diluted_includes: tuple[str, ...]
    fully_diluted: int
    authorized_shares: int | None
    ownership_cap: Decimal | None
    positions_source: str

    @property
    def potential_shares(self) -> int:
        return (
            self.potential_note_shares + self.potential_interest_shares
            + self.potential_warrant_shares
        )  # this deal's; ``potential_other_shares`` are the issuer's others

    @property
    def authorized_headroom(self) -> int | None:
        """Authorized shares not outstanding and not reserved for the deal's instruments."""
        if self.authorized_shares is None:
            return None
        return self.authorized_shares - self.fully_diluted


def outstanding_count(deal: Deal, as_of: dt.date) -> SharesOutstanding:
    count = deal.issuer.shares_outstanding_on(as_of)
    if count is None:
        known = ", ".join(str(s.date) for s in deal.issuer.shares_outstanding) or "none"
        raise UserError(
            f"issuer.shares_outstanding: no count on or before {as_of} (have: {known}); "
            "add one to deal.toml"
        )
    return count


def cap_table(
    deal: Deal, positions: Positions, *, ownership_cap: Decimal | None = None
) -> CapTable:
    """The cap table as of ``positions.as_of``; ``ownership_cap`` as a fraction (0.0499)."""
    if ownership_cap is None:
        ownership_cap = getattr(deal.note.conversion, "beneficial_ownership_cap", None)
    if ownership_cap is not None and not (0 < ownership_cap < 1):
        raise UserError(f"--ownership-cap must be a fraction between 0 and 1, got {ownership_cap}")
    count = outstanding_count(deal, positions.as_of)
    outstanding = int(
        (Decimal(count.shares) * positions.split_factor_since_count).to_integral_value()
    ) + positions.shares_issued_since_count
    shares = [(pos, *note_shares(deal, pos)) for pos in positions.positions]
    notes_p = sum(s[1] for s in shares)
    notes_i = sum(s[2] for s in shares)
    warrants = sum(pos.warrant_shares_outstanding for pos in positions.positions)
    others_listed = [
        o for o in deal.issuer.other_securities
        if (o.as_of is None or o.as_of <= positions.as_of)
        and (o.expires is None or positions.as_of < o.expires)
    ]
    other_potential = sum(o.shares for o in others_listed)
    includes = ["shares outstanding", "this deal's notes (principal"
                + (" and convertible unpaid interest)" if deal.note.conversion.
                   unpaid_interest_convertible else ")"),
                "this deal's warrants"]
    includes += [f"{o.kind.replace('_', ' ')}: {o.shares:,} shares"
                 + (f" at ${o.price}" if o.price is not None else "")
                 + (f" ({o.source})" if o.source else "") for o in others_listed]
    if not deal.issuer.other_securities:
        includes.append("no other dilutive securities of the issuer (none in deal.toml "
                        "issuer.other_securities)")
    fd = outstanding + notes_p + notes_i + warrants + other_potential
    rows = []
    for pos, sp, si in shares:
        own = pos.shares_held + sp + si + pos.warrant_shares_outstanding
        beneficial = pct(own, outstanding + own - pos.shares_held)
        rows.append(HolderRow(
            name=pos.purchaser,
            shares_held=pos.shares_held,
            note_principal=pos.principal_outstanding,
            accrued_interest=pos.accrued_interest,
            conversion_price=pos.conversion_price,
            note_shares_principal=sp,
            note_shares_interest=si,
            warrant_shares=pos.warrant_shares_outstanding,
            exercise_price=pos.exercise_price,
            basic_pct=pct(pos.shares_held, outstanding),
            fully_diluted_shares=own,
            fully_diluted_pct=pct(own, fd),
            beneficial_pct=beneficial,
            cap_exceeded=None if ownership_cap is None else beneficial > ownership_cap * 100,
        ))
    others = outstanding - sum(r.shares_held for r in rows)
    return CapTable(
        as_of=positions.as_of,
        count_date=count.date,
        count_source=count.source,
        reported_outstanding=count.shares,
        shares_outstanding=outstanding,
        holders=tuple(rows),
        other_holders_shares=others,
        potential_note_shares=notes_p,
        potential_interest_shares=notes_i,
        potential_warrant_shares=warrants,
        potential_other_shares=other_potential,
        fully_diluted_includes=tuple(includes),
        fully_diluted=fd,
        authorized_shares=deal.issuer.authorized_shares,
        ownership_cap=ownership_cap,
        positions_source=positions.source,
    )
