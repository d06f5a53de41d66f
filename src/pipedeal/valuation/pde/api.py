"""The Python face of the PDE engine: ``setup`` (a contract and a market → ``PdeArgs`` on a mesh),
``price``, ``greeks`` (delta, gamma and theta read off the grid; vega, rho and credit sensitivity
by bumping the market on the same mesh) and ``greeks_check`` (the Greeks at two resolutions).

Resolution: ``steps`` time steps over the note's life (uniform between contract dates, which
are all levels) and ``nodes`` space nodes (default ``DEFAULT_NODES_PER_STEP`` × steps, at least
``MIN_NODES``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from pipedeal.errors import UserError
from pipedeal.market.curves import black_vol, flat_spread, flat_vol, step_values
from pipedeal.valuation.lattice.api import TF_CALL_RULES, _bump_curve, _bump_spread, _bump_vol
from pipedeal.valuation.lattice.grid import GridContract, contract_arrays
from pipedeal.valuation.lattice.spec import ConvertibleSpec, MarketInputs, validate
from pipedeal.valuation.pde.levels import DIVADD, LEVEL_ROWS, event_times, fill_levels
from pipedeal.valuation.pde.mesh import MIN_NODES, Mesh, check_resolution, space_grid, time_levels
from pipedeal.valuation.pde.solver import MODEL_HAZARD, MODEL_TF, PdeArgs, solve

PDE_MODELS = ("tf", "hazard", "hull")
DEFAULT_STEPS = 200
DEFAULT_NODES_PER_STEP = 2.0
GREEK_NAMES = ("delta", "gamma", "vega", "theta", "rho", "credit_spread_sensitivity")
UNSTABLE = 0.01  # a Greek moving more than 1% between two resolutions is flagged
# Bumps for vega, rho and credit sensitivity. Larger than the lattice's 1bp for the rates: on one
# mesh the central difference's own error is O(bump²) (nil at 10bp), while the solution's small
# jumps where a node enters or leaves the call region weigh less against a larger move.
PDE_BUMPS = {"vol": 0.01, "rate": 1e-3, "spread": 1e-3}


@dataclass(frozen=True)
class PdeSetup:
    args: PdeArgs
    mesh: Mesh
    model: str


def default_nodes(steps: int) -> int:
    return max(MIN_NODES, int(round(DEFAULT_NODES_PER_STEP * steps)))


def _model_params(model: str, mkt: MarketInputs) -> tuple[int, float, float]:
    """(code, default intensity λ, η) of a model; ``hull``: hazard with η = 1 and the stock's
    diffusion variance σ² − λ (Hull's tree)."""
    if model not in PDE_MODELS:
        raise UserError(f"model: the PDE engine has {', '.join(PDE_MODELS)}, not {model!r}")
    if model == "tf":
        return MODEL_TF, 0.0, 1.0
    return MODEL_HAZARD, mkt.intensity, (1.0 if model == "hull" else mkt.eta)


def _dividends(mkt: MarketInputs, T: float) -> tuple[np.ndarray, np.ndarray, float, float]:
    """Escrowed cash dividends: times (capped at maturity), amounts, the flat rate their value
    ahead is discounted at (the lattice's), and the spot less their present value."""
    ds = [d for d in mkt.dividends if d.time > 1e-12]
    x0 = mkt.spot - sum(
        d.amount * mkt.discount(d.time if d.discount_time is None else d.discount_time) for d in ds
    )
    if x0 <= 0:
        raise UserError("dividends: their present value exceeds the spot price")
    times = np.array([min(d.time, T) for d in ds], dtype=np.float64)
    amounts = np.array([d.amount for d in ds], dtype=np.float64)
    return times, amounts, mkt.zero_rate(T), x0


def make_mesh(
    spec: ConvertibleSpec,
    mkt: MarketInputs,
    *,
    model: str = "hazard",
    steps: int = DEFAULT_STEPS,
    nodes: int | None = None,
    contract: GridContract | None = None,
) -> Mesh:
    """The mesh of one note: space nodes concentrated at the spot, the conversion level
    (redemption / κ), each call's (price / κ) and trigger, and each put's; time levels on every
    contract date."""
    nodes = default_nodes(steps) if nodes is None else nodes
    check_resolution(steps, nodes)
    c = contract_arrays(spec) if contract is None else contract
    T = spec.maturity
    div_t, _, _, x0 = _dividends(mkt, T)
    _, lam, eta = _model_params(model, mkt)
    kappa = spec.conversion_ratio
    d0 = mkt.spot - x0
    levels = []
    if kappa > 0:
        levels.append(spec.redemption_amount / kappa)
        levels.extend(float(p) / kappa for p in c.call_price)
        levels.extend(float(p) / kappa for p in c.put_price)
        levels.extend(float(p) for p in c.call_trigger if p > 0)
    centres = [math.log(s - d0) for s in levels if s - d0 > 1e-12 * mkt.spot]
    vol = max(black_vol(mkt, T), mkt.vol if not mkt.vol_curve else 0.0)
    # log spot moves by this over the note's life, besides its spread: the grid reaches it
    drift = (mkt.zero_rate(T) - mkt.dividend_yield + eta * lam - 0.5 * vol * vol) * T
    sd = vol * math.sqrt(T)
    triggers = [math.log(float(p) - d0) for p in c.call_trigger if p - d0 > 1e-12 * mkt.spot]
    x, j0 = space_grid(math.log(x0), centres, sd, vol, nodes, exact=triggers, drift=drift)
    ev, smooth = event_times(c, spec.notice_years, div_t)
    t, theta = time_levels(T, steps, ev, smooth)
    return Mesh(x, j0, t, theta)


def setup(
    spec: ConvertibleSpec,
    mkt: MarketInputs,
    *,
    model: str = "hazard",
    steps: int = DEFAULT_STEPS,
    nodes: int | None = None,
    tf_call: str = "afv",
    mesh: Mesh | None = None,
    contract: GridContract | None = None,
) -> PdeSetup:
    """Solver arguments for one note; ``mesh``: reuse a mesh (bumps), else built here."""
    if tf_call not in TF_CALL_RULES:
        raise UserError(f"tf_call: unknown rule {tf_call!r} (use {', '.join(TF_CALL_RULES)})")
    code, lam, eta = _model_params(model, mkt)
    validate(spec, mkt)
    c = contract_arrays(spec) if contract is None else contract
    if mesh is None:
        mesh = make_mesh(spec, mkt, model=model, steps=steps, nodes=nodes, contract=c)
    T = spec.maturity
    div_t, div_amt, r_flat, x0 = _dividends(mkt, T)
    t = mesh.t
    m = t.shape[0] - 1
    # per-step volatility, rate and spread (``market.curves``: flat inputs give flat arrays)
    vols, rates, spreads = step_values(mkt, t)
    rate = rates if mkt.rate_curve else np.full(m, mkt.zero_rate(T))
    if code == MODEL_HAZARD:
        lam_s = np.full(m, mkt.hazard) if mkt.hazard is not None else spreads / (1 - mkt.recovery)
    else:
        lam_s = np.zeros(m)
    sig2 = vols * vols
    if model == "hull":
        if flat_vol(mkt) is None or flat_spread(mkt) is None:
            raise UserError("hull: needs a flat volatility and credit spread (no vol_curve or "
                            "spread_curve)")
        sig2 = sig2 - lam_s
        if np.any(sig2 <= 0):
            raise UserError(f"volatility: the hull model needs σ² > λ, got σ = {mkt.vol}, "
                            f"λ = {lam}")
    spread = spreads
    mu = rate - mkt.dividend_yield + eta * lam_s
    rows = np.empty((LEVEL_ROWS, m + 1))
    fill_levels(c, t, spec.notice_years, spec.redemption_amount,
                1.0 if spec.accrued_convertible else 0.0, div_t, div_amt, r_flat,
                sig2, rate, spread, lam_s, mu, rows)
    # the mesh was made for x0; a bumped spot (delta by bumping) moves the grid with it
    x = mesh.x + (math.log(x0) - mesh.x[mesh.spot_node])
    args = PdeArgs(
        model=code,
        x=x,
        spot_node=mesh.spot_node,
        t=t,
        theta=mesh.theta,
        sig2=sig2,
        rate=rate,
        q=float(mkt.dividend_yield),
        spread=spread,
        lam=lam_s,
        eta=float(eta),
        recovery_value=float(mkt.recovery * spec.face),
        kappa=float(spec.conversion_ratio),
        redemption=float(spec.redemption_amount),
        accrued_conv=1.0 if spec.accrued_convertible else 0.0,
        cpn_conv=1.0 if spec.final_coupon_on_conversion else 0.0,
        call_cash=1.0 if tf_call == "cash" else 0.0,
        rows=rows,
        out=np.zeros((3, x.shape[0])),
    )
    return PdeSetup(args, mesh, model)


def _checked(value: float) -> float:
    if not math.isfinite(value):
        raise UserError("valuation: the PDE solution is not finite; check the inputs")
    return value


def price(
    spec: ConvertibleSpec,
    mkt: MarketInputs,
    *,
    model: str = "hazard",
    steps: int = DEFAULT_STEPS,
    nodes: int | None = None,
    tf_call: str = "afv",
    mesh: Mesh | None = None,
) -> float:
    """Value of the note (units of ``face``) at time 0 under ``model`` by the PDE."""
    s = setup(spec, mkt, model=model, steps=steps, nodes=nodes, tf_call=tf_call, mesh=mesh)
    return _checked(float(solve(s.args)))


def _grid_greeks(s: PdeSetup, spot: float) -> tuple[float, float, float]:
    """Delta and gamma (three-point differences on the non-uniform nodes around the spot) and
    theta (the value at the spot on the next two time levels, one-sided second order)."""
    a = s.args
    j = a.spot_node
    sv = np.exp(a.x) + a.rows[DIVADD, 0]
    v0 = a.out[0]
    s_m, s_c, s_p = sv[j - 1], sv[j], sv[j + 1]
    hm, hp = s_c - s_m, s_p - s_c
    delta = (-hp / (hm * (hm + hp)) * v0[j - 1] + (hp - hm) / (hm * hp) * v0[j]
             + hm / (hp * (hm + hp)) * v0[j + 1])
    gamma = 2.0 * (v0[j - 1] / (hm * (hm + hp)) - v0[j] / (hm * hp) + v0[j + 1] / (hp * (hm + hp)))
    t = a.t
    if t.shape[0] < 3:
        return delta, gamma, float("nan")
    # the same share price on the later levels: escrowed spot = spot − dividends ahead there
    vals = []
    for k in (1, 2):
        xk = math.log(max(spot - a.rows[DIVADD, k], 1e-300))
        vals.append(float(np.interp(xk, a.x, a.out[k])))
    h1, h2 = t[1] - t[0], t[2] - t[1]
    theta = (-(2 * h1 + h2) / (h1 * (h1 + h2)) * v0[j] + (h1 + h2) / (h1 * h2) * vals[0]
             - h1 / (h2 * (h1 + h2)) * vals[1])
    return float(delta), float(gamma), float(theta)


def greeks(
    spec: ConvertibleSpec,
    mkt: MarketInputs,
    *,
    model: str = "hazard",
    steps: int = DEFAULT_STEPS,
    nodes: int | None = None,
    tf_call: str = "afv",
) -> dict[str, float]:
    """Value and Greeks, in the lattice's units (``lattice.greeks``): delta and gamma from the
    grid at the spot, theta per year from the grid's next time levels (the contract's clock
    moving, the share price fixed), vega (±0.01), rho (±1bp) and credit-spread sensitivity
    (``PDE_BUMPS``; one-sided at a zero spread) by central bumps solved on the base mesh."""
    mesh = make_mesh(spec, mkt, model=model, steps=steps, nodes=nodes)
    s0 = setup(spec, mkt, model=model, tf_call=tf_call, mesh=mesh)
    base = _checked(float(solve(s0.args)))
    delta, gamma, theta = _grid_greeks(s0, mkt.spot)

    def v(m: MarketInputs) -> float:
        return _checked(float(solve(setup(spec, m, model=model, tf_call=tf_call, mesh=mesh).args)))

    dv, dr, ds = PDE_BUMPS["vol"], PDE_BUMPS["rate"], PDE_BUMPS["spread"]
    vega = (v(_bump_vol(mkt, dv)) - v(_bump_vol(mkt, -dv))) / (2 * dv)
    rho = (
        v(replace(mkt, rate=mkt.rate + dr, rate_curve=_bump_curve(mkt, dr)))
        - v(replace(mkt, rate=mkt.rate - dr, rate_curve=_bump_curve(mkt, -dr)))
    ) / (2 * dr)
    up = v(_bump_spread(mkt, ds))
    if mkt.credit_spread >= ds:
        cs = (up - v(_bump_spread(mkt, -ds))) / (2 * ds)
    else:
        cs = (up - base) / ds
    return {
        "value": base,
        "delta": delta,
        "gamma": gamma,
        "vega": vega,
        "theta": theta,
        "rho": rho,
        "credit_spread_sensitivity": cs,
    }


def greeks_check(
    spec: ConvertibleSpec,
    mkt: MarketInputs,
    *,
    model: str = "hazard",
    steps: int = DEFAULT_STEPS,
    nodes: int | None = None,
    tf_call: str = "afv",
) -> dict[str, float]:
    """How much each Greek (and the value) moves between ``steps`` and twice that resolution:
    |g(2N) − g(N)| / max(|g(2N)|, tiny), relative."""
    nodes = default_nodes(steps) if nodes is None else nodes
    lo = greeks(spec, mkt, model=model, steps=steps, nodes=nodes, tf_call=tf_call)
    hi = greeks(spec, mkt, model=model, steps=2 * steps, nodes=2 * nodes, tf_call=tf_call)
    return {k: relative_spread(lo[k], hi[k]) for k in lo}


def relative_spread(a: float, b: float) -> float:
    scale = max(abs(a), abs(b))
    if scale == 0.0:
        return 0.0
    return abs(a - b) / scale
