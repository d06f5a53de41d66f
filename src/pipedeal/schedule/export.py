"""Schedules as rows for CSV and JSON (money as decimal strings)."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import IO

from pipedeal.schedule.interest import CENT, NoteSchedule

COLUMNS = ("purchaser", "pay_date", "period_start", "period_end", "days", "amount", "kind")


def schedule_rows(schedules: Iterable[NoteSchedule]) -> list[dict[str, object]]:
    """Interest rows, then one principal row per note at its maturity pay date."""
    rows: list[dict[str, object]] = []
    for s in schedules:
        for p in s.periods:
            rows.append(
                {
                    "purchaser": s.purchaser,
                    "pay_date": p.pay_date.isoformat(),
                    "period_start": p.period_start.isoformat(),
                    "period_end": p.period_end.isoformat(),
                    "days": p.days,
                    "amount": str(p.amount),
                    "kind": "interest",
                }
            )
        rows.append(
            {
                "purchaser": s.purchaser,
                "pay_date": s.maturity.pay_date.isoformat(),
                "period_start": "",
                "period_end": "",
                "days": 0,
                "amount": str(s.principal.quantize(CENT)),
                "kind": "principal",
            }
        )
    return rows


def write_schedule_csv(schedules: Iterable[NoteSchedule], out: IO[str]) -> None:
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(schedule_rows(schedules))
