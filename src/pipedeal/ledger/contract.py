"""What the rules need to know about a deal: its terms, the prices fixed at issue and calendars.

A ``Contract`` is built once from a deal folder (terms from ``deal.toml``, base conversion and
exercise prices from ``pricing``) and never changes; the ledger's rules are pure functions of a
contract, the events so far and the new event.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from functools import cached_property
from pathlib import Path
from zoneinfo import ZoneInfo

from pipedeal.errors import UserError
from pipedeal.market.calendars import BusinessCalendar, business_calendar
from pipedeal.pricing.figures import DealFigures, deal_figures
from pipedeal.schedule.interest import (
    Maturity,
    NoteSchedule,
    accrual_bounds,
    add_months,
    maturity_of,
    note_schedule,
)
from pipedeal.terms.models import AccrualStart, DayType, Deal, Purchaser


@dataclass(frozen=True)
class PurchaserDates:
    issue: dt.date
    maturity: Maturity
    first_accrual: dt.date  # first day that accrues (inclusive)
    last_accrual: dt.date  # last day that accrues (inclusive)
    prepayment_from: dt.date  # first day a prepayment notice may be given
    warrant_expiry: dt.datetime | None  # aware


@dataclass(frozen=True)
class Contract:
    """A deal's terms plus the per-purchaser prices fixed at issue."""

    deal: Deal
    calendar: BusinessCalendar
    conversion_prices: Mapping[str, Decimal]
    exercise_prices: Mapping[str, Decimal | None]
    warrant_shares: Mapping[str, int]

    @classmethod
    def from_figures(cls, deal: Deal, figures: DealFigures) -> Contract:
        return cls(
            deal=deal,
            calendar=business_calendar(deal.market.business_day_calendar),
            conversion_prices={f.purchaser.name: f.conversion_price for f in figures.purchasers},
            exercise_prices={f.purchaser.name: f.exercise_price for f in figures.purchasers},
            warrant_shares={f.purchaser.name: f.warrant_shares for f in figures.purchasers},
        )

    @classmethod
    def from_deal_dir(cls, deal_dir: Path | str) -> Contract:
        from pipedeal.market.closes import load_deal_closes
        from pipedeal.terms.loader import load_deal

        deal_dir = Path(deal_dir)
        deal = load_deal(deal_dir)
        prices = load_deal_closes(deal_dir, deal.market.closes, deal.market.trading_calendar)
        return cls.from_figures(deal, deal_figures(deal, prices))

    def fingerprint(self) -> str:
        return self._fingerprint

    @cached_property
    def _fingerprint(self) -> str:
        """SHA-256 of the terms the rules read: note, warrant and registration terms, calendars,
        each purchaser's closing, principal and funding, and the prices fixed at issue.

        The ledger stores it when it is created: events recorded under one set of terms must not
        be replayed silently under another. Issuer facts (share counts, addresses), the deal's
        name and notes, and the disclosure figures are left out: they change without amending
        the contract.
        """
        deal = self.deal
        terms = {
            "note": deal.note.model_dump(mode="json"),
            "warrant": None if deal.warrant is None else deal.warrant.model_dump(mode="json"),
            "registration_rights": None
            if deal.registration_rights is None
            else deal.registration_rights.model_dump(mode="json"),
            "calendars": [deal.market.trading_calendar, deal.market.business_day_calendar],
            "purchasers": [
                [p.name, p.closing_date.isoformat(), str(p.principal), str(p.funded)]
                for p in deal.purchasers
            ],
            "conversion_prices": {k: str(v) for k, v in self.conversion_prices.items()},
            "exercise_prices": {k: None if v is None else str(v)
                                for k, v in self.exercise_prices.items()},
            "warrant_shares": dict(self.warrant_shares),
        }
        text = json.dumps(terms, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()

    # --- lookups -------------------------------------------------------------------------------

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.deal.purchasers)

    def purchaser(self, name: str) -> Purchaser:
        try:
            return self.deal.purchaser(name)
        except KeyError:
            have = ", ".join(self.names)
            raise UserError(f"purchasers: no purchaser named {name!r} (have: {have})") from None

    @property
    def accrual_shift(self) -> int:
        """0: a principal change on day D already counts for D's interest; 1: from D + 1.

        With ``accrual_start = issue_date`` the days [issue, maturity) accrue, so interest for a
        day is on the principal outstanding at the end of that day (the maturity day, and the day
        of a conversion, do not accrue on what was repaid or converted). With
        ``day_after_issue`` the days (issue, maturity] accrue on the principal at the start of
        the day.
        """
        return 0 if self.deal.note.interest.accrual_start is AccrualStart.ISSUE_DATE else 1

    @cached_property
    def _dates(self) -> dict[str, PurchaserDates]:
        out = {}
        note = self.deal.note
        for p in self.deal.purchasers:
            first, last = accrual_bounds(p.closing_date, note, self.calendar)
            earliest = add_months(p.closing_date, note.prepayment.earliest_months_after_issue)
            if not note.prepayment.earliest_inclusive:
                earliest += dt.timedelta(days=1)
            expiry = None
            if self.deal.warrant is not None:
                w = self.deal.warrant
                day = add_months(p.closing_date, 12 * w.term_years)
                expiry = dt.datetime.combine(day, w.expiry_time, tzinfo=ZoneInfo(w.expiry_timezone))
            out[p.name] = PurchaserDates(
                issue=p.closing_date,
                maturity=maturity_of(p.closing_date, note, self.calendar),
                first_accrual=first,
                last_accrual=last,
                prepayment_from=earliest,
                warrant_expiry=expiry,
            )
        return out

    def dates(self, name: str) -> PurchaserDates:
        try:
            return self._dates[name]
        except KeyError:
            self.purchaser(name)  # raises the user error naming the purchasers
            raise

    @cached_property
    def exact_prices(self) -> dict[str, tuple[Fraction, Fraction | None]]:
        """(conversion, exercise) prices fixed at issue, as exact fractions."""
        return {
            n: (
                Fraction(self.conversion_prices[n]),
                None if self.exercise_prices.get(n) is None else Fraction(self.exercise_prices[n]),
            )
            for n in self.names
        }

    @cached_property
    def _schedules(self) -> dict[str, NoteSchedule]:
        return {
            p.name: note_schedule(
                p.closing_date, p.principal, self.deal.note, self.calendar, purchaser=p.name
            )
            for p in self.deal.purchasers
        }

    def schedule(self, name: str) -> NoteSchedule:
        """The contractual schedule (full principal, nothing converted): pay dates and periods."""
        self.purchaser(name)
        return self._schedules[name]

    def election_window(self, notice: dt.date) -> tuple[dt.date, dt.date]:
        """(last day of the holder's election window, first day the prepayment may settle)."""
        terms = self.deal.note.prepayment
        n = terms.holder_election_days
        if terms.election_day_type is DayType.BUSINESS:
            closes = self.calendar.add_business_days(notice, n)
        else:
            closes = notice + dt.timedelta(days=n)
        if terms.settlement == "window_end":
            settle_from = closes
        else:
            settle_from = self.calendar.add_business_days(closes, 1)
        return closes, settle_from

    def add_days(self, day: dt.date, n: int, kind: DayType) -> dt.date:
        if kind is DayType.BUSINESS:
            return self.calendar.add_business_days(day, n)
        return day + dt.timedelta(days=n)
