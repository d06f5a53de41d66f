"""The PDE's mesh: the space grid in log spot (sinh-stretched around the points where the value
bends, with the spot on a node) and the time levels (every contract date a level, uniform steps
between them, Rannacher's two implicit half-steps after each date where the value jumps or bends).

The mesh is built once per note from the base market and kept for every bump (vega, rho, credit
sensitivity), so that a Greek is a difference of two solutions on the same nodes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from pipedeal.errors import UserError

MIN_NODES = 20
MIN_STEPS = 10
MAX_NODES = 20000
MAX_STEPS = 20000
# half-width of the space grid, in standard deviations of log spot over the note's life
WIDTH_SD = 5.0
# sinh stretching: density 1 + STRENGTH × Σ 1/sqrt(1 + ((x − b)/α)²) around each point b, with
# α = ALPHA_SD standard deviations of log spot over one year (at least ALPHA_MIN)
STRENGTH = 8.0
ALPHA_SD = 0.25
ALPHA_MIN = 0.02
TIME_TOL = 1e-10  # dates closer than this (years, ~3 ms) are the same level


@dataclass(frozen=True)
class Mesh:
    """Nodes ``x`` (log of the escrowed spot, increasing) with the spot at ``x[spot_node]``, and
    time levels ``t`` (0 … maturity) with ``theta[k]`` the scheme of the step from t[k] to
    t[k + 1] (0.5 Crank–Nicolson, 1.0 implicit: Rannacher's half-steps)."""

    x: np.ndarray
    spot_node: int
    t: np.ndarray
    theta: np.ndarray


def check_resolution(steps: int, nodes: int, option: str = "--steps") -> None:
    """A user's grid size: time steps and space nodes within bounds (one-line ``UserError``)."""
    if not MIN_STEPS <= steps <= MAX_STEPS:
        raise UserError(f"{option}: PDE time steps must be between {MIN_STEPS} and {MAX_STEPS}, "
                        f"got {steps}")
    if not MIN_NODES <= nodes <= MAX_NODES:
        raise UserError(f"nodes: PDE space nodes must be between {MIN_NODES} and {MAX_NODES}, "
                        f"got {nodes}")


def space_grid(
    x_spot: float,
    centres: list[float],
    sd: float,
    sd_year: float,
    nodes: int,
    exact: list[float] | None = None,
) -> tuple[np.ndarray, int]:
    """``nodes`` points in log spot covering the spot and ``centres`` ± ``WIDTH_SD`` × ``sd``,
    denser near each centre (sinh stretching). The spot is a node, and so is each point of
    ``exact`` inside the grid (soft-call triggers: the call switches on there, and a switch
    between two nodes costs first-order accuracy); the spacing changes smoothly in between."""
    pts = [x_spot, *centres]
    lo = min(pts) - WIDTH_SD * sd
    hi = max(pts) + WIDTH_SD * sd
    alpha = max(ALPHA_SD * sd_year, ALPHA_MIN)
    fine = np.linspace(lo, hi, 8 * nodes + 1)
    dens = np.ones_like(fine)
    for b in pts:
        dens += STRENGTH / np.sqrt(1.0 + ((fine - b) / alpha) ** 2)
    cum = np.concatenate(([0.0], np.cumsum(0.5 * (dens[1:] + dens[:-1]) * np.diff(fine))))
    cum /= cum[-1]
    # the points to hit, as fractions of the grid, each moved to its nearest node index; the
    # index-to-fraction map is piecewise linear through them
    last = nodes - 1
    marks = {0: 0.0, last: 1.0}
    for x_p in [x_spot, *(exact or [])]:
        if not lo < x_p < hi:
            continue
        u = float(np.interp(x_p, fine, cum))
        j = int(round(u * last))
        if x_p == x_spot:
            j = min(max(j, 2), last - 2)  # two nodes on each side of the spot (delta, gamma)
        if j in marks or j <= 0 or j >= last:
            continue
        marks[j] = u
    idx = sorted(marks)
    frac = np.interp(np.arange(nodes), idx, [marks[j] for j in idx])
    if np.any(np.diff(frac) <= 0):  # two points in one cell: keep the spot only
        u = float(np.interp(x_spot, fine, cum))
        j = min(max(int(round(u * last)), 2), last - 2)
        frac = np.interp(np.arange(nodes), [0, j, last], [0.0, u, 1.0])
    x = np.interp(frac, cum, fine)
    j0 = int(np.argmin(np.abs(x - x_spot)))
    x[j0] = x_spot
    return x, j0


def time_levels(
    maturity: float, steps: int, events: np.ndarray, smooth: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Levels from 0 to ``maturity``: every time in ``events`` (inside (0, T)) a level, each gap
    cut into equal steps of at most T/``steps``; below each event marked in ``smooth`` (and below
    maturity) the first step back is two implicit half-steps (Rannacher), so that the jump or
    kink the event leaves does not ring under Crank–Nicolson."""
    T = maturity
    inside = (events > TIME_TOL) & (events < T - TIME_TOL)
    ev = events[inside]
    sm = smooth[inside]
    order = np.argsort(ev, kind="stable")
    ev, sm = ev[order], sm[order]
    pts = [0.0]
    flags = [False]
    for e, s in zip(ev, sm, strict=True):
        if e - pts[-1] < TIME_TOL:
            flags[-1] = flags[-1] or bool(s)
            continue
        pts.append(float(e))
        flags.append(bool(s))
    if T - pts[-1] < TIME_TOL:
        pts[-1] = T
        flags[-1] = True
    else:
        pts.append(T)
        flags.append(True)
    dt = T / steps
    ts: list[float] = [0.0]
    th: list[float] = []
    for a, b, s in zip(pts[:-1], pts[1:], flags[1:], strict=True):
        n = max(1, math.ceil((b - a) / dt - 1e-9))
        h = (b - a) / n
        for i in range(1, n):
            ts.append(a + i * h)
            th.append(0.5)
        if s:  # the step just below b: two implicit half-steps
            ts.append(b - 0.5 * h)
            th.extend((1.0, 1.0))
        else:
            th.append(0.5)
        ts.append(b)
    return np.array(ts), np.array(th)
