"""Effective-interest amortization of a debt discount (ASC 835-30-35-2).

The effective rate is the single rate that discounts the note's contractual cash flows to its
initial carrying amount. It is solved exactly in ``Decimal`` (bisection to 1e-20) and applied to
the opening carrying amount of every period:

* ``basis="period"``: one compounding period per cash flow (the textbook monthly grid; the rate
  is per period, e.g. 1.158102% a month);
* ``basis="act/365"``: real payment dates; the rate is an annual effective rate and a period of
  ``d`` days grows the carrying amount by ``(1 + r) ** (d / 365)``.

Each period's interest expense is rounded to the cent half-up; amortization is expense less cash
interest. The last period's amortization is whatever brings the carrying amount to face value
exactly on the maturity payment date; the difference from the formula (a few cents of rounding
at most) is reported as ``rounding_residual`` rather than hidden.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from pipedeal.accounting.journal import ZERO, cents
from pipedeal.jsonfmt import money_json
from pipedeal.schedule.interest import NoteSchedule

Basis = Literal["period", "act/365"]
_TOLERANCE = Decimal("1e-20")


@dataclass(frozen=True)
class CashFlow:
    date: dt.date | None  # None on an abstract period grid
    interest: Decimal
    principal: Decimal = ZERO

    @property
    def amount(self) -> Decimal:
        return self.interest + self.principal


@dataclass(frozen=True)
class AmortizationRow:
    period: int
    start: dt.date | None
    date: dt.date | None
    days: int | None
    opening: Decimal
    interest_expense: Decimal
    cash_interest: Decimal
    amortization: Decimal
    closing: Decimal


@dataclass(frozen=True)
class AmortizationSchedule:
    basis: Basis
    rate: Decimal  # per period (basis "period") or annual effective (basis "act/365")
    carrying_amount: Decimal
    face: Decimal
    rows: tuple[AmortizationRow, ...]
    rounding_residual: Decimal  # last period's plug less the formula amount

    @property
    def total_amortization(self) -> Decimal:
        return sum((r.amortization for r in self.rows), ZERO)

    @property
    def total_interest_expense(self) -> Decimal:
        return sum((r.interest_expense for r in self.rows), ZERO)

    @property
    def monthly_equivalent_rate(self) -> Decimal:
        """The annual effective rate as a rate per month ((1+r)^(1/12) − 1); basis act/365 only."""
        if self.basis == "period":
            return self.rate
        return (1 + self.rate) ** (Decimal(1) / 12) - 1


def _times(flows: Sequence[CashFlow], start: dt.date | None, basis: Basis) -> list[Decimal]:
    if basis == "period":
        return [Decimal(i + 1) for i in range(len(flows))]
    dates = [f.date for f in flows]
    if start is None or None in dates:
        raise ValueError("basis act/365 needs a start date and dated cash flows")
    return [Decimal((d - start).days) / 365 for d in dates if d is not None]


def _present_value(flows: Sequence[CashFlow], times: Sequence[Decimal], rate: Decimal) -> Decimal:
    growth = 1 + rate
    return sum((f.amount / growth**t for f, t in zip(flows, times, strict=True)), Decimal(0))


def effective_rate(
    carrying: Decimal, flows: Sequence[CashFlow], *, start: dt.date | None = None,
    basis: Basis = "period",
) -> Decimal:
    """The rate whose discounting of ``flows`` gives ``carrying`` (a yield of −99% to 1,000%)."""
    times = _times(flows, start, basis)
    if any(t <= 0 for t in times):
        raise ValueError("cash flows must fall after the start date")
    lo, hi = Decimal("-0.99"), Decimal(10)
    if not _present_value(flows, times, lo) >= carrying >= _present_value(flows, times, hi):
        raise ValueError(f"no effective rate in [-99%, 1000%] for carrying amount {carrying}")
    while hi - lo > _TOLERANCE:
        mid = (lo + hi) / 2
        if _present_value(flows, times, mid) > carrying:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def amortization_schedule(
    carrying: Decimal,
    face: Decimal,
    flows: Sequence[CashFlow],
    *,
    start: dt.date | None = None,
    basis: Basis = "period",
) -> AmortizationSchedule:
    """Amortize ``face − carrying`` over ``flows`` (the last flow repays the face)."""
    rate = effective_rate(carrying, flows, start=start, basis=basis)
    rows: list[AmortizationRow] = []
    opening = carrying
    previous = start
    residual = ZERO
    for i, flow in enumerate(flows):
        if basis == "period":
            growth, days = 1 + rate, None
        else:
            if flow.date is None or previous is None:  # effective_rate has checked them
                raise ValueError("basis act/365 needs a start date and dated cash flows")
            days = (flow.date - previous).days
            growth = (1 + rate) ** (Decimal(days) / 365)
        expense = cents(opening * (growth - 1))
        amortization = expense - flow.interest
        if i == len(flows) - 1:
            plug = face - opening
            residual = plug - amortization
            amortization = plug
            expense = flow.interest + amortization
        closing = opening + amortization
        rows.append(AmortizationRow(
            i + 1, previous, flow.date, days, opening, expense, flow.interest, amortization,
            closing,
        ))
        opening, previous = closing, flow.date
    return AmortizationSchedule(basis, rate, carrying, face, tuple(rows), residual)


def note_cash_flows(schedule: NoteSchedule) -> list[CashFlow]:
    """A note's contractual cash flows on its real payment dates, principal at maturity."""
    by_date: dict[dt.date, Decimal] = {}
    for p in schedule.periods:
        by_date[p.pay_date] = by_date.get(p.pay_date, ZERO) + p.amount
    maturity = schedule.maturity.pay_date
    by_date.setdefault(maturity, ZERO)
    return [
        CashFlow(day, amount, schedule.principal if day == maturity else ZERO)
        for day, amount in sorted(by_date.items())
    ]


def schedule_json(s: AmortizationSchedule) -> dict[str, object]:
    def d(v: Decimal | None) -> str | None:
        return None if v is None else format(v, "f")

    return {
        "basis": s.basis,
        "effective_rate": d(s.rate.quantize(Decimal("1e-12"))),
        "monthly_equivalent_rate": d(s.monthly_equivalent_rate.quantize(Decimal("1e-12"))),
        "carrying_amount": d(s.carrying_amount),
        "face": money_json(s.face),
        "total_amortization": d(s.total_amortization),
        "total_interest_expense": d(s.total_interest_expense),
        "rounding_residual": d(s.rounding_residual),
        "rows": [
            {
                "period": r.period,
                "start": r.start.isoformat() if r.start else None,
                "date": r.date.isoformat() if r.date else None,
                "days": r.days,
                "opening": d(r.opening),
                "interest_expense": d(r.interest_expense),
                "cash_interest": d(r.cash_interest),
                "amortization": d(r.amortization),
                "closing": d(r.closing),
            }
            for r in s.rows
        ],
    }
