"""Double-entry journal: accounts, entries, balance and roll-forward checks.

Every amount is a ``Decimal`` in cents. An entry's debits equal its credits by construction
(``JournalEntry`` refuses to exist otherwise), so a journal of entries balances as a whole.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def cents(value: Decimal) -> Decimal:
    """Money rounded to the cent, half-up (the one rounding rule of this package)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


# Account names. Liabilities: notes payable (face) less the debt discount (a contra account,
# debit balance), interest payable. Equity: common stock at par and additional paid-in capital,
# split by source so the roll-forwards can be read.
CASH = "Cash"
NOTES_PAYABLE = "Convertible notes payable"
DEBT_DISCOUNT = "Debt discount"
INTEREST_PAYABLE = "Interest payable"
INTEREST_EXPENSE = "Interest expense"
EXTINGUISHMENT = "Loss (gain) on extinguishment of debt"
COMMON_STOCK = "Common stock, at par"
APIC_WARRANTS = "APIC - warrants"
APIC_BCF = "APIC - beneficial conversion feature"
APIC = "APIC - shares issued"

LIABILITY_ACCOUNTS = (NOTES_PAYABLE, DEBT_DISCOUNT, INTEREST_PAYABLE)
EQUITY_ACCOUNTS = (COMMON_STOCK, APIC_WARRANTS, APIC_BCF, APIC)


@dataclass(frozen=True)
class JournalLine:
    account: str
    debit: Decimal = ZERO
    credit: Decimal = ZERO

    @property
    def net(self) -> Decimal:
        """Debit-positive net amount."""
        return self.debit - self.credit


@dataclass(frozen=True)
class JournalEntry:
    date: dt.date
    kind: str  # issuance | interest | conversion | prepayment | repayment | exercise ...
    memo: str
    lines: tuple[JournalLine, ...]
    purchaser: str = ""
    event_seq: int | None = None  # the ledger event this entry books (None: an accrual)
    event_hash: str | None = None

    def __post_init__(self) -> None:
        if self.debits != self.credits:
            raise ValueError(
                f"unbalanced entry {self.kind} {self.date}: {self.debits} != {self.credits}"
            )
        for line in self.lines:
            if line.debit < 0 or line.credit < 0 or line.debit != cents(line.debit) or (
                line.credit != cents(line.credit)
            ):
                raise ValueError(f"entry {self.kind} {self.date}: amounts must be cents >= 0")

    @property
    def debits(self) -> Decimal:
        return sum((line.debit for line in self.lines), ZERO)

    @property
    def credits(self) -> Decimal:
        return sum((line.credit for line in self.lines), ZERO)


def entry(
    date: dt.date, kind: str, memo: str, amounts: Iterable[tuple[str, Decimal]],
    purchaser: str = "", *, event_seq: int | None = None, event_hash: str | None = None,
) -> JournalEntry:
    """Build an entry from (account, debit-positive amount) pairs; zero lines are dropped.
    ``event_seq``/``event_hash``: the ledger event the entry books."""
    lines = []
    for account, amount in amounts:
        amount = cents(amount)
        if amount > 0:
            lines.append(JournalLine(account, debit=amount))
        elif amount < 0:
            lines.append(JournalLine(account, credit=-amount))
    return JournalEntry(date, kind, memo, tuple(lines), purchaser, event_seq, event_hash)


def balances(entries: Iterable[JournalEntry], through: dt.date | None = None) -> dict[str, Decimal]:
    """Debit-positive balance of every account, over entries dated on or before ``through``."""
    out: dict[str, Decimal] = {}
    for e in entries:
        if through is not None and e.date > through:
            continue
        for line in e.lines:
            out[line.account] = out.get(line.account, ZERO) + line.net
    return out


def trial_balance(entries: Iterable[JournalEntry]) -> tuple[Decimal, Decimal]:
    """(total debits, total credits) of a journal; equal for any journal of valid entries."""
    entries = list(entries)
    return (
        sum((e.debits for e in entries), ZERO),
        sum((e.credits for e in entries), ZERO),
    )


def entry_json(e: JournalEntry) -> dict[str, object]:
    return {
        "date": e.date.isoformat(),
        "kind": e.kind,
        "purchaser": e.purchaser,
        "memo": e.memo,
        "event": None if e.event_seq is None else {"seq": e.event_seq, "hash": e.event_hash},
        "lines": [
            {
                "account": line.account,
                "debit": format(line.debit, "f"),
                "credit": format(line.credit, "f"),
            }
            for line in e.lines
        ],
    }
