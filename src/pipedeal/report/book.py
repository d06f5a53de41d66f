"""The deal book as data: one JSON-ready dict built from terms, market data and engines.

The text and HTML faces render this dict; the JSON face prints it. Keys are documented in
``docs/json.md``. Money and prices are decimal strings (exact); share counts and days integers.

Sections that later packages add (ledger, valuation, cap table, accounting) are listed in
``extra_sections``: each builder receives the ``BookContext`` and returns a JSON-ready value, or
``None`` when its data does not exist for the deal (no ledger, no market.toml...).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipedeal.instruments.deal import LoadedDeal
from pipedeal.jsonfmt import money_json
from pipedeal.ledger.record import DealRecord, deal_record
from pipedeal.market.closes import PriceSeries
from pipedeal.pricing.check import CheckLine
from pipedeal.pricing.figures import DealFigures
from pipedeal.pricing.rules import PriceTrace
from pipedeal.schedule.interest import NoteSchedule
from pipedeal.terms.models import Deal

BOOK_SCHEMA_VERSION = 1


@dataclass(frozen=True)
class BookContext:
    """The deal loaded once and its ledger read once; every section of the book reads these."""

    record: DealRecord
    as_of: dt.date | None = None
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def loaded(self) -> LoadedDeal:
        return self.record.deal

    @property
    def book_as_of(self) -> dt.date:
        """The one date of the book: ``--as-of``, else the later of the last ledger event and
        the last closing (never "today" for a historical deal)."""
        if self.as_of is not None:
            return self.as_of
        last_closing = max(p.closing_date for p in self.loaded.terms.purchasers)
        last_event = self.record.last_event_date
        return max(last_closing, last_event) if last_event else last_closing

    @property
    def as_of_rule(self) -> str:
        if self.as_of is not None:
            return "given (--as-of)"
        return "the later of the last ledger event and the last closing"

    @property
    def deal_dir(self) -> Path:
        assert self.loaded.folder is not None
        return self.loaded.folder

    @property
    def deal(self) -> Deal:
        return self.loaded.terms

    @property
    def prices(self) -> PriceSeries | None:
        return self.loaded.prices

    @property
    def figures(self) -> DealFigures:
        return self.loaded.figures

    @property
    def schedules(self) -> tuple[NoteSchedule, ...]:
        return self.loaded.schedules

    @property
    def checks(self) -> tuple[CheckLine, ...]:
        return self.loaded.checks


SectionBuilder = Callable[[BookContext], Any]


def extra_sections() -> dict[str, SectionBuilder]:
    """Book sections beyond terms, prices and schedules (``report.sections``)."""
    from pipedeal.report import sections

    return {
        "captable": sections.captable_section,
        "accounting": sections.accounting_section,
        "filing_check": sections.disclosure_section,
        "ledger": sections.ledger_section,
        "valuation": sections.valuation_section,
        "registration": sections.registration_section,
    }


def build_context(
    deal_dir: Path | str | LoadedDeal, *, as_of: dt.date | None = None, **options: Any
) -> BookContext:
    """Load the deal (once) and read its ledger (once, ``options["db"]`` or the folder's;
    ``options["deal_key"]`` in a database holding several deals)."""
    record = deal_record(deal_dir, options.get("db"), deal_key=options.get("deal_key"))
    return BookContext(record, as_of, options)


def _d(value) -> str | None:
    return None if value is None else format(value, "f")


def trace_json(trace: PriceTrace) -> dict[str, Any]:
    return {
        "rule": trace.rule,
        "anchor": trace.anchor.isoformat() if trace.anchor else None,
        "sessions": [
            {
                "date": b.date.isoformat(),
                "close": _d(b.close),
                "volume": b.volume,
                "vwap": _d(b.vwap),
            }
            for b in trace.sessions
        ],
        "statistic": _d(trace.statistic),
        "formula_price": _d(trace.formula_price),
        "rounded_price": _d(trace.rounded_price),
        "fixed_price": _d(trace.fixed_price),
        "floor": _d(trace.floor),
        "price": _d(trace.price),
        "limited_by": trace.limited_by,
    }


def schedule_json(s: NoteSchedule) -> dict[str, Any]:
    return {
        "issue_date": s.issue_date.isoformat(),
        "maturity_date": s.maturity.date.isoformat(),
        "rounding": s.rounding_rule,
        "interest_schedule": [
            {
                "pay_date": p.pay_date.isoformat(),
                "period_start": p.period_start.isoformat(),
                "period_end": p.period_end.isoformat(),
                "days": p.days,
                "amount": _d(p.amount),
                "at_maturity": p.at_maturity,
            }
            for p in s.periods
        ],
        "total_interest": _d(s.total_interest),
        "maturity_payment": {
            "date": s.maturity.pay_date.isoformat(),
            "principal": money_json(s.principal),
            "final_interest": _d(s.final_interest),
            "total": _d(s.maturity_payment),
        },
    }


def book_data(ctx: BookContext) -> dict[str, Any]:
    deal, figs = ctx.deal, ctx.figures
    issuer = deal.issuer
    purchasers = []
    for f, s in zip(figs.purchasers, ctx.schedules, strict=True):
        p = f.purchaser
        purchasers.append(
            {
                "name": p.name,
                "closing_date": p.closing_date.isoformat(),
                "principal": money_json(p.principal),
                "cash_funded": money_json(p.funded),
                "conversion_price": _d(f.conversion_price),
                "conversion_shares": f.conversion_shares,
                "warrant_shares": f.warrant_shares,
                "exercise_price": _d(f.exercise_price),
                "exercise_proceeds": _d(f.exercise_proceeds),
                "warrant_expiry": _warrant_expiry(ctx.loaded, p.name),
                "price_window": [d.isoformat() for d in f.conversion.window_dates],
                "conversion_trace": trace_json(f.conversion),
                **schedule_json(s),
            }
        )
    data: dict[str, Any] = {
        "schema_version": BOOK_SCHEMA_VERSION,
        "as_of": ctx.book_as_of.isoformat(),
        "as_of_rule": ctx.as_of_rule,
        "overdue": overdue_json(ctx),
        "deal": {
            "name": deal.name,
            "notes": deal.notes,
            "folder": str(ctx.deal_dir),
            "closes_file": ctx.prices.source if ctx.prices else None,
            "closes_are_illustrative": deal.market.closes_are_illustrative,
            "trading_calendar": deal.market.trading_calendar,
            "business_day_calendar": deal.market.business_day_calendar,
        },
        "issuer": {
            "name": issuer.name,
            "state": issuer.state,
            "commission_file_number": issuer.commission_file_number,
            "irs_employer_number": issuer.irs_employer_number,
            "ticker": issuer.ticker,
            "exchange": issuer.exchange,
            "par_value": _d(issuer.par_value),
            "shares_outstanding": [
                {"date": s.date.isoformat(), "shares": s.shares, "source": s.source}
                for s in issuer.shares_outstanding
            ],
        },
        "terms": {
            "interest_rate": _d(deal.note.interest.rate),
            "day_count": deal.note.interest.day_count.value,
            "maturity_months": deal.note.maturity.months_after_issue,
            "conversion_price_rule": figs.purchasers[0].conversion.rule,
            "unpaid_interest_convertible": deal.note.conversion.unpaid_interest_convertible,
            "prepayment": deal.note.prepayment.model_dump(mode="json"),
            "warrant": deal.warrant.model_dump(mode="json") if deal.warrant else None,
            "exemption": list(deal.offering.exemption),
        },
        "totals": {
            "principal": money_json(figs.principal),
            "cash_funded": money_json(figs.cash_funded),
            "conversion_shares": figs.conversion_shares,
            "warrant_shares": figs.warrant_shares,
            "exercise_proceeds": _d(figs.exercise_proceeds),
            "interest": _d(sum((s.total_interest for s in ctx.schedules), 0)),
        },
        "purchasers": purchasers,
        "disclosure_check": {
            "source": deal.disclosure.source if deal.disclosure else None,
            "all_match": all(c.matches for c in ctx.checks) if ctx.checks else None,
            "lines": [
                {
                    "figure": c.figure,
                    "stated": c.stated,
                    "computed": c.computed,
                    "matches": c.matches,
                    "source": c.source,
                }
                for c in ctx.checks
            ],
        },
    }
    for name, builder in extra_sections().items():
        data[name] = builder(ctx)
    return data


def check_mismatches(data: dict[str, Any]) -> list[str]:
    """Every line of the book's checks whose stated value differs from the deal's: the
    disclosure check (figures stated in ``[disclosure]`` or the note's terms) and the filing
    check (the terms the folder's 8-K states). One line each, naming the term and the source."""
    out = []
    for line in (data.get("disclosure_check") or {}).get("lines") or ():
        if not line["matches"]:
            out.append(f"{line['figure']}: stated {line['stated']}, computed {line['computed']} "
                       f"({line.get('source') or 'deal.toml'})")
    for line in (data.get("filing_check") or {}).get("lines") or ():
        if not line["matches"]:
            out.append(f"{line['term']}: the filing says {line['filing']!r}, the deal gives "
                       f"{line['deal']!r} ({line.get('source') or 'the filing'})")
    return out


def overdue_json(ctx: BookContext) -> list[dict[str, Any]]:
    """What the ledger shows past due on the book's date: interest or principal not paid, an
    election window closed with no settlement, a registration deadline missed (none on the
    terms alone: there the contract is performed as scheduled)."""
    from pipedeal.ledger.due import due_items

    if not ctx.record.recorded:
        return []
    state = ctx.record.state(ctx.book_as_of)
    return [i.to_json() for i in due_items(ctx.loaded, state, days=0) if i.status == "overdue"]


def _warrant_expiry(loaded: LoadedDeal, name: str) -> str | None:
    w = loaded.warrants.get(name)
    if w is None:
        return None
    t = w.terms
    return f"{w.expiry_date.isoformat()}T{t.expiry_time.isoformat()} {t.expiry_timezone}"
