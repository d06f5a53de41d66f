"""What is due: the list a controller checks every morning.

``due_items(contract, state, days)`` lists, for the window [as_of, as_of + days], and everything
already overdue before it: interest payments not yet recorded as paid, maturity repayments,
holder election windows closing and prepayments that may settle, shares issued on a conversion
or exercise that the transfer agent must deliver (``share_delivery``, dated on the instrument's
delivery deadline; ``overdue`` once it has passed undelivered), warrant expiries, and
registration filing / effectiveness deadlines (when the terms set them).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from pipedeal.jsonfmt import money_json
from pipedeal.ledger.contract import Contract
from pipedeal.ledger.rules import ONE_DAY, LedgerState, payable_interest

ZERO = Decimal(0)


@dataclass(frozen=True)
class DueItem:
    date: dt.date
    kind: str  # interest_payment | maturity_repayment | election_window_closes |
    #            prepayment_settlement | share_delivery | warrant_expiry |
    #            registration_filing_deadline |
    #            registration_effectiveness_deadline
    instrument: str
    amount: Decimal | None  # cash, where there is one (estimated from the log so far)
    shares: int | None
    status: str  # overdue | due
    detail: str

    def to_json(self) -> dict:
        return {
            "date": self.date.isoformat(),
            "kind": self.kind,
            "instrument": self.instrument,
            "amount": money_json(self.amount),
            "shares": self.shares,
            "status": self.status,
            "detail": self.detail,
        }


def due_items(contract: Contract, state: LedgerState, days: int = 30) -> tuple[DueItem, ...]:
    as_of = state.as_of
    horizon = as_of + dt.timedelta(days=days)
    items: list[DueItem] = []

    def add(
        date: dt.date, kind: str, instrument: str, detail: str,
        amount: Decimal | None = None, shares: int | None = None,
    ) -> None:
        status = "overdue" if date < as_of else "due"
        items.append(DueItem(date, kind, instrument, amount, shares, status, detail))

    book = state.book
    for name, note in state.notes.items():
        if not note.issued:
            continue
        acc = book.notes[name]
        inst = f"note:{name}"
        sched = contract.schedule(name)
        paid_through = note.interest_paid_through
        counted = ZERO
        for period in sched.periods:
            if period.at_maturity or period.pay_date > horizon:
                continue
            if paid_through is not None and period.period_end <= paid_through:
                continue
            amount = payable_interest(contract, name, acc, period.period_end + ONE_DAY) - counted
            if amount <= 0:
                continue
            counted += amount
            add(
                period.pay_date,
                "interest_payment",
                inst,
                f"interest {period.period_start} to {period.period_end}",
                amount=amount,
            )
        mat = contract.dates(name).maturity
        if note.outstanding_principal > 0 and mat.pay_date <= horizon:
            interest = payable_interest(contract, name, acc, mat.pay_date + ONE_DAY) - counted
            add(
                mat.pay_date,
                "maturity_repayment",
                inst,
                f"principal plus unpaid interest (matures {mat.date})",
                amount=note.outstanding_principal + max(interest, ZERO),
            )
        w = note.election_window
        if w is not None and w.status == "open" and w.closes <= horizon:
            add(
                w.closes,
                "election_window_closes",
                inst,
                f"holder's last day to elect conversion (notice of {w.notice_date})",
                amount=w.to_settle,
            )
        if (
            w is not None
            and w.status in ("open", "lapsed", "elected")
            and min(w.to_settle, note.outstanding_principal) > 0
            and w.settle_from <= horizon
        ):
            add(
                w.settle_from,
                "prepayment_settlement",
                inst,
                f"prepayment noticed on {w.notice_date} may settle from this day",
                amount=min(w.to_settle, note.outstanding_principal),
            )
    deliveries = [(f"note:{n}", s.delivery) for n, s in state.notes.items()]
    deliveries += [(f"warrant:{n}", s.delivery) for n, s in state.warrants.items()]
    for inst, delivery in deliveries:
        for p in delivery.pending:
            if p.deadline <= horizon:
                add(
                    p.deadline,
                    "share_delivery",
                    inst,
                    f"shares issued on {p.issued_on} to be delivered by the transfer agent "
                    f"by {p.deadline}",
                    shares=p.shares,
                )
    for name, warrant in state.warrants.items():
        if not warrant.issued or warrant.shares_outstanding <= 0:
            continue
        expires = warrant.expires_at
        day = expires.date()
        if as_of <= day <= horizon:
            add(
                day,
                "warrant_expiry",
                f"warrant:{name}",
                f"expires {expires.strftime('%H:%M')} {expires.tzinfo}",
                shares=warrant.shares_outstanding,
            )
    reg = contract.deal.registration_rights
    if reg is not None and contract.deal.purchasers:
        closing = max(p.closing_date for p in contract.deal.purchasers)
        filed = bool(state.registrations)
        effective = any(r.effective for r in state.registrations)
        for kind, n, done in (
            ("registration_filing_deadline", reg.filing_deadline_days, filed),
            ("registration_effectiveness_deadline", reg.effectiveness_deadline_days, effective),
        ):
            if n is None or done:
                continue
            day = contract.add_days(closing, n, reg.deadline_day_type)
            if day <= horizon:
                add(
                    day,
                    kind,
                    "deal",
                    f"{n} {reg.deadline_day_type.value} days after the last closing ({closing})",
                )
    items.sort(key=lambda i: (i.date, i.instrument, i.kind))
    return tuple(items)
