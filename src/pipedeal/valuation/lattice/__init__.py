"""Convertible notes on binomial lattices: the contract as times and cash amounts, the named
models, and the compiled backward induction (``lattice_kernel``, which runs ``ql_rollback`` or,
for ``tf``/``hazard``/``hull``, ``tfhz_rollback``; both one vectorized pass over the nodes per
step wherever the step allows).

Modules: ``spec`` (the contract and market in model time, ``validate``), ``grid`` (the
per-step arrays, built in one place: ``fill_grid``), ``kernel`` (``KernelArgs``, the named kernel
arguments, and ``lattice_kernel``), ``rollback_ql`` (QuantLib's engine), ``rollback_tfhz`` and
``tfhz_passes`` (the ``tf``/``hazard`` rollbacks), ``api`` (``setup``, ``price``, ``greeks``).
``pipedeal.valuation.convertible`` re-exports the public names.

Models (``--model``):

``tf``
    Tsiveriotis–Fernandes (1998) as in Ayache–Forsyth–Vetzal (AFV) 2003: the note is split into a
    cash-only part U, discounted at r + credit spread, and the rest V − U (equity-like),
    discounted at r. Conversion sets U = 0; a put or a call paid in cash sets U to the cash paid.
``hazard``
    AFV's hedge model: default arrives with intensity λ (``hazard``, or credit spread /
    (1 − recovery)); the stock drifts at r − q + ηλ and on default falls by the fraction η
    (``eta`` 1: to zero, 0: unaffected); the holder then gets max(κS(1 − η), R·face).
``hull``
    Hull's defaultable-equity tree (OFOD, "Convertible Bonds"): the ``hazard`` model with η = 1 on
    Hull's tree u = exp(sqrt((σ² − λ)Δt)).
``ql``
    QuantLib's ``BinomialConvertibleEngine`` reproduced step for step: one value per node,
    discounted at the blend r + (1 − p)·spread of the backward-induced conversion probability p,
    with simple-interest step discounting 1/(1 + rate·Δt), QuantLib's order of call, put, coupon
    and conversion at a node, and QuantLib's mapping of dates to the nearest grid time. No
    election window (QuantLib has none) and no accrued interest on conversion.

Contract features (all models but ``ql`` as noted): coupons on their payment dates with accrued
interest between them; American conversion in a window of times (accrued interest convertible
when the terms say so); issuer calls in windows at a clean price plus accrued, optionally with a
soft-call trigger; the holder's election window after a call (``notice_years``): the called note
is worth the better of cash and conversion at the END of the window, valued as a European option
over the window's steps (not as an instantaneous choice); puts; redemption at maturity; discrete
cash dividends (escrowed: the tree carries S minus the present value of dividends to come and
conversion sees the tree price plus that value, as QuantLib does); per-step risk-free rates,
credit spreads and volatilities (term structures, ``pipedeal.market.curves``; a volatility that
changes with time takes ``trees.build_time_dependent_tree``).

Acceleration (``price``/``greeks`` ``smoothing=``, ``richardson=``): smoothing values the last
step and the holder's election window in closed form and interpolates the first call date
between the steps around it; Richardson returns 2·V(N) − V(N/2). ``docs/valuation.md`` has
what each buys, measured.
"""

from __future__ import annotations

from pipedeal.valuation.lattice.api import (
    BUMPS,
    DEFAULT_TREE,
    MODELS,
    TF_CALL_RULES,
    LatticeSetup,
    greeks,
    price,
    setup,
)
from pipedeal.valuation.lattice.grid import (
    GridContract,
    GridInputs,
    closest_index,
    closest_indices,
    contract_arrays,
    grid_inputs,
)
from pipedeal.valuation.lattice.kernel import KernelArgs, lattice_kernel
from pipedeal.valuation.lattice.rollback_ql import QL_WORK_ROWS, work_width
from pipedeal.valuation.lattice.rollback_tfhz import WORK_ROWS
from pipedeal.valuation.lattice.spec import (
    Call,
    ConvertibleSpec,
    Coupon,
    Dividend,
    MarketInputs,
    Put,
    validate,
)

__all__ = [
    "BUMPS",
    "DEFAULT_TREE",
    "MODELS",
    "QL_WORK_ROWS",
    "TF_CALL_RULES",
    "WORK_ROWS",
    "Call",
    "ConvertibleSpec",
    "Coupon",
    "Dividend",
    "GridContract",
    "GridInputs",
    "KernelArgs",
    "LatticeSetup",
    "MarketInputs",
    "Put",
    "closest_index",
    "closest_indices",
    "contract_arrays",
    "greeks",
    "grid_inputs",
    "lattice_kernel",
    "price",
    "setup",
    "validate",
    "work_width",
]
