"""A small stand-in for ``pipedeal.ledger``'s documented state (docs/ledger.md), for testing the
journal logic alone: interest accrues daily in cents on outstanding principal from the issue
day; each scheduled payment date pays everything accrued before it; events change principal,
shares and the split factor. The real-ledger scenario lives in ``test_ledger_scenario.py``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from pipedeal.ledger.reading import CachedView

Z = Decimal("0.00")


@dataclass(frozen=True)
class NoteS:
    outstanding_principal: Decimal
    conversion_price: Decimal
    accrued_interest: Decimal = Z
    interest_paid: Decimal = Z
    interest_converted: Decimal = Z
    principal_converted: Decimal = Z
    shares_issued: int = 0
    principal_prepaid: Decimal = Z
    premium_paid: Decimal = Z
    principal_repaid: Decimal = Z


@dataclass(frozen=True)
class WarrantS:
    shares_outstanding: int
    exercise_price: Decimal
    shares_exercised: int = 0
    shares_delivered: int = 0
    cash_received: Decimal = Z
    expired: bool = False


@dataclass(frozen=True)
class State:
    split_factor: Fraction
    notes: dict
    warrants: dict


@dataclass
class FakeLedger:
    """events: (date, kind, purchaser, dict); pay_dates: per purchaser, scheduled payments."""

    issue: dict[str, tuple[dt.date, Decimal, Decimal, int]]  # date, principal, price, warrants
    pay_dates: dict[str, list[dt.date]]
    events: list[tuple[dt.date, str, str, dict]] = field(default_factory=list)
    rate: Decimal = Decimal("0.075")

    def state(self, as_of: dt.date) -> State:
        start = min(v[0] for v in self.issue.values())
        notes = {n: NoteS(Z, v[2]) for n, v in self.issue.items()}
        warrants = {n: WarrantS(0, v[2]) for n, v in self.issue.items()}
        split = Fraction(1)
        day = start
        while day <= as_of:
            for n, (issue, principal, _price, wshares) in self.issue.items():
                s = notes[n]
                if day == issue:
                    s = replace(s, outstanding_principal=principal)
                    warrants[n] = replace(warrants[n], shares_outstanding=wshares)
                if day in self.pay_dates[n] and s.accrued_interest:
                    s = replace(s, interest_paid=s.interest_paid + s.accrued_interest,
                                accrued_interest=Z)
                notes[n] = s
            for d, kind, n, kw in self.events:
                if d != day:
                    continue
                s, w = notes.get(n), warrants.get(n)
                if kind == "conversion":
                    p, i = kw.get("principal", Z), kw.get("interest", Z)
                    shares = int((p + i) / s.conversion_price)
                    notes[n] = replace(
                        s, outstanding_principal=s.outstanding_principal - p,
                        accrued_interest=s.accrued_interest - i,
                        principal_converted=s.principal_converted + p,
                        interest_converted=s.interest_converted + i,
                        shares_issued=s.shares_issued + shares)
                elif kind == "prepayment":
                    p = kw["principal"]
                    notes[n] = replace(
                        s, outstanding_principal=s.outstanding_principal - p,
                        principal_prepaid=s.principal_prepaid + p,
                        premium_paid=s.premium_paid + kw.get("premium", Z),
                        interest_paid=s.interest_paid + s.accrued_interest, accrued_interest=Z)
                elif kind == "repayment":
                    notes[n] = replace(
                        s, outstanding_principal=Z,
                        principal_repaid=s.principal_repaid + s.outstanding_principal,
                        interest_paid=s.interest_paid + s.accrued_interest, accrued_interest=Z)
                elif kind == "exercise":
                    k = kw["shares"]
                    warrants[n] = replace(
                        w, shares_outstanding=w.shares_outstanding - k,
                        shares_exercised=w.shares_exercised + k,
                        shares_delivered=w.shares_delivered + k,
                        cash_received=w.cash_received + (k * w.exercise_price).quantize(Z))
                elif kind == "split":
                    f = Fraction(kw["new"], kw["old"])
                    split *= f
                    for m in notes:
                        notes[m] = replace(notes[m], conversion_price=notes[m].conversion_price
                                           * f.denominator / f.numerator)
                        warrants[m] = replace(
                            warrants[m],
                            shares_outstanding=int(warrants[m].shares_outstanding * f),
                            exercise_price=warrants[m].exercise_price * f.denominator
                            / f.numerator)
            # accrue the day (end of day), after the day's events
            for n, s in notes.items():
                if s.outstanding_principal > 0 and day >= self.issue[n][0]:
                    daily = (s.outstanding_principal * self.rate / 365).quantize(
                        Z, rounding=ROUND_HALF_UP)
                    notes[n] = replace(s, accrued_interest=s.accrued_interest + daily)
            day += dt.timedelta(days=1)
        return State(split, notes, warrants)

    def view(self) -> CachedView:
        dates = [e[0] for e in self.events] + [d for ds in self.pay_dates.values() for d in ds]
        return CachedView(self.state, dates)
