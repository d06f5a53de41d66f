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

from pipedeal.market.closes import PriceSeries, load_deal_closes
from pipedeal.pricing.check import CheckLine, disclosure_check
from pipedeal.pricing.figures import DealFigures, deal_figures
from pipedeal.pricing.rules import PriceTrace
from pipedeal.schedule.interest import NoteSchedule, add_months, deal_schedules
from pipedeal.terms.loader import load_deal
from pipedeal.terms.models import Deal

BOOK_SCHEMA_VERSION = 1


@dataclass(frozen=True)
class BookContext:
    deal_dir: Path
    deal: Deal
    prices: PriceSeries | None
    figures: DealFigures
    schedules: tuple[NoteSchedule, ...]
    checks: tuple[CheckLine, ...]
    as_of: dt.date | None = None
    options: dict[str, Any] = field(default_factory=dict)


SectionBuilder = Callable[[BookContext], Any]


def extra_sections() -> dict[str, SectionBuilder]:
    """Book sections beyond terms, prices and schedules; one line per package that adds one."""
    # Imported here, not at the top: these packages import this module's BookContext.
    from pipedeal.accounting.report import book_section as accounting_section
    from pipedeal.captable.report import book_section as captable_section
    from pipedeal.filings.disclose import disclosure_section
    from pipedeal.ledger.views import ledger_section
    from pipedeal.valuation.deal import valuation_section

    sections: dict[str, SectionBuilder] = {
        "captable": captable_section,
        "accounting": accounting_section,
        "filing_check": disclosure_section,
        "ledger": ledger_section,
        "valuation": valuation_section,
    }
    return sections


def build_context(
    deal_dir: Path | str, *, as_of: dt.date | None = None, **options: Any
) -> BookContext:
    deal_dir = Path(deal_dir)
    deal = load_deal(deal_dir)
    prices = load_deal_closes(deal_dir, deal.market.closes, deal.market.trading_calendar)
    figures = deal_figures(deal, prices)
    schedules = deal_schedules(deal)
    checks = disclosure_check(
        deal, figures, tuple(s.periods[0].pay_date for s in schedules if s.periods)
    )
    return BookContext(deal_dir, deal, prices, figures, schedules, checks, as_of, options)


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
            "principal": _d(s.principal),
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
                "principal": _d(p.principal),
                "cash_funded": _d(p.funded),
                "conversion_price": _d(f.conversion_price),
                "conversion_shares": f.conversion_shares,
                "warrant_shares": f.warrant_shares,
                "exercise_price": _d(f.exercise_price),
                "exercise_proceeds": _d(f.exercise_proceeds),
                "warrant_expiry": _warrant_expiry(deal, p.closing_date),
                "price_window": [d.isoformat() for d in f.conversion.window_dates],
                "conversion_trace": trace_json(f.conversion),
                **schedule_json(s),
            }
        )
    data: dict[str, Any] = {
        "schema_version": BOOK_SCHEMA_VERSION,
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
            "principal": _d(figs.principal),
            "cash_funded": _d(figs.cash_funded),
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
                }
                for c in ctx.checks
            ],
        },
    }
    for name, builder in extra_sections().items():
        data[name] = builder(ctx)
    return data


def _warrant_expiry(deal: Deal, issue: dt.date) -> str | None:
    if deal.warrant is None:
        return None
    day = add_months(issue, 12 * deal.warrant.term_years)
    return (
        f"{day.isoformat()}T{deal.warrant.expiry_time.isoformat()} {deal.warrant.expiry_timezone}"
    )
