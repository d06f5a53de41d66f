"""The deal loaded, validated and priced once: terms, market data and one instrument per note
and warrant.

``load(deal_dir)`` reads ``deal.toml``, ``closes.csv`` and ``market.toml``, sets every price on
the exchange calendar, builds the contractual schedules and the disclosure check, and returns a
frozen ``LoadedDeal``. Every engine (ledger rules, valuation, cap table, accounting, the book)
takes that object; none reads the folder again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from types import MappingProxyType

from pipedeal.errors import UserError
from pipedeal.instruments.note import NoteInstrument
from pipedeal.instruments.warrant import WarrantInstrument
from pipedeal.market.calendars import BusinessCalendar, business_calendar
from pipedeal.market.closes import PriceSeries
from pipedeal.market.inputs import MarketFile
from pipedeal.pricing.check import CheckLine, disclosure_check
from pipedeal.pricing.figures import DealFigures, deal_figures
from pipedeal.schedule.interest import Maturity, NoteSchedule, note_schedule
from pipedeal.terms.models import AccrualStart, DayType, Deal, Purchaser


@dataclass(frozen=True)
class PurchaserDates:
    """One purchaser's key dates, as the ledger reports them (from the instruments)."""

    issue: dt.date
    maturity: Maturity
    first_accrual: dt.date  # first day that accrues (inclusive)
    last_accrual: dt.date  # last day that accrues (inclusive)
    prepayment_from: dt.date  # first day a prepayment notice may be given
    warrant_expiry: dt.datetime | None  # aware


#: how many times ``load`` has run in this process (tests check the book loads once)
LOAD_COUNT = [0]


@dataclass(frozen=True)
class LoadedDeal:
    """A deal's terms with everything fixed at issue; the input of every engine."""

    terms: Deal
    figures: DealFigures
    calendar: BusinessCalendar
    folder: Path | None = None
    prices: PriceSeries | None = None
    market: MarketFile | None = None
    notes: Mapping[str, NoteInstrument] = field(default_factory=dict)
    warrants: Mapping[str, WarrantInstrument] = field(default_factory=dict)

    @classmethod
    def from_figures(
        cls,
        terms: Deal,
        figures: DealFigures,
        *,
        folder: Path | None = None,
        prices: PriceSeries | None = None,
        market: MarketFile | None = None,
    ) -> LoadedDeal:
        cal = business_calendar(terms.market.business_day_calendar)
        notes: dict[str, NoteInstrument] = {}
        warrants: dict[str, WarrantInstrument] = {}
        for f in figures.purchasers:
            p = f.purchaser
            schedule = note_schedule(p.closing_date, p.principal, terms.note, cal, purchaser=p.name)
            notes[p.name] = NoteInstrument.build(p, terms.note, cal, f, schedule)
            if terms.warrant is not None and f.exercise is not None:
                warrants[p.name] = WarrantInstrument(
                    p, terms.warrant, f.warrant_shares, f.exercise, cal
                )
        return cls(
            terms, figures, cal, folder, prices, market,
            MappingProxyType(notes), MappingProxyType(warrants),
        )

    # --- the deal as the book and engines read it ---------------------------------------------

    @property
    def deal(self) -> Deal:
        """The terms (``Deal``); the name older engines use."""
        return self.terms

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.terms.purchasers)

    def purchaser(self, name: str) -> Purchaser:
        try:
            return self.terms.purchaser(name)
        except KeyError:
            have = ", ".join(self.names)
            raise UserError(f"purchasers: no purchaser named {name!r} (have: {have})") from None

    def note(self, name: str) -> NoteInstrument:
        self.purchaser(name)
        return self.notes[name]

    def warrant(self, name: str) -> WarrantInstrument | None:
        self.purchaser(name)
        return self.warrants.get(name)

    @classmethod
    def from_deal_dir(cls, deal_dir: Path | str) -> LoadedDeal:
        return load(deal_dir)

    def dates(self, name: str) -> PurchaserDates:
        note, warrant = self.note(name), self.warrants.get(name)
        return PurchaserDates(
            issue=note.issue_date,
            maturity=note.maturity,
            first_accrual=note.first_accrual,
            last_accrual=note.last_accrual,
            prepayment_from=note.prepayment_from,
            warrant_expiry=None if warrant is None else warrant.expires_at,
        )

    @property
    def accrual_shift(self) -> int:
        """Days after a principal change before it counts for interest (the same for every note:
        ``NoteInstrument.accrual_shift``)."""
        return 0 if self.terms.note.interest.accrual_start is AccrualStart.ISSUE_DATE else 1

    def delivery_deadline(self, instrument: str, issued: dt.date) -> dt.date:
        """The delivery deadline of shares issued on ``issued`` by ``instrument``
        (``note:NAME`` or ``warrant:NAME``): the instrument's ``delivery_deadline``."""
        kind, _, name = instrument.partition(":")
        if kind == "warrant":
            warrant = self.warrant(name)
            if warrant is not None:
                return warrant.delivery_deadline(issued)
        return self.note(name).delivery_deadline(issued)

    def add_days(self, day: dt.date, n: int, kind: DayType) -> dt.date:
        """``n`` business days (the deal's business-day calendar) or calendar days after ``day``."""
        if kind is DayType.BUSINESS:
            return self.calendar.add_business_days(day, n)
        return day + dt.timedelta(days=n)

    @property
    def schedules(self) -> tuple[NoteSchedule, ...]:
        return tuple(self.notes[n].schedule for n in self.names)

    def schedule(self, name: str) -> NoteSchedule:
        """The contractual schedule (full principal, nothing converted): pay dates and periods."""
        return self.note(name).schedule

    @cached_property
    def checks(self) -> tuple[CheckLine, ...]:
        firsts = tuple(s.periods[0].pay_date for s in self.schedules if s.periods)
        return disclosure_check(self.terms, self.figures, firsts)

    @property
    def conversion_prices(self) -> Mapping[str, Decimal]:
        return {n: i.base_conversion_price for n, i in self.notes.items()}

    @property
    def exercise_prices(self) -> Mapping[str, Decimal | None]:
        return {
            n: (self.warrants[n].base_exercise_price if n in self.warrants else None)
            for n in self.names
        }

    @property
    def warrant_shares(self) -> Mapping[str, int]:
        return {f.purchaser.name: f.warrant_shares for f in self.figures.purchasers}

    # --- identity ------------------------------------------------------------------------------

    def fingerprint(self) -> str:
        return self._fingerprint

    @cached_property
    def _fingerprint(self) -> str:
        """SHA-256 of the terms the ledger's rules read: note, warrant and registration terms,
        calendars, each purchaser's closing, principal and funding, and the prices fixed at issue.

        The ledger stores it when it is created: events recorded under one set of terms must not
        be replayed silently under another. Issuer facts (share counts, addresses), the deal's
        name and notes, and the disclosure figures are left out: they change without amending
        the contract.
        """
        deal = self.terms
        terms = {
            # the delivery deadlines are not rules of the ledger (they feed the due list only):
            # left out, so ledgers recorded before the term existed keep their fingerprint
            "note": deal.note.model_dump(
                mode="json", exclude={"conversion": {"delivery_business_days"}}
            ),
            "warrant": None
            if deal.warrant is None
            else deal.warrant.model_dump(mode="json", exclude={"delivery_business_days"}),
            # registrable-count rounding is not a rule of the ledger: left out, so adding it did
            # not change the fingerprint of ledgers recorded before it existed
            "registration_rights": None
            if deal.registration_rights is None
            else deal.registration_rights.model_dump(mode="json", exclude={"share_rounding"}),
            "calendars": [deal.market.trading_calendar, deal.market.business_day_calendar],
            "purchasers": [
                [p.name, p.closing_date.isoformat(), str(p.principal), str(p.funded)]
                for p in deal.purchasers
            ],
            "conversion_prices": {k: str(v) for k, v in self.conversion_prices.items()},
            "exercise_prices": {
                k: None if v is None else str(v) for k, v in self.exercise_prices.items()
            },
            "warrant_shares": dict(self.warrant_shares),
        }
        text = json.dumps(terms, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()


def load(deal_dir: Path | str) -> LoadedDeal:
    """Load, validate and price the deal in ``deal_dir`` once (``deal.toml``, ``closes.csv``,
    ``market.toml``); a bad file or field is a one-line ``UserError``."""
    from pipedeal.market.closes import load_deal_closes
    from pipedeal.market.inputs import load_market
    from pipedeal.terms.loader import load_deal as load_terms

    LOAD_COUNT[0] += 1
    folder = Path(deal_dir)
    terms = load_terms(folder)
    prices = load_deal_closes(folder, terms.market.closes, terms.market.trading_calendar)
    figures = deal_figures(terms, prices)
    return LoadedDeal.from_figures(
        terms, figures, folder=folder, prices=prices, market=load_market(folder)
    )
