"""A deal's notes and warrants valued from its terms and the folder's ``market.toml``.

``market.toml`` holds the valuation inputs (documented in ``docs/valuation.md``); the contract
comes from the deal: coupon dates and amounts from ``pipedeal.schedule.note_schedule``, conversion
and exercise prices from ``pipedeal.pricing.deal_figures``, the prepayment right and the
holder's election window from ``deal.note.prepayment``, warrant shares, price and term from
``deal.warrant``. Money stays Decimal in the terms; the models work in float64.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from pipedeal.errors import UserError
from pipedeal.market.calendars import business_calendar
from pipedeal.pricing.figures import DealFigures, PurchaserFigures
from pipedeal.schedule.interest import NoteSchedule, add_months
from pipedeal.terms.loader import read_toml, validate
from pipedeal.terms.models import DayType, Deal
from pipedeal.valuation.blackscholes import DILUTION_CONVENTIONS, warrant_greeks
from pipedeal.valuation.convertible import MODELS, MarketInputs, greeks
from pipedeal.valuation.dated import (
    DatedCall,
    DatedCoupon,
    DatedDividend,
    DatedNote,
    dividends_for,
    to_spec,
)
from pipedeal.valuation.trees import TREES, binomial_option

MARKET_FILE = "market.toml"
SCHEMA_VERSION = 1


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class DividendInput(_Frozen):
    date: dt.date
    amount: float = Field(gt=0, description="cash per share")


class CurvePoint(_Frozen):
    years: float = Field(gt=0)
    zero_rate: float = Field(ge=-0.1, le=1)


class MarketFile(_Frozen):
    """The valuation inputs of ``market.toml``."""

    as_of: dt.date
    spot: float = Field(gt=0, description="share price on as_of")
    volatility: float = Field(gt=0, le=5)
    rate: float = Field(ge=-0.1, le=1, description="risk-free, continuous, flat")
    dividend_yield: float = Field(0.0, ge=0, le=1)
    credit_spread: float = Field(0.0, ge=0, le=5)
    recovery: float = Field(0.0, ge=0, lt=1)
    hazard: float | None = Field(None, ge=0, le=5, description="default credit_spread/(1-R)")
    eta: float = Field(1.0, ge=0, le=1, description="fraction the stock loses on default")
    model: Literal["tf", "hazard", "hull", "ql"] = "hazard"
    tree: Literal["crr", "jr", "lr", "hull"] | None = None
    steps: int = Field(1000, ge=10, le=20000)
    warrant_method: Literal["black-scholes", "binomial"] = "black-scholes"
    dilution: Literal["none", "hull", "galai-schneller"] = "hull"
    shares_outstanding: int | None = Field(None, gt=0)
    illustrative: bool = Field(True, description="say so when the inputs are not market data")
    source: str | None = None
    dividends: tuple[DividendInput, ...] = ()
    rate_curve: tuple[CurvePoint, ...] = ()


def market_file(deal_dir: Path) -> Path:
    return Path(deal_dir) / MARKET_FILE


def load_market(deal_dir: Path) -> MarketFile | None:
    """The folder's ``market.toml``, or None when there is none."""
    path = market_file(deal_dir)
    if not path.is_file():
        return None
    return validate(MarketFile, read_toml(path), path)


def dated_note(
    deal: Deal, f: PurchaserFigures, sched: NoteSchedule
) -> tuple[DatedNote, dict[str, Any]]:
    """The purchaser's note as dates and amounts, and the assumptions made placing it."""
    terms = deal.note
    principal = float(f.purchaser.principal)
    coupons = tuple(
        DatedCoupon(p.pay_date, float(p.amount), p.period_start, p.period_end + dt.timedelta(1))
        for p in sched.periods
    )
    issue = sched.issue_date
    maturity = sched.maturity.pay_date
    calls: tuple[DatedCall, ...] = ()
    window_days = 0
    pre = terms.prepayment
    notes: dict[str, Any] = {}
    if pre.allowed and pre.max_notices > 0:
        start = add_months(issue, pre.earliest_months_after_issue)
        if not pre.earliest_inclusive:
            start += dt.timedelta(days=1)
        price = principal * (1.0 + float(pre.premium))
        calls = (DatedCall(start, maturity, price, clean=pre.pays_accrued_interest),)
        if pre.election_day_type is DayType.BUSINESS:
            cal = business_calendar(deal.market.business_day_calendar)
            end = cal.add_business_days(start, pre.holder_election_days)
            window_days = (end - start).days
        else:
            window_days = pre.holder_election_days
        notes["call"] = {
            "from": start.isoformat(),
            "price": price,
            "plus_accrued": pre.pays_accrued_interest,
            "election_window_calendar_days": window_days,
            "election_window_rule": f"{pre.holder_election_days} {pre.election_day_type.value} "
            "days, counted from the first call date",
        }
    note = DatedNote(
        maturity=maturity,
        conversion_ratio=principal / float(f.conversion_price),
        face=principal,
        coupons=coupons,
        calls=calls,
        conversion_start=issue,
        accrued_convertible=terms.conversion.unpaid_interest_convertible,
        notice_days=window_days,
    )
    return note, notes


def value_deal(
    deal: Deal,
    figures: DealFigures,
    schedules: tuple[NoteSchedule, ...],
    market: MarketFile,
    *,
    as_of: dt.date | None = None,
    model: str | None = None,
    steps: int | None = None,
    source: str | None = None,
) -> dict[str, Any]:
    """Per-purchaser note and warrant values and Greeks; JSON-ready (floats are model output)."""
    day = as_of or market.as_of
    model = model or market.model
    if model not in MODELS:
        raise UserError(f"--model: unknown model {model!r} (use {', '.join(MODELS)})")
    steps = steps or market.steps
    if steps < 10 or steps > 20000:
        raise UserError(f"--steps: must be between 10 and 20000, got {steps}")
    if market.tree is not None and market.tree not in TREES:
        raise UserError(f"market.toml: tree {market.tree!r} unknown")
    mkt = market_inputs(market, day)
    n_shares, n_source = shares_outstanding(deal, market, day)
    m_warrants = figures.warrant_shares
    rows = []
    totals = {"note_value": 0.0, "warrant_value": 0.0, "principal": 0.0}
    for f, sched in zip(figures.purchasers, schedules, strict=True):
        p = f.purchaser
        row: dict[str, Any] = {
            "name": p.name,
            "issue_date": p.closing_date.isoformat(),
            "principal": format(p.principal, "f"),
        }
        if day < p.closing_date:
            row["status"] = "not yet issued on the valuation date"
            rows.append(row)
            continue
        note, assumptions = dated_note(deal, f, sched)
        principal = float(p.principal)
        if note.maturity <= day:
            row["status"] = "matured"
        else:
            spec = to_spec(note, day)
            g = greeks(spec, mkt, model=model, steps=steps, tree=market.tree)
            row["status"] = "outstanding"
            row["note"] = {
                "value": g["value"],
                "value_per_100": g["value"] / principal * 100.0,
                "conversion_price": format(f.conversion_price, "f"),
                "conversion_shares": principal / float(f.conversion_price),
                "maturity": note.maturity.isoformat(),
                "accrued_interest": note.accrued_on(day),
                "greeks": {k: v for k, v in g.items() if k != "value"},
                **assumptions,
            }
            totals["note_value"] += g["value"]
            totals["principal"] += principal
        if deal.warrant is not None and f.exercise_price is not None and f.warrant_shares:
            expiry = add_months(p.closing_date, 12 * deal.warrant.term_years)
            if expiry > day:
                row["warrant"] = warrant_valuation(deal, f, day, market, n_shares, m_warrants)
                totals["warrant_value"] += row["warrant"]["value"]
            else:
                row["warrant_status"] = "expired"
        rows.append(row)
    return {
        "schema_version": SCHEMA_VERSION,
        "as_of": day.isoformat(),
        "model": model,
        "tree": market.tree or ("hull" if model == "hull" else "crr"),
        "steps": steps,
        "inputs": {
            "source": source,
            "illustrative": market.illustrative,
            "spot": market.spot,
            "volatility": market.volatility,
            "rate": market.rate,
            "rate_curve": [p.model_dump() for p in market.rate_curve],
            "dividend_yield": market.dividend_yield,
            "credit_spread": market.credit_spread,
            "recovery": market.recovery,
            "hazard": mkt.intensity,
            "eta": market.eta,
            "dividends": [
                {"date": d.date.isoformat(), "amount": d.amount} for d in market.dividends
            ],
            "warrant_method": market.warrant_method,
            "dilution": market.dilution,
            "shares_outstanding": n_shares,
            "shares_outstanding_source": n_source,
            "warrant_shares_in_deal": m_warrants,
        },
        "greeks_units": {
            "delta": "value per $1 of share price",
            "gamma": "delta per $1 of share price",
            "vega": "value per 1.00 (100 points) of volatility",
            "theta": "value per year (one-day bump × 365)",
            "rho": "value per 1.00 of rate",
            "credit_spread_sensitivity": "value per 1.00 of credit spread",
        },
        "purchasers": rows,
        "totals": totals,
    }


def market_inputs(market: MarketFile, day: dt.date) -> MarketInputs:
    """The lattice's market inputs from ``market.toml`` on ``day`` (dividends after ``day``)."""
    divs_dated = tuple(DatedDividend(d.date, d.amount) for d in market.dividends)
    return MarketInputs(
        spot=market.spot,
        vol=market.volatility,
        rate=market.rate,
        dividend_yield=market.dividend_yield,
        credit_spread=market.credit_spread,
        recovery=market.recovery,
        hazard=market.hazard,
        eta=market.eta,
        dividends=dividends_for(divs_dated, day, day),
        rate_curve=tuple((p.years, p.zero_rate) for p in market.rate_curve),
    )


def shares_outstanding(deal: Deal, market: MarketFile, day: dt.date) -> tuple[int | None, str]:
    """Shares outstanding for dilution: market.toml's figure, else the issuer's count on or
    before ``day``; with where it came from."""
    if market.shares_outstanding is not None:
        return market.shares_outstanding, "market.toml"
    rec = deal.issuer.shares_outstanding_on(day)
    if rec is not None:
        return rec.shares, f"deal.toml issuer.shares_outstanding on {rec.date}"
    return None, "none"


def warrant_valuation(
    deal: Deal, f: PurchaserFigures, day: dt.date, market: MarketFile, n: int | None, m: int
) -> dict[str, Any]:
    """One purchaser's warrant on ``day``: value, per-warrant value and Greeks (JSON-ready);
    ``n`` shares outstanding and ``m`` warrant shares of the whole deal for dilution."""
    w = deal.warrant
    expiry = add_months(f.purchaser.closing_date, 12 * w.term_years)
    years = (expiry - day).days / 365.0
    strike = float(f.exercise_price)
    dilution = market.dilution
    if dilution != "none" and n is None:
        raise UserError(
            f"market.toml: dilution {dilution!r} needs shares_outstanding (none in market.toml "
            "and no issuer.shares_outstanding on or before the valuation date)"
        )
    if dilution not in DILUTION_CONVENTIONS:
        raise UserError(f"market.toml: dilution {dilution!r} unknown")
    g = warrant_greeks(
        market.spot,
        strike,
        years,
        market.rate,
        market.volatility,
        dividend_yield=market.dividend_yield,
        dilution=dilution,
        shares_outstanding=n,
        warrants=m,
    )
    method = market.warrant_method
    if method == "binomial":
        # American exercise on a tree (worth more than Black–Scholes only with dividends);
        # the dilution factor of the chosen convention is applied to the tree value
        factor = 1.0 if dilution == "none" else n / (n + m)
        g["value"] = factor * binomial_option(
            True,
            market.spot,
            strike,
            years,
            market.rate,
            market.volatility,
            dividend_yield=market.dividend_yield,
            steps=market.steps,
        )
    shares = f.warrant_shares
    return {
        "shares": shares,
        "exercise_price": format(f.exercise_price, "f"),
        "expiry": expiry.isoformat(),
        "years_to_expiry": years,
        "method": method,
        "dilution": dilution,
        "value_per_warrant": g["value"],
        "value": g["value"] * shares,
        "greeks_per_warrant": {k: v for k, v in g.items() if k != "value"},
    }


def valuation_section(ctx) -> dict[str, Any] | None:  # ctx: pipedeal.report.book.BookContext
    """Book section builder: the deal valued with its ``market.toml`` (None without one).

    The valuation date is the market file's ``as_of``, not the book's ``--as-of``: the spot and
    curves are observed on that day, and moving the date alone would value stale data.
    """
    market = load_market(ctx.deal_dir)
    if market is None:
        return None
    return value_deal(
        ctx.deal,
        ctx.figures,
        ctx.schedules,
        market,
        source=str(market_file(ctx.deal_dir)),
    )


def is_finite_tree(data: dict[str, Any]) -> bool:
    """True when every float in the result is finite (used by tests)."""

    def walk(x):
        if isinstance(x, float):
            return math.isfinite(x)
        if isinstance(x, dict):
            return all(walk(v) for v in x.values())
        if isinstance(x, list):
            return all(walk(v) for v in x)
        return True

    return walk(data)


__all__ = [
    "MarketFile",
    "dated_note",
    "load_market",
    "market_inputs",
    "shares_outstanding",
    "valuation_section",
    "value_deal",
    "warrant_valuation",
]
