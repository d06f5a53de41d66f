"""Accounting of notes issued with warrants: proceeds allocation, beneficial conversion feature,
effective-interest amortization of the debt discount and journal entries, under two regimes
(``legacy``: APB 14 / EITF 98-5 / 00-27 as in 2004; ``asu-2020-06``: no BCF).

Owns exact-Decimal accounting math (cents, half-up) and the double-entry journal. Imports
``terms``, ``pricing``, ``schedule``, ``market`` and (optionally) ``ledger`` and ``valuation``.
See ``docs/accounting.md``.
"""

from pipedeal.accounting.allocation import Allocation, Regime, allocate
from pipedeal.accounting.amortization import (
    AmortizationRow,
    AmortizationSchedule,
    CashFlow,
    amortization_schedule,
    effective_rate,
    note_cash_flows,
)
from pipedeal.accounting.deal import NoteAccounting, NoteInputs, Sourced, note_accounting
from pipedeal.accounting.journal import (
    JournalEntry,
    JournalLine,
    balances,
    cents,
    entry,
    trial_balance,
)

__all__ = [
    "Allocation",
    "AmortizationRow",
    "AmortizationSchedule",
    "CashFlow",
    "JournalEntry",
    "JournalLine",
    "NoteAccounting",
    "NoteInputs",
    "Regime",
    "Sourced",
    "allocate",
    "amortization_schedule",
    "balances",
    "cents",
    "effective_rate",
    "entry",
    "note_accounting",
    "note_cash_flows",
    "trial_balance",
]
