"""Dilution views: potential shares and ownership across stock prices, and diluted EPS.

**Price grid.** At a stock price ``S``: notes count on the if-converted basis (all of them) and
are flagged in the money when ``S`` exceeds their conversion price; warrants count under the
treasury-stock method, ``W × (S − K) / S`` whole shares (rounded down) when ``S > K``, else 0.

**Diluted EPS** (ASC 260, formerly SFAS 128): basic EPS = net income / weighted shares. Notes
use the if-converted method (add back after-tax interest, add conversion shares); warrants the
treasury-stock method at the period's average price. Instruments enter in order from most to
least dilutive (incremental EPS ascending, ASC 260-10-45-18) and only while they lower EPS;
anti-dilutive ones are listed and left out. Results are rounded half-up to the cent per share.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from pipedeal.captable.positions import Positions, note_shares
from pipedeal.captable.table import cap_table, pct
from pipedeal.errors import UserError
from pipedeal.terms.models import Deal

CENT = Decimal("0.01")


def treasury_shares(warrant_shares: int, exercise_price: Decimal | None, price: Decimal) -> int:
    """Net new shares from a warrant under the treasury-stock method at ``price``."""
    if exercise_price is None or price <= exercise_price or warrant_shares <= 0:
        return 0
    net = Decimal(warrant_shares) * (price - exercise_price) / price
    return int(net.to_integral_value(rounding=ROUND_DOWN))


@dataclass(frozen=True)
class GridPoint:
    as_of: dt.date
    price: Decimal
    note_shares: int
    notes_in_the_money: int  # how many notes have a conversion price below the stock price
    warrant_shares_treasury: int
    diluted_shares: int  # outstanding + note shares + treasury warrant shares
    deal_holders_pct: Decimal  # deal holders' (held + potential) share of diluted_shares
    holders_pct: dict[str, Decimal]


def price_grid(deal: Deal, positions: Positions, prices: list[Decimal]) -> list[GridPoint]:
    table = cap_table(deal, positions)
    out = []
    for s in prices:
        if s <= 0:
            raise UserError(f"--prices: prices must be positive, got {s}")
        notes = 0
        itm = 0
        per: dict[str, int] = {}
        warrants = 0
        for pos in positions.positions:
            sp, si = note_shares(deal, pos)
            w = treasury_shares(pos.warrant_shares_outstanding, pos.exercise_price, s)
            notes += sp + si
            warrants += w
            itm += int(pos.principal_outstanding > 0 and s > pos.conversion_price)
            per[pos.purchaser] = pos.shares_held + sp + si + w
        diluted = table.shares_outstanding + notes + warrants
        out.append(GridPoint(
            positions.as_of, s, notes, itm, warrants, diluted, pct(sum(per.values()), diluted),
            {k: pct(v, diluted) for k, v in per.items()},
        ))
    return out


def parse_price_range(text: str) -> list[Decimal]:
    """``A:B:STEP`` → [A, A+STEP, ..., ≤ B] (at most 1,000 points)."""
    from decimal import InvalidOperation

    parts = text.split(":")
    try:
        if len(parts) != 3:
            raise InvalidOperation
        a, b, step = (Decimal(p) for p in parts)
    except InvalidOperation:
        raise UserError(f"--prices: {text!r} is not A:B:STEP (e.g. 0.50:3.00:0.25)") from None
    if a <= 0 or step <= 0 or b < a:
        raise UserError(f"--prices: need 0 < A <= B and STEP > 0, got {text!r}")
    count = int((b - a) / step) + 1
    if count > 1000:
        raise UserError(f"--prices: {count} points; at most 1,000")
    return [a + i * step for i in range(count)]


@dataclass(frozen=True)
class EpsComponent:
    instrument: str
    method: str  # "if-converted" | "treasury-stock"
    numerator: Decimal  # after-tax add-back
    shares: Decimal
    incremental_eps: Decimal | None  # None for zero shares
    included: bool


@dataclass(frozen=True)
class DilutedEps:
    net_income: Decimal
    weighted_shares: Decimal
    basic_eps: Decimal
    diluted_eps: Decimal
    diluted_numerator: Decimal
    diluted_shares: Decimal
    components: tuple[EpsComponent, ...]


def diluted_eps(
    deal: Deal,
    positions: Positions,
    *,
    net_income: Decimal,
    weighted_shares: Decimal,
    average_price: Decimal,
    period_days: int = 365,
    tax_rate: Decimal = Decimal(0),
    note_interest: dict[str, Decimal] | None = None,
) -> DilutedEps:
    """Diluted EPS for a period of ``period_days`` ending at ``positions.as_of``.

    The if-converted add-back is each note's interest for the period (``note_interest``, e.g.
    the accounting's interest expense including discount amortization), defaulting to the
    coupon on the outstanding principal for ``period_days`` on the note's day count basis of
    365; both after ``tax_rate``. Notes and warrants are taken as outstanding all period.
    """
    if weighted_shares <= 0:
        raise UserError("--weighted-shares must be greater than zero")
    if average_price <= 0:
        raise UserError("--average-price must be greater than zero")
    if not (0 <= tax_rate < 1):
        raise UserError("--tax-rate must be a fraction in [0, 1)")
    basic = net_income / weighted_shares
    comps: list[tuple[str, str, Decimal, Decimal]] = []
    for pos in positions.positions:
        sp, si = note_shares(deal, pos)
        if sp + si:
            interest = (note_interest or {}).get(pos.purchaser)
            if interest is None:
                interest = pos.principal_outstanding * deal.note.interest.rate * period_days / 365
            comps.append((f"{pos.purchaser} note", "if-converted",
                          interest * (1 - tax_rate), Decimal(sp + si)))
        w = treasury_shares(pos.warrant_shares_outstanding, pos.exercise_price, average_price)
        comps.append((f"{pos.purchaser} warrant", "treasury-stock", Decimal(0), Decimal(w)))

    def inc(c: tuple[str, str, Decimal, Decimal]) -> Decimal | None:
        return None if c[3] == 0 else c[2] / c[3]

    order = sorted(comps, key=lambda c: (inc(c) is None, inc(c) or Decimal(0)))
    num, den = net_income, weighted_shares
    included: set[str] = set()
    for c in order:
        if c[3] == 0:
            continue
        new = (num + c[2]) / (den + c[3])
        if new < num / den:
            num, den = num + c[2], den + c[3]
            included.add(c[0])
    if net_income < 0:  # a loss: every potential share is anti-dilutive
        num, den, included = net_income, weighted_shares, set()
    components = tuple(
        EpsComponent(c[0], c[1], c[2].quantize(CENT, rounding=ROUND_HALF_UP), c[3],
                     None if (i := inc(c)) is None else i.quantize(Decimal("0.0001")),
                     c[0] in included)
        for c in comps
    )
    return DilutedEps(
        net_income, weighted_shares, basic.quantize(CENT, rounding=ROUND_HALF_UP),
        (num / den).quantize(CENT, rounding=ROUND_HALF_UP), num.quantize(CENT), den, components,
    )
