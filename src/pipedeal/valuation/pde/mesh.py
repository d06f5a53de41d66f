"""The PDE's mesh: the space grid in log spot (sinh-stretched around the points where the value
bends, with the spot and any soft-call trigger on a node) and the time levels (every contract
date a level, uniform steps between them, the step below each date where the value or a bound
jumps graded towards it and implicit: Rannacher's start-up).

The mesh is built once per note from the base market and kept for every bump (vega, rho, credit
sensitivity), so that a Greek is a difference of two solutions on the same nodes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit

from pipedeal.errors import UserError

MIN_NODES = 20
MIN_STEPS = 10
MAX_NODES = 20000
MAX_STEPS = 20000
# half-width of the space grid, in standard deviations of log spot over the note's life
WIDTH_SD = 3.5
# sinh stretching: density 1 + STRENGTH × Σ 1/sqrt(1 + ((x − b)/α)²) around each point b, with
# α = ALPHA_SD standard deviations of log spot over one year (at least ALPHA_MIN)
STRENGTH = 8.0
ALPHA_SD = 0.5
ALPHA_MIN = 0.02
TIME_TOL = 1e-10
# below a date where the value or the call's bound jumps, the first step back is cut into
# steps halving towards the date, the last ones implicit: the jump's O(step) error shrinks with
# the smallest step (1: Rannacher's two implicit half-steps)
GRADE = 3


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
    drift: float = 0.0,
) -> tuple[np.ndarray, int]:
    """``nodes`` points in log spot covering the spot and ``centres`` ± ``WIDTH_SD`` × ``sd``
    and the ``drift`` of log spot over the note's life on its side, denser near each centre
    (sinh stretching). The spot is a node, and so is each point of
    ``exact`` inside the grid (soft-call triggers: the call switches on there, and a switch
    between two nodes costs first-order accuracy); the spacing changes smoothly in between."""
    pts = [x_spot, *centres]
    lo = min(pts) - WIDTH_SD * sd + min(drift, 0.0)
    hi = max(pts) + WIDTH_SD * sd + max(drift, 0.0)
    alpha = max(ALPHA_SD * sd_year, ALPHA_MIN)
    fine, cum = _stretched(lo, hi, np.array(pts), alpha, STRENGTH, 8 * nodes + 1)
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


@njit(cache=True)
def _stretched(
    lo: float, hi: float, pts: np.ndarray, alpha: float, strength: float, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """A fine uniform grid on [lo, hi] and the normalized integral of the node density there,
    1 + strength × Σ 1/sqrt(1 + ((x − b)/α)²) (the derivative of a sum of asinh maps)."""
    fine = np.linspace(lo, hi, n)
    cum = np.empty(n)
    cum[0] = 0.0
    prev = 0.0
    for i in range(n):
        d = 1.0
        for b in pts:
            z = (fine[i] - b) / alpha
            d += strength / math.sqrt(1.0 + z * z)
        if i > 0:
            cum[i] = cum[i - 1] + 0.5 * (d + prev) * (fine[i] - fine[i - 1])
        prev = d
    total = cum[n - 1]
    for i in range(n):
        cum[i] /= total
    return fine, cum


def time_levels(
    maturity: float, steps: int, events: np.ndarray, smooth: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Levels from 0 to ``maturity``: every time in ``events`` (inside (0, T)) a level, each gap
    cut into equal steps of at most T/``steps``; below each event marked in ``smooth`` (and below
    maturity) the first step back is graded (``GRADE``) and implicit but for its first part
    (Rannacher), so that the jump or kink the event leaves does not ring under Crank–Nicolson."""
    order = np.argsort(events, kind="stable")
    ev = np.ascontiguousarray(events[order], dtype=np.float64)
    sm = np.ascontiguousarray(smooth[order], dtype=np.bool_)
    return _time_levels(float(maturity), int(steps), ev, sm)


@njit(cache=True)
def _time_levels(
    T: float, steps: int, ev: np.ndarray, sm: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``time_levels`` on sorted events, compiled."""
    pts = np.empty(ev.shape[0] + 2)
    flags = np.zeros(ev.shape[0] + 2, dtype=np.bool_)
    pts[0] = 0.0
    n_pts = 1
    for k in range(ev.shape[0]):
        e = ev[k]
        if e <= TIME_TOL or e >= T - TIME_TOL:
            continue
        if e - pts[n_pts - 1] < TIME_TOL:
            flags[n_pts - 1] = flags[n_pts - 1] or sm[k]
            continue
        pts[n_pts] = e
        flags[n_pts] = sm[k]
        n_pts += 1
    pts[n_pts] = T
    flags[n_pts] = True
    n_pts += 1
    dt = T / steps
    counts = np.empty(n_pts - 1, dtype=np.int64)
    total = 1
    for g in range(n_pts - 1):
        counts[g] = max(1, math.ceil((pts[g + 1] - pts[g]) / dt - 1e-9))
        total += counts[g] + (GRADE if flags[g + 1] else 0)
    ts = np.empty(total)
    th = np.empty(total - 1)
    ts[0] = 0.0
    m = 0
    for g in range(n_pts - 1):
        a = pts[g]
        b = pts[g + 1]
        n = counts[g]
        h = (b - a) / n
        for i in range(1, n):
            th[m] = 0.5
            m += 1
            ts[m] = a + i * h
        if flags[g + 1]:
            # the step just below b graded towards b, h/2, h/4, ..., h/2^GRADE twice, all but
            # the first implicit (Rannacher: the jump's high frequencies damped, which
            # Crank–Nicolson does not do)
            for j in range(1, GRADE + 1):
                th[m] = 0.5 if j == 1 and GRADE > 2 else 1.0
                m += 1
                ts[m] = b - h / 2.0**j
            th[m] = 1.0
        else:
            th[m] = 0.5
        m += 1
        ts[m] = b
    return ts, th
