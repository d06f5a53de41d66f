"""A deal's notes and warrants valued as they stand: the loaded deal (``pipedeal.instruments``),
the ledger state on the valuation date, and the folder's ``market.toml``.

The state says what is left to value: a converted, prepaid or repaid note has nothing
outstanding; a partly converted note is valued on its remaining principal; after a split the
conversion and exercise prices and the warrant shares are the adjusted ones; a prepayment that has
been noticed and not settled is valued as a note redeemed on its settlement date (the holder may
still convert until then), so an open election window is priced as open. Without a ledger the
state is the terms' own (``pipedeal.ledger.terms_state``: issued at closing, interest paid on
schedule). Coupon dates and amounts come from the note instrument's schedule, the first call date
and the election window from its ``prepayment_from`` and ``election_window``. Money stays Decimal;
the models work in float64.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from pipedeal.errors import UserError
from pipedeal.instruments.deal import LoadedDeal
from pipedeal.instruments.note import NoteInstrument
from pipedeal.instruments.warrant import WarrantInstrument
from pipedeal.market.inputs import MARKET_FILE, MarketFile, load_market, market_file
from pipedeal.schedule.interest import note_schedule
from pipedeal.terms.models import Deal
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

SCHEMA_VERSION = 1
GREEKS_UNITS = {
    "delta": "value per $1 of share price",
    "gamma": "delta per $1 of share price",
    "vega": "value per 1.00 (100 points) of volatility",
    "theta": "value per year (one-day bump × 365)",
    "rho": "value per 1.00 of rate",
    "credit_spread_sensitivity": "value per 1.00 of credit spread",
}


def _d(x: Decimal) -> str:
    return format(x, "f")


def _price(x: Decimal) -> str:
    """A price without the ledger's trailing zeros, at least to the cent ("1.53", "0.765")."""
    x = x.normalize()
    exponent = x.as_tuple().exponent
    short = isinstance(exponent, int) and exponent > -2
    return format(x.quantize(Decimal("0.01")) if short else x, "f")


# --- results -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CallAssumption:
    """How the issuer's prepayment right was placed on the lattice."""

    start: dt.date
    price: float
    plus_accrued: bool
    election_window_calendar_days: int
    election_window_rule: str

    def to_json(self) -> dict[str, Any]:
        return {
            "from": self.start.isoformat(),
            "price": self.price,
            "plus_accrued": self.plus_accrued,
            "election_window_calendar_days": self.election_window_calendar_days,
            "election_window_rule": self.election_window_rule,
        }


@dataclass(frozen=True)
class PendingPrepayment:
    """A noticed prepayment not yet settled: ``principal`` is redeemed on ``settles``."""

    notice_date: dt.date
    principal: Decimal
    window_closes: dt.date
    window_status: str
    settles: dt.date

    def to_json(self) -> dict[str, Any]:
        return {
            "notice_date": self.notice_date.isoformat(),
            "principal": _d(self.principal),
            "election_window_closes": self.window_closes.isoformat(),
            "election_window_status": self.window_status,
            "settles": self.settles.isoformat(),
        }


@dataclass(frozen=True)
class NoteValuation:
    value: float
    principal_outstanding: Decimal
    conversion_price: Decimal
    conversion_shares: float
    maturity: dt.date
    accrued_interest: Decimal  # accrued and unpaid at the end of the valuation date (cents)
    greeks: Mapping[str, float]
    call: CallAssumption | None = None
    pending_prepayment: PendingPrepayment | None = None

    def to_json(self) -> dict[str, Any]:
        per_100 = self.value / float(self.principal_outstanding) * 100.0
        out: dict[str, Any] = {
            "value": self.value,
            "value_per_100": per_100,
            "principal_outstanding": _d(self.principal_outstanding),
            "conversion_price": _price(self.conversion_price),
            "conversion_shares": self.conversion_shares,
            "maturity": self.maturity.isoformat(),
            "accrued_interest": _d(self.accrued_interest),
            "greeks": dict(self.greeks),
        }
        if self.call is not None:
            out["call"] = self.call.to_json()
        if self.pending_prepayment is not None:
            out["pending_prepayment"] = self.pending_prepayment.to_json()
        return out


@dataclass(frozen=True)
class WarrantValuation:
    shares: int
    exercise_price: Decimal
    expiry: dt.date
    years_to_expiry: float
    method: str
    dilution: str
    value_per_warrant: float
    greeks_per_warrant: Mapping[str, float]

    @property
    def value(self) -> float:
        return self.value_per_warrant * self.shares

    def to_json(self) -> dict[str, Any]:
        return {
            "shares": self.shares,
            "exercise_price": _price(self.exercise_price),
            "expiry": self.expiry.isoformat(),
            "years_to_expiry": self.years_to_expiry,
            "method": self.method,
            "dilution": self.dilution,
            "value_per_warrant": self.value_per_warrant,
            "value": self.value,
            "greeks_per_warrant": dict(self.greeks_per_warrant),
        }


@dataclass(frozen=True)
class PurchaserValuation:
    name: str
    issue_date: dt.date
    principal: Decimal  # face at issue
    status: str  # the note's: not yet issued | outstanding | matured | converted | prepaid | ...
    note: NoteValuation | None = None
    warrant: WarrantValuation | None = None
    warrant_status: str | None = None  # expired | exercised, when there is nothing to value
    shares_issued: int = 0  # on conversion, to the valuation date (from the ledger state)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "issue_date": self.issue_date.isoformat(),
            "principal": _d(self.principal),
            "status": self.status,
            "conversion_shares_issued": self.shares_issued,
        }
        if self.note is not None:
            out["note"] = self.note.to_json()
        if self.warrant is not None:
            out["warrant"] = self.warrant.to_json()
        if self.warrant_status is not None:
            out["warrant_status"] = self.warrant_status
        return out


@dataclass(frozen=True)
class DealValuation:
    """Every purchaser's note and warrant valued on ``as_of``; ``.to_json()`` is what
    ``pipedeal value --format json`` prints."""

    as_of: dt.date
    model: str
    tree: str
    steps: int
    market: MarketFile
    source: str | None
    state_source: str  # "ledger" or "terms"
    hazard: float
    shares_outstanding: int | None
    shares_outstanding_source: str
    warrant_shares_in_deal: int
    purchasers: tuple[PurchaserValuation, ...] = field(default_factory=tuple)

    @property
    def note_value(self) -> float:
        return sum(p.note.value for p in self.purchasers if p.note is not None)

    @property
    def warrant_value(self) -> float:
        return sum(p.warrant.value for p in self.purchasers if p.warrant is not None)

    @property
    def principal_outstanding(self) -> Decimal:
        return sum(
            (p.note.principal_outstanding for p in self.purchasers if p.note is not None),
            Decimal(0),
        )

    def to_json(self) -> dict[str, Any]:
        m = self.market
        return {
            "schema_version": SCHEMA_VERSION,
            "as_of": self.as_of.isoformat(),
            "model": self.model,
            "tree": self.tree,
            "steps": self.steps,
            "state": self.state_source,
            "inputs": {
                "source": self.source,
                "illustrative": m.illustrative,
                "spot": m.spot,
                "volatility": m.volatility,
                "rate": m.rate,
                "rate_curve": [p.model_dump() for p in m.rate_curve],
                "dividend_yield": m.dividend_yield,
                "credit_spread": m.credit_spread,
                "recovery": m.recovery,
                "hazard": self.hazard,
                "eta": m.eta,
                "dividends": [
                    {"date": d.date.isoformat(), "amount": d.amount} for d in m.dividends
                ],
                "warrant_method": m.warrant_method,
                "dilution": m.dilution,
                "shares_outstanding": self.shares_outstanding,
                "shares_outstanding_source": self.shares_outstanding_source,
                "warrant_shares_in_deal": self.warrant_shares_in_deal,
            },
            "greeks_units": GREEKS_UNITS,
            "purchasers": [p.to_json() for p in self.purchasers],
            "totals": {
                "note_value": self.note_value,
                "warrant_value": self.warrant_value,
                "principal": float(self.principal_outstanding),
            },
        }


# --- the note as dates and amounts --------------------------------------------------------------


def _coupons(
    inst: NoteInstrument, principal: Decimal, after: dt.date, until: dt.date | None = None
) -> tuple[DatedCoupon, ...]:
    """Coupons on ``principal`` paid after ``after`` (the contractual schedule on that principal,
    in cents); with ``until``, the note is redeemed that day: the period running then is cut
    short and its interest paid with the redemption."""
    sched = inst.schedule if principal == inst.principal else note_schedule(
        inst.issue_date, principal, inst.terms, inst.calendar, purchaser=inst.name
    )
    out = []
    for p in sched.periods:
        if p.pay_date <= after:
            continue
        if until is not None and p.period_start >= until:
            break
        if until is not None and p.period_end >= until:
            stub = inst.accrued_exact(((inst.issue_date, principal),), until) - inst.accrued_exact(
                ((inst.issue_date, principal),), p.period_start
            )
            out.append(DatedCoupon(until, float(stub), p.period_start, until))
            break
        out.append(DatedCoupon(p.pay_date, float(p.amount), p.period_start,
                               p.period_end + dt.timedelta(1)))
    return tuple(out)


def dated_note(
    inst: NoteInstrument,
    *,
    principal: Decimal | None = None,
    conversion_price: Decimal | None = None,
    after: dt.date | None = None,
    callable_: bool = True,
) -> tuple[DatedNote, CallAssumption | None]:
    """The note as dates and amounts for the lattice, on ``principal`` (default: the face) at
    ``conversion_price`` (default: the price fixed at issue), with coupons paid after ``after``;
    and how the issuer's prepayment right was placed (None when it cannot be used)."""
    principal = inst.principal if principal is None else principal
    price = inst.base_conversion_price if conversion_price is None else conversion_price
    pre = inst.terms.prepayment
    maturity = inst.maturity.pay_date
    calls: tuple[DatedCall, ...] = ()
    call: CallAssumption | None = None
    window_days = 0
    if callable_ and pre.allowed and pre.max_notices > 0:
        start = inst.prepayment_from
        redemption = float(principal) * (1.0 + float(pre.premium))
        calls = (DatedCall(start, maturity, redemption, clean=pre.pays_accrued_interest),)
        # the lattice takes one window length: the window a notice on the first call date opens
        window_days = inst.election_window(start).calendar_days
        call = CallAssumption(
            start, redemption, pre.pays_accrued_interest, window_days,
            f"{pre.holder_election_days} {pre.election_day_type.value} days, counted from the "
            "first call date",
        )
    note = DatedNote(
        maturity=maturity,
        conversion_ratio=float(principal) / float(price),
        face=float(principal),
        coupons=_coupons(inst, principal, after or inst.issue_date - dt.timedelta(1)),
        calls=calls,
        conversion_start=inst.issue_date,
        accrued_convertible=inst.terms.conversion.unpaid_interest_convertible,
        notice_days=window_days,
    )
    return note, call


def _pending_note(
    inst: NoteInstrument, pending: PendingPrepayment, price: Decimal, day: dt.date
) -> DatedNote:
    """The noticed part of a note: redeemed on the settlement day (plus the premium, plus
    accrued interest when the terms pay it), convertible until then."""
    pre = inst.terms.prepayment
    settle = max(pending.settles, day + dt.timedelta(1))
    principal = pending.principal
    until = settle if pre.pays_accrued_interest else None
    return DatedNote(
        maturity=settle,
        conversion_ratio=float(principal) / float(price),
        face=float(principal),
        redemption=float(principal) * (1.0 + float(pre.premium)),
        coupons=_coupons(inst, principal, day, until),
        conversion_start=inst.issue_date,
        accrued_convertible=inst.terms.conversion.unpaid_interest_convertible,
    )


# --- valuation ---------------------------------------------------------------------------------


def value_deal(
    loaded: LoadedDeal,
    state: Any,
    market: MarketFile,
    *,
    as_of: dt.date | None = None,
    model: str | None = None,
    steps: int | None = None,
    source: str | None = None,
    state_source: str = "terms",
) -> DealValuation:
    """Per-purchaser note and warrant values and Greeks on ``as_of`` (default: the market
    file's date), for the instruments as ``state`` (a ``LedgerState`` on that date) has them."""
    day = as_of or market.as_of
    model = model or market.model
    if model not in MODELS:
        raise UserError(f"--model: unknown model {model!r} (use {', '.join(MODELS)})")
    steps = steps or market.steps
    if steps < 10 or steps > 20000:
        raise UserError(f"--steps: must be between 10 and 20000, got {steps}")
    if market.tree is not None and market.tree not in TREES:
        raise UserError(f"market.toml: tree {market.tree!r} unknown")
    if state.as_of != day:
        raise ValueError(f"state is as of {state.as_of}, the valuation date is {day}")
    mkt = market_inputs(market, day)
    n_shares, n_source = shares_outstanding(loaded.terms, market, day)
    # the deal's warrant shares that can still dilute: outstanding ones, and those of closings
    # still to come (their agreements are signed)
    m_warrants = sum(
        (ws.shares_outstanding if not ws.expired else 0) if ws.issued
        else loaded.warrants[name].shares
        for name, ws in state.warrants.items()
    )
    rows = [
        _value_purchaser(loaded, state, name, day, market, mkt, model, steps, n_shares,
                         m_warrants)
        for name in loaded.names
    ]
    return DealValuation(
        as_of=day,
        model=model,
        tree=market.tree or ("hull" if model == "hull" else "crr"),
        steps=steps,
        market=market,
        source=source,
        state_source=state_source,
        hazard=mkt.intensity,
        shares_outstanding=n_shares,
        shares_outstanding_source=n_source,
        warrant_shares_in_deal=m_warrants,
        purchasers=tuple(rows),
    )


def _value_purchaser(
    loaded: LoadedDeal, state: Any, name: str, day: dt.date, market: MarketFile,
    mkt: MarketInputs, model: str, steps: int, n_shares: int | None, m_warrants: int,
) -> PurchaserValuation:
    inst = loaded.notes[name]
    ns = state.notes[name]
    if day < inst.issue_date or not ns.issued:
        return PurchaserValuation(name, inst.issue_date, inst.principal,
                                  "not yet issued on the valuation date")
    note_value: NoteValuation | None = None
    status = ns.status
    outstanding = ns.outstanding_principal
    if outstanding > 0 and inst.maturity.pay_date <= day:
        status = "matured"
    elif outstanding > 0:
        note_value = _value_note(inst, ns, day, mkt, model, steps, market.tree)
    warrant, warrant_status = None, None
    w_inst, ws = loaded.warrants.get(name), state.warrants.get(name)
    if w_inst is not None and ws is not None:
        if ws.expired or w_inst.expired_on(day):
            warrant_status = "expired"
        elif ws.shares_outstanding == 0:
            warrant_status = "exercised"
        else:
            warrant = warrant_valuation(
                w_inst, ws.shares_outstanding, ws.exercise_price, day, market, n_shares,
                m_warrants,
            )
    return PurchaserValuation(
        name, inst.issue_date, inst.principal, status, note_value, warrant, warrant_status,
        ns.shares_issued,
    )


def _value_note(
    inst: NoteInstrument, ns: Any, day: dt.date, mkt: MarketInputs, model: str, steps: int,
    tree: str | None,
) -> NoteValuation:
    outstanding: Decimal = ns.outstanding_principal
    price: Decimal = ns.conversion_price
    pre = inst.terms.prepayment
    w = ns.election_window
    pending = None
    if w is not None and w.status != "settled" and w.to_settle > 0:
        pending = PendingPrepayment(w.notice_date, min(w.to_settle, outstanding), w.closes,
                                    w.status, w.settle_from)
    parts: list[DatedNote] = []
    rest = outstanding - (pending.principal if pending else Decimal(0))
    call = None
    if rest > 0:
        note, call = dated_note(
            inst, principal=rest, conversion_price=price, after=day,
            callable_=ns.prepayment_notices < pre.max_notices,
        )
        parts.append(note)
    if pending is not None:
        parts.append(_pending_note(inst, pending, price, day))
    total: dict[str, float] = {}
    for part in parts:
        g = greeks(to_spec(part, day), mkt, model=model, steps=steps, tree=tree)
        for k, v in g.items():
            total[k] = total.get(k, 0.0) + v
    return NoteValuation(
        value=total["value"],
        principal_outstanding=outstanding,
        conversion_price=price,
        conversion_shares=float(outstanding) / float(price),
        maturity=inst.maturity.pay_date,
        accrued_interest=ns.accrued_interest,
        greeks={k: v for k, v in total.items() if k != "value"},
        call=call,
        pending_prepayment=pending,
    )


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
    w: WarrantInstrument, shares: int, exercise_price: Decimal, day: dt.date,
    market: MarketFile, n: int | None, m: int,
) -> WarrantValuation:
    """One purchaser's warrant on ``day`` (``shares`` outstanding at ``exercise_price``, both as
    adjusted): per-warrant value and Greeks; ``n`` shares outstanding and ``m`` warrant shares
    of the whole deal for dilution."""
    expiry = w.expiry_date
    years = (expiry - day).days / 365.0
    strike = float(exercise_price)
    dilution = market.dilution
    if dilution != "none" and n is None:
        raise UserError(
            f"market.toml: dilution {dilution!r} needs shares_outstanding (none in market.toml "
            "and no issuer.shares_outstanding on or before the valuation date)"
        )
    if dilution not in DILUTION_CONVENTIONS:
        raise UserError(f"market.toml: dilution {dilution!r} unknown")
    g = warrant_greeks(
        market.spot, strike, years, market.rate, market.volatility,
        dividend_yield=market.dividend_yield, dilution=dilution, shares_outstanding=n,
        warrants=m,
    )
    if market.warrant_method == "binomial":
        # American exercise on a tree (worth more than Black–Scholes only with dividends);
        # the dilution factor of the chosen convention is applied to the tree value
        factor = 1.0 if dilution == "none" or n is None else n / (n + m)
        g["value"] = factor * binomial_option(
            True, market.spot, strike, years, market.rate, market.volatility,
            dividend_yield=market.dividend_yield, steps=market.steps,
        )
    return WarrantValuation(
        shares=shares,
        exercise_price=exercise_price,
        expiry=expiry,
        years_to_expiry=years,
        method=market.warrant_method,
        dilution=dilution,
        value_per_warrant=g["value"],
        greeks_per_warrant={k: v for k, v in g.items() if k != "value"},
    )


def is_finite_tree(data: Any) -> bool:
    """True when every float in the result is finite (used by tests)."""
    if isinstance(data, float):
        return math.isfinite(data)
    if isinstance(data, dict):
        return all(is_finite_tree(v) for v in data.values())
    if isinstance(data, list):
        return all(is_finite_tree(v) for v in data)
    return True


__all__ = [
    "MARKET_FILE",
    "DealValuation",
    "MarketFile",
    "NoteValuation",
    "PurchaserValuation",
    "WarrantValuation",
    "dated_note",
    "is_finite_tree",
    "load_market",
    "market_file",
    "market_inputs",
    "shares_outstanding",
    "value_deal",
    "warrant_valuation",
]

