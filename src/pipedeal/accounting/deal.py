"""Accounting of a whole deal: per-note allocation, BCF, amortization and journal entries.

Inputs per note: the standalone fair values of the note and of its warrants, and (legacy regime)
the share price on the commitment date. Each comes with a ``source`` string saying where it came
from (the user, the valuation engine, the closes file) so the report can show it.

The commitment date is the purchaser's closing date (the date the purchase agreement was executed
and funded, EITF 00-27 Issue 7); its share price defaults to the close of the last trading session
on or before that date in the deal's closes file.

Without ledger events a note is assumed held to maturity: issuance, one entry per interest payment
date and the repayment of principal. ``pipedeal.accounting.events`` replaces that with what the
ledger recorded (conversion, prepayment, exercise).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from pipedeal.accounting.allocation import Allocation, Regime, allocate
from pipedeal.accounting.amortization import (
    AmortizationSchedule,
    amortization_schedule,
    note_cash_flows,
)
from pipedeal.accounting.journal import (
    APIC_BCF,
    APIC_WARRANTS,
    CASH,
    DEBT_DISCOUNT,
    INTEREST_EXPENSE,
    NOTES_PAYABLE,
    JournalEntry,
    entry,
)
from pipedeal.errors import UserError
from pipedeal.market.closes import PriceSeries
from pipedeal.pricing.figures import PurchaserFigures
from pipedeal.schedule.interest import NoteSchedule


@dataclass(frozen=True)
class Sourced:
    value: Decimal
    source: str


@dataclass(frozen=True)
class NoteInputs:
    note_fair_value: Sourced | None
    warrant_fair_value: Sourced | None
    commitment_price: Sourced | None


@dataclass(frozen=True)
class NoteAccounting:
    purchaser: str
    issue_date: dt.date
    inputs: NoteInputs
    allocation: Allocation
    amortization: AmortizationSchedule
    entries: tuple[JournalEntry, ...]


def commitment_close(prices: PriceSeries | None, day: dt.date) -> Sourced | None:
    """The close of the last session on or before ``day`` in the price file, if it has one."""
    if prices is None:
        return None
    bars = [b for b in prices.bars if b.date <= day]
    if not bars or (day - bars[-1].date).days > 7:
        return None
    bar = bars[-1]
    return Sourced(bar.close, f"close of {bar.date} ({prices.source or 'closes file'})")


def issuance_entry(figures: PurchaserFigures, allocation: Allocation) -> JournalEntry:
    p = figures.purchaser
    bcf = f", BCF {allocation.bcf:,}" if allocation.bcf else ""
    return entry(
        p.closing_date, "issuance",
        f"Issue {p.name}'s note with warrants: relative fair value allocation "
        f"(ASC 470-20-25-2){bcf}",
        [
            (CASH, allocation.proceeds),
            (DEBT_DISCOUNT, allocation.discount),
            (NOTES_PAYABLE, -allocation.principal),
            (APIC_WARRANTS, -allocation.allocated_to_warrants),
            (APIC_BCF, -allocation.bcf),
        ],
        p.name,
    )


def interest_entries(
    purchaser: str, amortization: AmortizationSchedule, *, through: dt.date | None = None
) -> list[JournalEntry]:
    """One entry per payment date: effective interest, cash coupon, discount amortization."""
    out = []
    for row in amortization.rows:
        assert row.date is not None
        if through is not None and row.date > through:
            break
        out.append(entry(
            row.date, "interest",
            f"Interest {row.start} to {row.date}: cash {row.cash_interest:,}, "
            f"discount amortization {row.amortization:,} (effective interest method)",
            [
                (INTEREST_EXPENSE, row.interest_expense),
                (CASH, -row.cash_interest),
                (DEBT_DISCOUNT, -row.amortization),
            ],
            purchaser,
        ))
    return out


def repayment_entry(purchaser: str, day: dt.date, principal: Decimal) -> JournalEntry:
    return entry(day, "repayment", f"Repay {purchaser}'s note at maturity",
                 [(NOTES_PAYABLE, principal), (CASH, -principal)], purchaser)


def note_accounting(
    figures: PurchaserFigures,
    schedule: NoteSchedule,
    inputs: NoteInputs,
    regime: Regime | str = Regime.LEGACY,
) -> NoteAccounting:
    """Allocation, BCF, amortization on real pay dates and entries for a note held to maturity."""
    p = figures.purchaser
    regime = Regime(regime)
    if inputs.note_fair_value is None or inputs.warrant_fair_value is None:
        missing = "note" if inputs.note_fair_value is None else "warrant"
        raise UserError(
            f"{p.name}: no {missing} fair value: give --{missing}-fair-value or a market.toml "
            "the valuation engine can use"
        )
    if regime is Regime.LEGACY and inputs.commitment_price is None:
        raise UserError(
            f"{p.name}: the legacy regime needs the commitment-date share price "
            f"({p.closing_date}): give --commitment-price or a closes file covering that date"
        )
    alloc = allocate(
        principal=p.principal,
        proceeds=p.funded,
        conversion_price=figures.conversion_price,
        note_fair_value=inputs.note_fair_value.value,
        warrant_fair_value=inputs.warrant_fair_value.value,
        commitment_price=inputs.commitment_price.value if inputs.commitment_price else None,
        regime=regime,
    )
    try:
        amort = amortization_schedule(
            alloc.carrying_amount, p.principal, note_cash_flows(schedule),
            start=p.closing_date, basis="act/365",
        )
    except ValueError:
        # the effective interest method has no rate when the warrants and the conversion
        # feature take (nearly) all the proceeds: say so, naming what drove the carrying amount
        raise UserError(
            f"{p.name}: after allocation the note is carried at ${alloc.carrying_amount:,} of "
            f"${p.principal:,} (warrants ${alloc.allocated_to_warrants:,}, conversion feature "
            f"${alloc.bcf:,}): no effective interest rate between -99% and 1,000% amortizes the "
            "discount; check warrant.coverage_shares_per_dollar, the conversion price rule and "
            "the fair values"
        ) from None
    entries = [issuance_entry(figures, alloc), *interest_entries(p.name, amort)]
    entries.append(repayment_entry(p.name, schedule.maturity.pay_date, p.principal))
    return NoteAccounting(p.name, p.closing_date, inputs, alloc, amort, tuple(entries))
