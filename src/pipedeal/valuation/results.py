"""What ``pipedeal.value`` returns: frozen, typed results with ``.to_json()``.

``DealValuation`` holds one ``PurchaserValuation`` per purchaser (the note's ``NoteValuation``
and the warrant's ``WarrantValuation`` when there is something to value) and the market inputs
used. Values and Greeks are model outputs (float64, dollars); principal and prices are Decimal.
The JSON is documented in ``docs/valuation.md``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from pipedeal.jsonfmt import money_json
from pipedeal.market.inputs import MarketFile

SCHEMA_VERSION = 1
UNSTABLE_GREEK = 0.01  # a Greek moving by more than 1% at twice the resolution is flagged
GREEKS_UNITS = {
    "delta": "value per $1 of share price",
    "gamma": "delta per $1 of share price",
    "vega": "value per 1.00 (100 points) of volatility",
    "theta": "value per year (one-day bump × 365)",
    "rho": "value per 1.00 of rate",
    "credit_spread_sensitivity": "value per 1.00 of credit spread",
}


def _finite(greeks: Mapping[str, float]) -> tuple[dict[str, float | None], dict[str, str]]:
    """Greeks for JSON, and why any is missing: a Greek the model could not give (NaN or
    ±inf) is null and named in the second dict with the reason; JSON never carries NaN or
    Infinity."""
    out: dict[str, float | None] = {}
    undefined: dict[str, str] = {}
    for name, x in greeks.items():
        out[name] = x if math.isfinite(x) else None
        if out[name] is None:
            undefined[name] = f"the model gave {x}: no finite value on this date"
    return out, undefined


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
            "principal": money_json(self.principal),
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
    # with a Greeks check: how far each Greek moved at twice the resolution (relative)
    greeks_spread: Mapping[str, float] | None = None

    @property
    def unstable_greeks(self) -> tuple[str, ...]:
        """The Greeks that moved by more than ``UNSTABLE_GREEK`` between the two resolutions."""
        if self.greeks_spread is None:
            return ()
        return tuple(
            k for k, v in self.greeks_spread.items() if k != "value" and not v <= UNSTABLE_GREEK
        )

    def to_json(self) -> dict[str, Any]:
        per_100 = self.value / float(self.principal_outstanding) * 100.0
        greeks, undefined = _finite(self.greeks)
        out: dict[str, Any] = {
            "value": self.value,
            "value_per_100": per_100,
            "principal_outstanding": money_json(self.principal_outstanding),
            "conversion_price": _price(self.conversion_price),
            "conversion_shares": self.conversion_shares,
            "maturity": self.maturity.isoformat(),
            "accrued_interest": _d(self.accrued_interest),
            "greeks": greeks,
        }
        if undefined:
            out["greeks_undefined"] = undefined
        if self.call is not None:
            out["call"] = self.call.to_json()
        if self.pending_prepayment is not None:
            out["pending_prepayment"] = self.pending_prepayment.to_json()
        if self.greeks_spread is not None:
            out["greeks_check"] = {
                "relative_spread": _finite(self.greeks_spread)[0],
                "threshold": UNSTABLE_GREEK,
                "unstable": list(self.unstable_greeks),
            }
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
        greeks, undefined = _finite(self.greeks_per_warrant)
        out: dict[str, Any] = {
            "shares": self.shares,
            "exercise_price": _price(self.exercise_price),
            "expiry": self.expiry.isoformat(),
            "years_to_expiry": self.years_to_expiry,
            "method": self.method,
            "dilution": self.dilution,
            "value_per_warrant": self.value_per_warrant,
            "value": self.value,
            "greeks_per_warrant": greeks,
        }
        if undefined:
            out["greeks_undefined"] = undefined
        return out


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
            "principal": money_json(self.principal),
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
    engine: str = "lattice"  # or "pde" (``steps`` are then time steps; nodes 2 × steps)

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
            "engine": self.engine,
            "tree": self.tree,
            "steps": self.steps,
            "smoothing": m.smoothing,
            "richardson": m.richardson,
            "state": self.state_source,
            "inputs": {
                "source": self.source,
                "illustrative": m.illustrative,
                "spot": m.spot,
                "volatility": m.volatility,
                "rate": m.rate,
                "rate_curve": [p.model_dump() for p in m.rate_curve],
                "vol_curve": [p.model_dump() for p in m.vol_curve],
                "spread_curve": [p.model_dump() for p in m.spread_curve],
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
