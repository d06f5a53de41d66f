"""Convertible notes by finite differences (PDE): the ``tf`` and ``hazard`` models (and ``hull``,
the hazard model with η = 1 on the diffusion variance σ² − λ) on the lattice's contract
(``lattice.spec``, ``lattice.grid.GridContract``).

Crank–Nicolson in log spot with Rannacher start-up (graded implicit steps below every date
where the value or a bound on it jumps); a non-uniform space grid (sinh stretching around the
spot and the conversion, call, trigger and put levels; the spot and the triggers on nodes);
every contract date a time level; conversion and call windows imposed implicitly (an active
set), a date's put or call explicitly, in the lattice's order; the holder's election window
after a call priced in closed form at each notice level, O(nodes) per level.

Modules: ``mesh`` (space grid, time levels), ``levels`` (the contract per time level),
``solver`` (the compiled time stepping), ``api`` (``setup``, ``price``, ``greeks``,
``greeks_check``), ``batch`` (many notes at once, for ``value-batch --engine pde``).
"""

from __future__ import annotations

from pipedeal.valuation.pde.api import (
    DEFAULT_STEPS,
    GREEK_NAMES,
    PDE_MODELS,
    UNSTABLE,
    PdeSetup,
    default_nodes,
    greeks,
    greeks_check,
    make_mesh,
    price,
    relative_spread,
    setup,
)
from pipedeal.valuation.pde.mesh import Mesh, check_resolution
from pipedeal.valuation.pde.solver import PdeArgs, solve

__all__ = [
    "DEFAULT_STEPS",
    "GREEK_NAMES",
    "PDE_MODELS",
    "UNSTABLE",
    "Mesh",
    "PdeArgs",
    "PdeSetup",
    "check_resolution",
    "default_nodes",
    "greeks",
    "greeks_check",
    "make_mesh",
    "price",
    "relative_spread",
    "setup",
    "solve",
]
