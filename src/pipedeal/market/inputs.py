"""Valuation inputs: the deal folder's ``market.toml`` (spot, volatility, rates, credit, model).

Documented in ``docs/valuation.md``. Read once with the deal (``pipedeal.instruments``); the
valuation engines take it as data.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Literal

from pydantic import ConfigDict, Field, field_validator

from pipedeal.errors import UserError
from pipedeal.market.curves import check_curve
from pipedeal.terms.loader import read_toml, validate
from pipedeal.terms.models import MAX_SHARES, Frozen

MARKET_FILE = "market.toml"

MIN_SPOT = 1e-6
"""Smallest share price accepted (a millionth of a dollar); below it the models underflow."""
MAX_PRICE = 1e9
"""Largest share price or cash amount per share accepted."""
MIN_STEPS = 10
MAX_STEPS = 20_000
"""Lattice steps a user may ask for (``market.toml`` ``steps``, ``value --steps``,
``value-batch --steps``): below 10 the call start and the coupons of a one-year note collapse
onto the first steps; above 20,000 a price takes seconds. ``check_steps`` is the one check."""


def check_steps(steps: int, where: str = "--steps") -> int:
    """``steps`` if it is within ``MIN_STEPS``..``MAX_STEPS``, else a ``UserError`` naming
    ``where``."""
    if not MIN_STEPS <= steps <= MAX_STEPS:
        raise UserError(f"{where}: must be between {MIN_STEPS} and {MAX_STEPS:,}, got {steps}")
    return steps


class _Frozen(Frozen):
    """Frozen, no unknown keys, no infinities or NaN; texts and dates bounded as in the terms."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


class DividendInput(_Frozen):
    date: dt.date
    amount: float = Field(gt=0, le=MAX_PRICE, description="cash per share")


class CurvePoint(_Frozen):
    years: float = Field(gt=0, le=100)
    zero_rate: float = Field(ge=-0.1, le=1)


class VolPoint(_Frozen):
    """Black (implied) volatility to ``years`` (``pipedeal.market.curves``)."""

    years: float = Field(gt=0, le=100)
    volatility: float = Field(gt=0, le=5)


class SpreadPoint(_Frozen):
    """Zero credit spread to ``years``, flat-forward between pillars."""

    years: float = Field(gt=0, le=100)
    spread: float = Field(ge=0, le=5)


class MarketFile(_Frozen):
    """The valuation inputs of ``market.toml``."""

    as_of: dt.date
    spot: float = Field(ge=MIN_SPOT, le=MAX_PRICE, description="share price on as_of")
    volatility: float = Field(gt=0, le=5)
    rate: float = Field(ge=-0.1, le=1, description="risk-free, continuous, flat")
    dividend_yield: float = Field(0.0, ge=0, le=1)
    credit_spread: float = Field(0.0, ge=0, le=5)
    recovery: float = Field(0.0, ge=0, lt=1)
    hazard: float | None = Field(None, ge=0, le=5, description="default credit_spread/(1-R)")
    eta: float = Field(1.0, ge=0, le=1, description="fraction the stock loses on default")
    model: Literal["tf", "hazard", "hull", "ql"] = "hazard"
    tree: Literal["crr", "jr", "lr", "hull"] | None = None
    steps: int = Field(1000, ge=MIN_STEPS, le=MAX_STEPS)
    smoothing: bool = Field(False, description="the last step and election window in closed form")
    richardson: bool = Field(False, description="2·V(steps) − V(steps/2)")
    engine: Literal["lattice", "pde"] = "lattice"  # pde: ``steps`` are time steps
    warrant_method: Literal["black-scholes", "binomial"] = "black-scholes"
    dilution: Literal["none", "hull", "galai-schneller"] = "hull"
    shares_outstanding: int | None = Field(None, gt=0, le=MAX_SHARES)
    illustrative: bool = Field(True, description="say so when the inputs are not market data")
    source: str | None = None
    dividends: tuple[DividendInput, ...] = ()
    rate_curve: tuple[CurvePoint, ...] = ()
    vol_curve: tuple[VolPoint, ...] = ()
    spread_curve: tuple[SpreadPoint, ...] = ()

    @field_validator("vol_curve")
    @classmethod
    def _vol_curve(cls, points: tuple[VolPoint, ...]) -> tuple[VolPoint, ...]:
        """Tenors increasing, total variance never falling (no negative forward variance)."""
        _check(tuple((p.years, p.volatility) for p in points), "vol_curve", True)
        return points

    @field_validator("spread_curve")
    @classmethod
    def _spread_curve(cls, points: tuple[SpreadPoint, ...]) -> tuple[SpreadPoint, ...]:
        _check(tuple((p.years, p.spread) for p in points), "spread_curve", False)
        return points


def _check(points: tuple[tuple[float, float], ...], name: str, variance: bool) -> None:
    try:
        check_curve(points, name, variance=variance)
    except UserError as exc:
        raise ValueError(str(exc)) from None  # pydantic names the file, line and field


def market_file(deal_dir: Path | str) -> Path:
    return Path(deal_dir) / MARKET_FILE


def load_market(deal_dir: Path | str) -> MarketFile | None:
    """The folder's ``market.toml``, or None when there is none."""
    path = market_file(deal_dir)
    if not path.is_file():
        return None
    return validate(MarketFile, read_toml(path), path)
