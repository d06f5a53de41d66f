"""Schedules: interest accrual periods, payment dates and the maturity payment, in Decimal cents.

Owns the day-count, business-day adjustment and rounding conventions (see ``interest``).
Imports ``terms`` and ``market``.
"""

from pipedeal.schedule.export import schedule_rows, write_schedule_csv
from pipedeal.schedule.interest import (
    CENT,
    InterestPeriod,
    Maturity,
    NoteSchedule,
    accrual_bounds,
    add_months,
    adjust,
    deal_schedules,
    interest_between,
    maturity_of,
    note_schedule,
    purchaser_schedule,
)

__all__ = [
    "CENT",
    "InterestPeriod",
    "Maturity",
    "NoteSchedule",
    "accrual_bounds",
    "add_months",
    "adjust",
    "deal_schedules",
    "interest_between",
    "maturity_of",
    "note_schedule",
    "purchaser_schedule",
    "schedule_rows",
    "write_schedule_csv",
]
