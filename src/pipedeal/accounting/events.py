"""Journal entries from the ledger: what was recorded, booked under a regime.

Built from the recorded events (``pipedeal.ledger.record.DealRecord``), folded once: each event
that moves money or shares books one entry, which carries the event's sequence number and hash,
from the event's payload and the running state just before and after it. Interest accrues with
time, not with events: at each scheduled payment date and each event date the interest earned
since the previous one (the change in accrued + paid + converted interest at the end of the day)
and the discount amortization are booked. Per note, in date order:

1. **Interest accrual** over (previous date, date]: coupon earned credited to interest payable,
   plus discount amortization. Amortization is the note's effective-interest schedule
   (``amortization``) scaled by the principal outstanding at the start of the interval over
   face; an interval that covers part of a schedule period takes that period's amortization pro
   rata by days. When the note is repaid in full, the discount left (cents of rounding) is
   amortized in full.
2. **Interest paid** (``interest_paid``, and the interest paid with a prepayment or at maturity):
   interest payable to cash.
3. **Conversion** (``conversion``, ``conversion_election``; ASC 470-20-40): the converted share of
   the unamortized discount is expensed at once under ``legacy`` (ASC 470-20-40-1, EITF 00-27
   Issue 11); under ``asu-2020-06`` the note's carrying amount moves to equity with no gain or
   loss (ASC 470-20-40-4). Principal and converted interest are credited to common stock at par
   (``issuer.par_value``, 0 when not given) and APIC; cash in lieu of fractions leaves equity out.
4. **Prepayment** (``prepayment_settled``; extinguishment, ASC 470-50-40-2): reacquisition price
   (principal prepaid plus premium) against the net carrying amount of the part prepaid; the
   difference is a loss (gain when negative). The whole reacquisition price is assigned to the
   liability: the allocation of part of it to the BCF's equity component (ASC 470-20-40-3) is
   not modelled.
5. **Repayment** at maturity (``maturity_repayment``): notes payable to cash.

Per warrant: an **exercise** (``warrant_exercised``) credits common stock at par and APIC with
the cash received; a cashless exercise moves par value of the delivered shares from APIC. The
other event kinds book nothing here (notices, elections' windows, lapses, expiries, splits — par
is taken as unchanged by a split — registration events, memos).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from pipedeal.accounting.allocation import Regime
from pipedeal.accounting.deal import NoteAccounting, issuance_entry
from pipedeal.accounting.journal import (
    APIC,
    CASH,
    COMMON_STOCK,
    DEBT_DISCOUNT,
    EXTINGUISHMENT,
    INTEREST_EXPENSE,
    INTEREST_PAYABLE,
    NOTES_PAYABLE,
    ZERO,
    JournalEntry,
    cents,
    entry,
)
from pipedeal.ledger.events import EventKind
from pipedeal.pricing.figures import PurchaserFigures

ONE_DAY = dt.timedelta(days=1)


class LedgerView(Protocol):
    """What this module needs of a ledger (``DealRecord``): the state at the end of a day, the
    event dates, and each recorded event with the running state before and after it."""

    def state(self, as_of: dt.date) -> Any: ...

    def event_dates(self) -> list[dt.date]: ...

    def steps(self, as_of: dt.date) -> tuple[Any, ...]: ...


@dataclass(frozen=True)
class RollForward:
    """A note's liability roll-forward from issue to ``as_of`` (all amounts positive)."""

    purchaser: str
    opening_carrying: Decimal
    amortization: Decimal
    converted_carrying: Decimal
    extinguished_carrying: Decimal
    repaid: Decimal
    closing_carrying: Decimal  # notes payable less debt discount, from the journal
    notes_payable: Decimal  # journal
    ledger_outstanding_principal: Decimal
    interest_payable: Decimal  # journal
    ledger_accrued_interest: Decimal

    @property
    def ties_out(self) -> bool:
        rolled = (self.opening_carrying + self.amortization - self.converted_carrying
                  - self.extinguished_carrying - self.repaid)
        return (
            rolled == self.closing_carrying
            and self.notes_payable == self.ledger_outstanding_principal
            and self.interest_payable == self.ledger_accrued_interest
        )


@dataclass(frozen=True)
class NoteJournal:
    purchaser: str
    entries: tuple[JournalEntry, ...]
    roll_forward: RollForward
    equity_credits: Decimal  # net credits to common stock and APIC by this note's entries
    shares_issued: int


def _interest_earned(n: Any) -> Decimal:
    return n.accrued_interest + n.interest_paid + n.interest_converted


def _scheduled_amortization(
    acc: NoteAccounting, start: dt.date, end: dt.date, scale: Decimal
) -> Decimal:
    """Schedule amortization over (start, end], scaled, pro rata by days within a period."""
    total = Decimal(0)
    for row in acc.amortization.rows:
        lo, hi = row.start, row.date
        assert lo is not None and hi is not None
        overlap = (min(hi, end) - max(lo, start)).days
        if overlap <= 0:
            continue
        total += row.amortization * overlap / (hi - lo).days
    return cents(total * scale)


def note_journal(
    acc: NoteAccounting,
    figures: PurchaserFigures,
    view: LedgerView,
    as_of: dt.date,
    *,
    par_value: Decimal = ZERO,
    period_ends: Sequence[dt.date] = (),
) -> NoteJournal:
    """Entries for one note from issue to ``as_of``, from the events the ledger recorded, with
    interest and amortization accrued at each payment, event and fiscal period end
    (``period_ends``, ``accounting.periods.fiscal_quarter_ends``)."""
    alloc = acc.allocation
    regime = alloc.regime
    face = alloc.principal
    name = acc.purchaser
    instrument = f"note:{name}"
    steps = [s for s in view.steps(as_of)
             if s.event.instrument == instrument and s.event.date > acc.issue_date]
    pay_dates = [r.date for r in acc.amortization.rows if r.date is not None]
    dates = sorted({d for d in (*pay_dates, *(s.event.date for s in steps), *period_ends, as_of)
                    if acc.issue_date < d <= as_of})
    quarter_ends = set(period_ends)
    entries: list[JournalEntry] = [issuance_entry(figures, alloc)]
    discount = alloc.discount
    amortized = converted = extinguished = repaid = ZERO
    equity = alloc.allocated_to_warrants + alloc.bcf
    shares = 0
    prev_day = acc.issue_date
    prev = view.state(prev_day).notes[name]
    earned = ZERO  # interest earned before the first accounting date: none (the issue day's
    # own accrual is booked with the first interval)
    for day in dates:
        cur = view.state(day).notes[name]
        # 1. accrual of coupon and amortization over (prev_day, day], on the end-of-day states
        outstanding = prev.outstanding_principal
        coupon = _interest_earned(cur) - earned
        earned = _interest_earned(cur)
        amort = ZERO
        if outstanding > 0:
            amort = min(_scheduled_amortization(acc, prev_day, day, outstanding / face), discount)
            if cur.outstanding_principal == 0 and cur.principal_repaid > prev.principal_repaid:
                amort = discount  # repaid in full: nothing may stay unamortized
        if coupon or amort:
            closing = " (fiscal quarter end)" if day in quarter_ends else ""
            entries.append(entry(
                day, "interest",
                f"Interest {prev_day + ONE_DAY} to {day}{closing}: coupon {coupon:,}, discount "
                f"amortization {amort:,}",
                [(INTEREST_EXPENSE, coupon + amort), (INTEREST_PAYABLE, -coupon),
                 (DEBT_DISCOUNT, -amort)], name))
        discount -= amort
        amortized += amort
        # 2.-5. the events of the day, each from its payload and the state around it
        for step in (s for s in steps if s.event.date == day):
            before, after = step.before.notes[name], step.after.notes[name]
            tag = {"event_seq": step.recorded.seq, "event_hash": step.recorded.hash}
            kind = step.event.kind
            paid = after.interest_paid - before.interest_paid
            if paid:
                entries.append(entry(day, "interest payment", f"Pay interest {paid:,} to {name}",
                                     [(INTEREST_PAYABLE, paid), (CASH, -paid)], name, **tag))
            owed = before.principal
            if kind in (EventKind.CONVERSION, EventKind.CONVERSION_ELECTION):
                pc = after.principal_converted - before.principal_converted
                ic = after.interest_converted - before.interest_converted
                n = after.shares_issued - before.shares_issued
                in_lieu = after.cash_in_lieu - before.cash_in_lieu
                share = discount if pc == owed else cents(discount * pc / owed) if owed else ZERO
                par = cents(par_value * n)
                amount = pc + ic - in_lieu  # cash paid for fractional shares leaves equity out
                if regime is Regime.LEGACY:
                    lines = [(INTEREST_EXPENSE, share), (DEBT_DISCOUNT, -share)]
                    to_equity = amount
                    memo = "unamortized discount expensed (ASC 470-20-40-1)"
                else:
                    lines = [(DEBT_DISCOUNT, -share)]
                    to_equity = amount - share
                    memo = "carrying amount to equity, no gain or loss (ASC 470-20-40-4)"
                lines += [(NOTES_PAYABLE, pc), (INTEREST_PAYABLE, ic), (CASH, -in_lieu),
                          (COMMON_STOCK, -par), (APIC, -(to_equity - par))]
                entries.append(entry(
                    day, "conversion",
                    f"{name} converts principal {pc:,} and interest {ic:,} into {n:,} shares; "
                    f"{memo}", lines, name, **tag))
                discount -= share
                converted += pc - share
                equity += to_equity
                shares += n
            elif kind is EventKind.PREPAYMENT_SETTLED:
                pp = after.principal_prepaid - before.principal_prepaid
                premium = after.premium_paid - before.premium_paid
                share = discount if pp == owed else cents(discount * pp / owed)
                loss = premium + share
                entries.append(entry(
                    day, "prepayment",
                    f"Prepay {pp:,} of {name}'s note (premium {premium:,}): "
                    f"{'loss' if loss >= 0 else 'gain'} on extinguishment {abs(loss):,} "
                    "(ASC 470-50-40-2)",
                    [(NOTES_PAYABLE, pp), (EXTINGUISHMENT, loss), (DEBT_DISCOUNT, -share),
                     (CASH, -(pp + premium))], name, **tag))
                discount -= share
                extinguished += pp - share
            elif kind is EventKind.MATURITY_REPAYMENT:
                pr = after.principal_repaid - before.principal_repaid
                if pr:
                    entries.append(entry(day, "repayment", f"Repay {pr:,} of {name}'s note",
                                         [(NOTES_PAYABLE, pr), (CASH, -pr)], name, **tag))
                    repaid += pr
        prev_day, prev = day, cur
    final = view.state(as_of).notes[name]
    payable = sum((e_line.net for e in entries for e_line in e.lines
                   if e_line.account == NOTES_PAYABLE), ZERO)
    discount_bal = sum((e_line.net for e in entries for e_line in e.lines
                        if e_line.account == DEBT_DISCOUNT), ZERO)
    interest_bal = sum((e_line.net for e in entries for e_line in e.lines
                        if e_line.account == INTEREST_PAYABLE), ZERO)
    roll = RollForward(
        name, alloc.carrying_amount, amortized, converted, extinguished, repaid,
        -payable - discount_bal, -payable, final.outstanding_principal, -interest_bal,
        final.accrued_interest,
    )
    return NoteJournal(name, tuple(entries), roll, equity, shares)


@dataclass(frozen=True)
class WarrantJournal:
    purchaser: str
    entries: tuple[JournalEntry, ...]
    equity_credits: Decimal
    shares_issued: int
    cash_received: Decimal


def warrant_journal(
    purchaser: str, issue_date: dt.date, view: LedgerView, as_of: dt.date,
    *, par_value: Decimal = ZERO,
) -> WarrantJournal:
    """Entries for one warrant's exercises up to ``as_of``, one per ``warrant_exercised``."""
    entries: list[JournalEntry] = []
    equity = cash_total = ZERO
    shares = 0
    instrument = f"warrant:{purchaser}"
    for step in view.steps(as_of):
        exercise = step.event.kind is EventKind.WARRANT_EXERCISED
        if step.event.instrument != instrument or not exercise:
            continue
        before, after = step.before.warrants[purchaser], step.after.warrants[purchaser]
        cash = after.cash_received - before.cash_received
        delivered = after.delivered - before.delivered
        exercised = after.exercised - before.exercised
        n = delivered if delivered > 0 else exercised
        par = cents(par_value * n)
        if cash:
            lines = [(CASH, cash), (COMMON_STOCK, -par), (APIC, -(cash - par))]
            memo = f"{purchaser} exercises warrants for {exercised:,} shares, cash {cash:,}"
        else:
            lines = [(APIC, par), (COMMON_STOCK, -par)]
            memo = f"{purchaser} exercises warrants cashless: {n:,} net shares delivered"
        entries.append(entry(step.event.date, "exercise", memo, lines, purchaser,
                             event_seq=step.recorded.seq, event_hash=step.recorded.hash))
        equity += cash
        cash_total += cash
        shares += n
    return WarrantJournal(purchaser, tuple(entries), equity, shares, cash_total)


@dataclass(frozen=True)
class LedgerJournal:
    as_of: dt.date
    notes: tuple[NoteJournal, ...]
    warrants: tuple[WarrantJournal, ...]
    par_value: Decimal

    @property
    def entries(self) -> tuple[JournalEntry, ...]:
        all_entries = [e for n in self.notes for e in n.entries]
        all_entries += [e for w in self.warrants for e in w.entries]
        return tuple(sorted(all_entries, key=lambda e: e.date))

    def equity_roll_forward(self) -> dict[str, Any]:
        """Equity from the deal: credits expected (allocation, conversions, exercises) against
        the journal's balances of common stock and APIC."""
        from pipedeal.accounting.journal import (
            APIC_BCF,
            APIC_WARRANTS,
            EQUITY_ACCOUNTS,
            balances,
        )

        bal = balances(self.entries)
        journal_equity = -sum((bal.get(a, ZERO) for a in EQUITY_ACCOUNTS), ZERO)
        expected = sum((n.equity_credits for n in self.notes), ZERO) + sum(
            (w.equity_credits for w in self.warrants), ZERO)
        shares = sum(n.shares_issued for n in self.notes) + sum(
            w.shares_issued for w in self.warrants)
        common = -bal.get(COMMON_STOCK, ZERO)
        return {
            "apic_warrants": -bal.get(APIC_WARRANTS, ZERO),
            "apic_bcf": -bal.get(APIC_BCF, ZERO),
            "apic_shares_issued": -bal.get(APIC, ZERO),
            "common_stock": common,
            "shares_issued": shares,
            "expected_total": expected,
            "journal_total": journal_equity,
            "ties_out": expected == journal_equity and common == cents(self.par_value * shares),
        }


def ledger_journal(
    notes: list[NoteAccounting],
    figures: dict[str, PurchaserFigures],
    view: LedgerView,
    as_of: dt.date,
    *,
    par_value: Decimal = ZERO,
    with_warrants: bool = True,
    period_ends: Sequence[dt.date] = (),
) -> LedgerJournal:
    note_js = tuple(
        note_journal(n, figures[n.purchaser], view, as_of, par_value=par_value,
                     period_ends=period_ends)
        for n in notes
    )
    warrant_js = tuple(
        warrant_journal(n.purchaser, n.issue_date, view, as_of, par_value=par_value)
        for n in notes
    ) if with_warrants else ()
    return LedgerJournal(as_of, note_js, warrant_js, par_value)
