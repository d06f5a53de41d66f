"""Value against the stock price, for the HTML book's valuation section.

The book's ``valuation`` section (``pipedeal.valuation.deal.value_deal``) values each note and
warrant at one share price, the ``spot`` of ``market.toml``. The charts need values across share
prices, so this module reprices the same contracts with the same market inputs over a grid of
share prices, under every named model:

* note value per model (``pipedeal.valuation.convertible.price``, ``CURVE_STEPS`` lattice steps,
  averaged over n and n + 1 steps to damp the odd/even oscillation);
* conversion value = conversion shares (principal / conversion price) × share price;
* bond floor = the remaining coupons and principal discounted at the risk-free curve plus the
  credit spread (no conversion, no call);
* warrant value per share under the market file's dilution convention (closed form).

Everything here is model output in float64, like the valuation section itself.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from decimal import Decimal
from typing import Any

from pipedeal.errors import UserError
from pipedeal.report.html.svg import nice_step

# Share prices: about CURVE_POINTS prices on a round step, from CURVE_LOW × the lower of the spot
# and the lowest conversion price to CURVE_HIGH × the higher of the spot and the highest one.
CURVE_POINTS = 21
CURVE_LOW = 0.25
CURVE_HIGH = 2.5
# Lattice steps for the curves (the single-point values in the tables use market.toml's steps).
CURVE_STEPS = 300
CURVE_MODELS = ("tf", "hazard", "hull", "ql")


def spot_grid(spot: float, conversion_prices: list[float]) -> list[float]:
    lo = CURVE_LOW * min([spot, *conversion_prices])
    hi = CURVE_HIGH * max([spot, *conversion_prices])
    step = nice_step(hi - lo, CURVE_POINTS - 1)
    start = max(step, math.floor(lo / step) * step)
    out = []
    x = start
    while x <= hi + step / 2:
        out.append(round(x, 10))
        x += step
    return out


def valuation_curves(ctx: Any, data: dict[str, Any]) -> tuple[dict[str, Any] | None, str]:
    """Curves for the charts, or (None, why) when they cannot be computed."""
    val = data.get("valuation")
    if val is None:
        return None, ""
    if ctx is None:
        return None, "the deal context was not given to the renderer"
    try:
        from pipedeal.valuation.blackscholes import warrant_value
        from pipedeal.valuation.convertible import MODELS, MarketInputs, price
        from pipedeal.valuation.dated import DatedDividend, dividends_for, to_spec
        from pipedeal.valuation.deal import dated_note
    except ImportError as exc:
        return None, f"the valuation engine is not importable ({exc})"
    try:
        market = ctx.loaded.market
        if market is None:
            return None, "the deal folder has no market.toml"
        day = dt.date.fromisoformat(val["as_of"])
        mkt = MarketInputs(
            spot=market.spot, vol=market.volatility, rate=market.rate,
            dividend_yield=market.dividend_yield, credit_spread=market.credit_spread,
            recovery=market.recovery, hazard=market.hazard, eta=market.eta,
            dividends=dividends_for(
                tuple(DatedDividend(d.date, d.amount) for d in market.dividends), day, day),
            rate_curve=tuple((p.years, p.zero_rate) for p in market.rate_curve),
        )
        # the notes and warrants as the valuation found them (remaining principal, adjusted
        # prices): its rows, not the terms at issue
        rows = {p.get("name"): p for p in val.get("purchasers") or []}
        live = [(name, r["note"]) for name, r in rows.items() if r.get("note")]
        with_warrant = [(name, r["warrant"]) for name, r in rows.items() if r.get("warrant")]
        if not live and not with_warrant:
            return None, "no note or warrant is outstanding on the valuation date"
        spots = spot_grid(market.spot, [float(n["conversion_price"]) for _, n in live]
                          + [float(w["exercise_price"]) for _, w in with_warrant])
        steps = min(CURVE_STEPS, market.steps)
        models = [m for m in CURVE_MODELS if m in MODELS]
        notes = []
        for name, row in live:
            note, _ = dated_note(
                ctx.loaded.notes[name], principal=Decimal(row["principal_outstanding"]),
                conversion_price=Decimal(row["conversion_price"]), after=day,
            )
            spec = to_spec(note, day)
            by_model = {
                m: [price(spec, dataclasses.replace(mkt, spot=s), model=m, steps=steps,
                          tree=market.tree, parity_average=True) for s in spots]
                for m in models
            }
            floor = 0.0
            for c in note.coupons:
                if c.pay_date > day:
                    floor += c.amount * _risky_discount(mkt, (c.pay_date - day).days / 365.0)
            floor += note.face * _risky_discount(mkt, (note.maturity - day).days / 365.0)
            notes.append({
                "name": name,
                "principal": float(row["principal_outstanding"]),
                "conversion_price": float(row["conversion_price"]),
                "conversion_shares": note.conversion_ratio,
                "models": by_model,
                "conversion_value": [note.conversion_ratio * s for s in spots],
                "bond_floor": [floor for _ in spots],
            })
        warrants = []
        inputs = val.get("inputs") or {}
        for name, w in with_warrant:
            years = float(w["years_to_expiry"])
            warrants.append({
                "name": name,
                "exercise_price": float(w["exercise_price"]),
                "values": [warrant_value(
                    s, float(w["exercise_price"]), years, market.rate, market.volatility,
                    dividend_yield=market.dividend_yield, dilution=market.dilution,
                    shares_outstanding=inputs.get("shares_outstanding"),
                    warrants=inputs.get("warrant_shares_in_deal")) for s in spots],
            })
        return {"spots": spots, "steps": steps, "models": models, "notes": notes,
                "warrants": warrants, "spot": market.spot,
                "dilution": market.dilution}, ""
    except (UserError, KeyError, TypeError, ValueError, AttributeError) as exc:
        return None, f"the curves could not be computed ({exc})"


def _risky_discount(mkt: Any, t: float) -> float:
    return mkt.discount(t) * math.exp(-mkt.credit_spread * t)
