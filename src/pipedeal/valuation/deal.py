"""A deal's notes and warrants valued as they stand: the loaded deal (``pipedeal.instruments``),
the ledger state on the valuation date, and the folder's ``market.toml``.

The state says what is left to value: a converted, prepaid or repaid note has nothing
outstanding; a partly converted note is valued on its remaining principal; after a split the
conversion and exercise prices and the warrant shares are the adjusted ones; a prepayment that has
been noticed and not settled is valued as a note redeemed on its settlement date (the holder may
still convert until then), so an open election window is priced as open. Without a ledger the
state is the terms' own (``pipedeal.ledger.assumed.terms_state``: issued at closing, interest
paid on schedule). Coupon dates and amounts come from the note instrument's schedule, the first
call date and the election window from its ``prepayment_from`` and ``election_window``. Money
stays Decimal; the models work in float64.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from typing import Any

from pipedeal.errors import UserError
from pipedeal.instruments.deal import LoadedDeal
from pipedeal.instruments.note import NoteInstrument
from pipedeal.instruments.warrant import WarrantInstrument
from pipedeal.market.inputs import (
    MARKET_FILE,
    MarketFile,
    check_steps,
    load_market,
    market_file,
)
from pipedeal.schedule.interest import note_schedule
from pipedeal.terms.models import Deal
from pipedeal.valuation.blackscholes import DILUTION_CONVENTIONS, warrant_greeks
from pipedeal.valuation.convertible import MODELS, ConvertibleSpec, MarketInputs, greeks
from pipedeal.valuation.dated import (
    DatedCall,
    DatedCoupon,
    DatedDividend,
    DatedNote,
    dividends_for,
    to_spec,
)
from pipedeal.valuation.pde import PDE_MODELS, relative_spread
from pipedeal.valuation.pde import greeks as pde_greeks
from pipedeal.valuation.results import (
    CallAssumption,
    DealValuation,
    NoteValuation,
    PendingPrepayment,
    PurchaserValuation,
    WarrantValuation,
)
from pipedeal.valuation.trees import TREES, binomial_option

ENGINES = ("lattice", "pde")

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
    engine: str | None = None,
    greeks_check: bool = False,
) -> DealValuation:
    """Per-purchaser note and warrant values and Greeks on ``as_of`` (default: the market
    file's date), for the instruments as ``state`` (a ``LedgerState`` on that date) has them.
    ``engine``: ``lattice`` or ``pde`` (default: the market file's, else ``lattice``);
    ``greeks_check``: also each note's Greeks at twice the resolution, and how far they moved."""
    day = as_of or market.as_of
    model = model or market.model
    engine = engine or market.engine
    if engine not in ENGINES:
        raise UserError(f"--engine: unknown engine {engine!r} (use {', '.join(ENGINES)})")
    if model not in MODELS:
        raise UserError(f"--model: unknown model {model!r} (use {', '.join(MODELS)})")
    if engine == "pde" and model not in PDE_MODELS:
        raise UserError(f"--model: the pde engine has {', '.join(PDE_MODELS)}, not {model!r}")
    steps = check_steps(steps or market.steps)
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
                         m_warrants, engine, greeks_check)
        for name in loaded.names
    ]
    return DealValuation(
        as_of=day,
        model=model,
        engine=engine,
        tree=(market.tree or ("hull" if model == "hull" else "crr")) if engine == "lattice" else "",
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
    engine: str = "lattice", check: bool = False,
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
        note_value = _value_note(inst, ns, day, mkt, model, steps, market.tree, engine, check,
                                 accel=(market.smoothing, market.richardson))
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
    tree: str | None, engine: str = "lattice", check: bool = False,
    accel: tuple[bool, bool] = (False, False),
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
    specs = [to_spec(part, day) for part in parts]
    total = _summed_greeks(specs, mkt, model, steps, tree, engine, accel)
    spread = None
    if check:
        fine = _summed_greeks(specs, mkt, model, 2 * steps, tree, engine, accel)
        spread = {k: relative_spread(total[k], fine[k]) for k in total}
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
        greeks_spread=spread,
    )


def _summed_greeks(
    specs: list[ConvertibleSpec], mkt: MarketInputs, model: str, steps: int, tree: str | None,
    engine: str, accel: tuple[bool, bool] = (False, False),
) -> dict[str, float]:
    """Value and Greeks of the note's parts, summed; ``steps``: the lattice's steps, or the
    PDE's time steps (twice as many space nodes); ``accel``: the lattice's (smoothing,
    richardson) (``market.toml``; smoothing is not applied in ``ql`` mode)."""
    total: dict[str, float] = {}
    for spec in specs:
        if engine == "pde":
            g = pde_greeks(spec, mkt, model=model, steps=steps)
        else:
            g = greeks(spec, mkt, model=model, steps=steps, tree=tree,
                       smoothing=accel[0] and model != "ql", richardson=accel[1])
        for k, v in g.items():
            total[k] = total.get(k, 0.0) + v
    return total


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
        vol_curve=tuple((p.years, p.volatility) for p in market.vol_curve),
        spread_curve=tuple((p.years, p.spread) for p in market.spread_curve),
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

