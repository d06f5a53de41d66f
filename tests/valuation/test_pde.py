"""The PDE engine (``pipedeal.valuation.pde``): published numbers (AFV 2003 Tables 2-3, Hull's
convertible), closed forms (Black-Scholes, the election window, volatility curves), second-order
convergence, Greeks stable across resolutions on the Innovo notes, the CLI and bad grids."""

from __future__ import annotations

import json
import math
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from tests.valuation.test_reference_cases import AFV_MARKET, AFV_NOTE, HULL_BOND, HULL_MARKET
from typer.testing import CliRunner

import pipedeal
from pipedeal.cli.app import app
from pipedeal.errors import UserError
from pipedeal.market.curves import black_vol
from pipedeal.valuation import pde
from pipedeal.valuation.blackscholes import bs_price
from pipedeal.valuation.convertible import Call, ConvertibleSpec, MarketInputs

ROOT = Path(__file__).resolve().parents[2]
INNOVO = ROOT / "examples" / "innovo-2004"


# --- B. AFV 2003 (they solve the same PDEs; their 1,600-node column) ----------------------------


@pytest.mark.parametrize(
    ("model", "market", "published"),
    [
        ("tf", {"credit_spread": 0.0}, 125.9529),  # Table 3, no default
        ("tf", {}, 123.9754),  # Table 2, TF, 1600 nodes
        ("hazard", {"eta": 0.0}, 124.9178),  # Table 2, hedge model, partial default
        ("hazard", {"eta": 1.0}, 122.7319),  # Table 2, hedge model, total default, 1600 nodes
    ],
)
def test_B_afv_published_values(model, market, published):
    """B: AFV 2003 Tables 2 and 3 at 1,600 nodes and time steps, within 0.002."""
    got = pde.price(AFV_NOTE, replace(AFV_MARKET, **market), model=model, steps=1600)
    assert got == pytest.approx(published, abs=0.002)


# --- A. Hull's convertible --------------------------------------------------------------------


def test_A_hull_converged_value_and_straight_bond():
    """A: the model's converged value ≈ 106.05 ± 0.1 (the reference's suggestion; the tree's
    30/300/3000 steps give 106.26/106.12/106.05, still falling); the straight bond 95.8913
    (3-step tree, discrete default) against the continuous-time value."""
    v = pde.price(HULL_BOND, HULL_MARKET, model="hull", steps=800)
    assert v == pytest.approx(106.05, abs=0.1)
    assert v < 106.0519  # below the 3,000-step tree, which converges from above
    floor = ConvertibleSpec(maturity=0.75, conversion_ratio=0.0)
    r, lam, t = 0.05, 0.01, 0.75
    exact = 100 * math.exp(-(r + lam) * t) + 40 * lam / (r + lam) * (1 - math.exp(-(r + lam) * t))
    assert pde.price(floor, HULL_MARKET, model="hull", steps=200) == pytest.approx(exact, abs=1e-4)
    assert exact == pytest.approx(95.8913, abs=0.005)


# --- closed forms and convergence ---------------------------------------------------------------

MKT = MarketInputs(spot=100.0, vol=0.30, rate=0.04)


def test_european_convertible_converges_at_second_order():
    """Conversion at maturity only: V = 100e^{-rT} + κ·C(S, 100/κ, T); the error falls ~4× per
    doubling of steps and nodes."""
    spec = ConvertibleSpec(maturity=2.0, conversion_ratio=1.0, conversion_start=2.0)
    exact = 100 * math.exp(-0.08) + bs_price(True, 100.0, 100.0, 2.0, 0.04, 0.0, 0.30)
    errors = [abs(pde.price(spec, MKT, model="tf", steps=n) - exact) for n in (50, 100, 200)]
    assert errors[2] < 2e-3
    assert errors[0] / errors[1] > 3.0 and errors[1] / errors[2] > 3.0


@pytest.mark.parametrize(
    "vol_curve", [(), ((0.25, 0.5), (1.0, 0.3)), ((0.02, 0.2), (0.25, 0.5), (1.0, 0.3))]
)
def test_called_note_is_the_window_option_in_closed_form(vol_curve):
    """Called at t = 0 with a 30-day election window: P·e^{-rw} + κ·C(S, P/κ, w) at the Black
    vol to the window's end, to 1e-9 (the window is priced in closed form per node)."""
    w = 30 / 365
    mkt = replace(MKT, vol=0.5, vol_curve=vol_curve)
    spec = ConvertibleSpec(
        maturity=1.0, conversion_ratio=1.0, calls=(Call(0.0, 0.0, 100.0),), notice_years=w
    )
    sigma = black_vol(mkt, w)
    expected = 100 * math.exp(-0.04 * w) + bs_price(True, 100.0, 100.0, w, 0.04, 0.0, sigma)
    assert pde.price(spec, mkt, model="tf", steps=100) == pytest.approx(expected, abs=1e-9)


def test_vol_curve_european_equals_black_scholes_at_the_black_vol():
    mkt = replace(MKT, vol_curve=((0.25, 0.5), (1.0, 0.3), (2.0, 0.28)))
    spec = ConvertibleSpec(maturity=2.0, conversion_ratio=1.0, conversion_start=2.0)
    sigma = black_vol(mkt, 2.0)
    exact = 100 * math.exp(-0.08) + bs_price(True, 100.0, 100.0, 2.0, 0.04, 0.0, sigma)
    assert pde.price(spec, mkt, model="tf", steps=400) == pytest.approx(exact, abs=1e-3)


def test_time_steps_land_on_every_contract_date():
    t = pde.make_mesh(AFV_NOTE, AFV_MARKET, steps=50).t
    for date in [0.5 * k for k in range(1, 11)] + [2.0, 3.0]:
        assert min(abs(t - date)) < 1e-12


# --- Greeks -------------------------------------------------------------------------------------


def test_grid_greeks_of_a_european_convertible_match_black_scholes():
    """Delta and gamma read off the grid, theta from its next time levels, vega and rho by
    bumps on the same mesh."""
    spec = ConvertibleSpec(maturity=2.0, conversion_ratio=1.0, conversion_start=2.0)
    g = pde.greeks(spec, MKT, model="hazard", steps=400)
    from pipedeal.valuation.blackscholes import bs_greeks

    p, delta, gamma, vega, theta, rho = bs_greeks(True, 100.0, 100.0, 2.0, 0.04, 0.0, 0.30)
    assert g["delta"] == pytest.approx(delta, abs=1e-4)
    assert g["gamma"] == pytest.approx(gamma, abs=1e-5)
    assert g["vega"] == pytest.approx(vega, rel=1e-3)
    assert g["theta"] == pytest.approx(theta + 0.04 * 100 * math.exp(-0.08), rel=1e-3)
    assert g["rho"] == pytest.approx(rho - 2.0 * 100 * math.exp(-0.08), rel=1e-3)


def test_innovo_greeks_move_less_than_one_percent_between_resolutions():
    """The Innovo notes (market.toml: hazard), PDE at 200 and 400 time steps (as many nodes):
    every Greek within 1%; the book's check flags nothing."""
    val = pipedeal.value(INNOVO, engine="pde", steps=200, greeks_check=True)
    notes = [p.note for p in val.purchasers if p.note is not None]
    assert len(notes) == 3
    for note in notes:
        assert note.greeks_spread is not None
        assert max(note.greeks_spread.values()) < 0.01, note.greeks_spread
        assert note.unstable_greeks == ()


# --- faces and bad inputs -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"steps": 5}, "time steps"),
        ({"steps": 30000}, "time steps"),
        ({"steps": 100, "nodes": 10}, "space nodes"),
        ({"model": "ql"}, "PDE engine"),
    ],
)
def test_invalid_grids_and_models_are_user_errors(kwargs, message):
    with pytest.raises(UserError, match=message):
        pde.price(AFV_NOTE, AFV_MARKET, **kwargs)


def test_cli_value_engine_pde_with_greeks_check(tmp_path):
    deal = tmp_path / "innovo"
    shutil.copytree(INNOVO, deal)
    res = CliRunner().invoke(
        app, ["value", str(deal), "--engine", "pde", "--steps", "100", "--greeks-check",
              "--format", "json"],
    )
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["engine"] == "pde"
    check = data["purchasers"][0]["note"]["greeks_check"]
    assert set(check["relative_spread"]) >= {"delta", "gamma", "theta", "vega", "rho"}
    text = CliRunner().invoke(app, ["value", str(deal), "--engine", "pde", "--steps", "100",
                                    "--greeks-check"])
    assert text.exit_code == 0 and "PDE, 100 time steps" in text.output
    assert "Greeks check" in text.output
    bad = CliRunner().invoke(app, ["value", str(deal), "--engine", "fd"])
    assert bad.exit_code == 2 and "--engine" in bad.output


def test_cli_value_batch_engine_pde_matches_single_notes(tmp_path):
    csv_in = ROOT / "tests" / "valuation" / "data" / "notes.csv"
    res = CliRunner().invoke(
        app, ["value-batch", str(csv_in), "--engine", "pde", "--steps", "100", "--format", "json"]
    )
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["engine"] == "pde" and data["count"] == 3
    from pipedeal.valuation.batch import read_batch_csv
    from pipedeal.valuation.dated import to_spec

    for row, note in zip(data["notes"], read_batch_csv(csv_in), strict=True):
        spec = to_spec(note.dated_note(), note.valuation_date)
        assert row["value"] == pytest.approx(
            pde.price(spec, note.market(), model="hazard", steps=100), abs=1e-9
        )
    bad = CliRunner().invoke(app, ["value-batch", str(csv_in), "--engine", "pde", "--tree", "lr"])
    assert bad.exit_code == 2 and "--tree" in bad.output


def test_greeks_check_flags_the_lattices_theta_on_the_innovo_notes():
    """The check is not a formality: the lattice at 300 and 600 steps moves theta by > 1% on
    every Innovo note (its one-day bump re-grids the tree); the text output says UNSTABLE."""
    from rich.console import Console

    from pipedeal.valuation.render import render_valuation

    val = pipedeal.value(INNOVO, engine="lattice", steps=300, greeks_check=True)
    notes = [p.note for p in val.purchasers if p.note is not None]
    assert all("theta" in note.unstable_greeks for note in notes)
    console = Console(record=True, width=200)
    render_valuation(val.to_json(), console)
    assert "UNSTABLE: theta" in console.export_text()
