"""Term structures (issue 18 item 4): volatility and credit-spread curves
(``pipedeal.market.curves``) on the lattice; checked against the flat inputs (exactly), closed
forms and QuantLib (``BlackVarianceCurve`` under ``BinomialConvertibleEngine``)."""

from __future__ import annotations

import datetime as dt
import json
import math
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from pipedeal.cli import app
from pipedeal.errors import UserError
from pipedeal.market.curves import black_vol, step_values, total_variance, zero_spread
from pipedeal.valuation.batch import prepare_fast, price_notes, read_batch_csv
from pipedeal.valuation.blackscholes import bs_price
from pipedeal.valuation.convertible import (
    Call,
    ConvertibleSpec,
    Coupon,
    MarketInputs,
    lattice_kernel,
    price,
)
from pipedeal.valuation.dated import to_spec

runner = CliRunner()
DATA = Path(__file__).parent / "data"
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "innovo-2004"

PIPE = ConvertibleSpec(
    maturity=1.0,
    conversion_ratio=100 / 1.1,
    coupons=tuple(Coupon(k / 12, 7.5 / 12, (k - 1) / 12, k / 12) for k in range(1, 13)),
    calls=(Call(0.25, 1.0, 100.0),),
    accrued_convertible=True,
    notice_years=5 / 365,
)
MKT = MarketInputs(spot=1.0, vol=0.8, rate=0.015, credit_spread=0.15, recovery=0.2)
VOLS = ((0.25, 0.95), (0.5, 0.85), (1.0, 0.7), (2.0, 0.6))
SPREADS = ((0.5, 0.10), (1.0, 0.15), (3.0, 0.20))


def test_step_values_flat_and_curved():
    times = np.linspace(0.0, 1.5, 7)
    vol, rate, spread = step_values(MKT, times)
    assert np.all(vol == 0.8) and np.all(rate == 0.015) and np.all(spread == 0.15)
    curved = replace(MKT, vol_curve=VOLS, spread_curve=SPREADS)
    vol, _, spread = step_values(curved, times)
    # the step variances add up to the total variance, the step spreads to the integrated one
    assert np.sum(vol**2 * np.diff(times)) == pytest.approx(float(total_variance(VOLS, 1.5)))
    assert np.sum(spread * np.diff(times)) == pytest.approx(1.5 * zero_spread(curved, 1.5))
    assert black_vol(curved, 0.25) == pytest.approx(0.95) and black_vol(curved, 2.0) == 0.6
    assert black_vol(curved, 3.0) == pytest.approx(0.6)  # the last vol held flat
    assert zero_spread(curved, 1.0) == pytest.approx(0.15)
    # flat-forward spreads: constant between pillars
    assert spread[2] == pytest.approx(spread[3]) and spread[2] == pytest.approx(0.20)


@pytest.mark.parametrize("model", ["tf", "hazard", "hull", "ql"])
def test_a_flat_curve_is_the_scalar_input_exactly(model):
    flat = replace(MKT, vol_curve=((0.5, 0.8), (2.0, 0.8)), spread_curve=((1.0, 0.15),))
    steps = 301
    assert price(PIPE, flat, model=model, steps=steps) == price(PIPE, MKT, model=model, steps=steps)


@pytest.mark.parametrize("spot", [0.8, 1.1, 1.4])
def test_vol_curve_on_a_note_convertible_at_maturity_is_black_scholes_on_total_variance(spot):
    """Zero coupon, conversion at maturity only, no credit: only the total variance to
    maturity matters, V = 100·e^{−rT} + κ·C(S, 100/κ, σ_Black(T)). The time-dependent tree
    (vols 95% falling to 60%) within 0.015 per 100 at 2,000 steps (measured 0.001–0.01),
    smoothed within 0.003 (measured under 0.002)."""
    spec = ConvertibleSpec(maturity=1.5, conversion_ratio=100.0, conversion_start=1.5)
    mkt = MarketInputs(spot=spot, vol=0.5, rate=0.03, vol_curve=VOLS)
    sigma = black_vol(mkt, 1.5)
    exact = 100 * math.exp(-0.045) + 100 * bs_price(True, spot, 1.0, 1.5, 0.03, 0.0, sigma)
    for tree in ("crr", "jr"):
        value = price(spec, mkt, model="tf", steps=2000, tree=tree)
        assert value == pytest.approx(exact, abs=0.015)
    assert price(spec, mkt, model="tf", steps=2000, smoothing=True) == pytest.approx(
        exact, abs=3e-3
    )
    # and not what the flat vol (or the first or last pillar's) would give
    flat = 100 * math.exp(-0.045) + 100 * bs_price(True, spot, 1.0, 1.5, 0.03, 0.0, 0.95)
    assert abs(flat - exact) > 0.5


def test_vol_curve_with_american_features_is_near_the_constant_vol_of_the_same_variance():
    """With calls and American conversion the path of the volatility matters, not only its
    total: the curve's value lies between the flat values at its lowest and highest vols."""
    curved = replace(MKT, vol_curve=VOLS)
    v = price(PIPE, curved, model="hazard", steps=1000)
    low = price(PIPE, replace(MKT, vol=0.7), model="hazard", steps=1000)
    high = price(PIPE, replace(MKT, vol=0.95), model="hazard", steps=1000)
    assert low < v < high


@pytest.mark.parametrize("model", ["tf", "hazard"])
def test_spread_curve_on_a_straight_bond_discounts_by_the_integrated_spread(model):
    """No conversion: tf discounts the cash at r + s(t), hazard (recovery 0, η = 1) survives
    at exp(−∫λ) with λ = s: both give Σ c·e^{−rt − ∫s}; coupons on grid times, to 1e-9."""
    spec = ConvertibleSpec(
        maturity=2.0,
        conversion_ratio=0.0,
        coupons=tuple(Coupon(0.5 * k, 4.0, 0.5 * (k - 1), 0.5 * k) for k in range(1, 5)),
    )
    mkt = MarketInputs(spot=1.0, vol=0.3, rate=0.04, spread_curve=SPREADS)
    exact = sum(
        (4.0 + (100.0 if k == 4 else 0.0))
        * math.exp(-0.04 * 0.5 * k - 0.5 * k * zero_spread(mkt, 0.5 * k))
        for k in range(1, 5)
    )
    assert price(spec, mkt, model=model, steps=400) == pytest.approx(exact, abs=1e-9)


def test_ql_mode_with_a_vol_curve_equals_quantlib_black_variance_curve():
    """QuantLib's tree engines read one Black vol, to maturity, from the vol surface: ``ql``
    mode does the same with the curve (and the zero spread to maturity), to 1e-8 against
    ``BinomialConvertibleEngine`` on a ``BlackVarianceCurve``."""
    ql = pytest.importorskip("QuantLib")
    from tests.valuation.qlref import qd, ql_convertible_npv
    from tests.valuation.test_ql_crosscheck import _pipe_note

    issue, maturity = dt.date(2004, 6, 1), dt.date(2005, 6, 1)
    note, sched = _pipe_note(issue, maturity, 0.075, 1.10, dt.date(2004, 9, 1))
    pillars = ((dt.date(2004, 9, 1), 0.95), (dt.date(2004, 12, 1), 0.85),
               (dt.date(2005, 6, 1), 0.7), (dt.date(2006, 6, 1), 0.6))
    cal = ql.WeekendsOnly()
    for steps in (300, 501):
        expected = ql_convertible_npv(
            note, evaluation=issue, issue=issue, schedule=sched, coupon_rate=0.075,
            settlement_days=0, calendar=cal, spot=1.0, vol=0.0, rate=0.015,
            dividend_yield=0.0, spread=0.15, steps=steps, vol_curve=pillars,
        )
        spec = to_spec(note, issue, ql_conventions=True,
                       is_business_day=lambda d: cal.isBusinessDay(qd(d)))
        curve = tuple(((d - issue).days / 365.0, v) for d, v in pillars)
        mkt = MarketInputs(spot=1.0, vol=0.5, rate=0.015, credit_spread=0.15, vol_curve=curve)
        assert price(spec, mkt, model="ql", steps=steps) == pytest.approx(expected, abs=1e-8)


def test_hull_and_lr_refuse_a_vol_curve():
    with pytest.raises(UserError, match="hull: needs a flat"):
        price(PIPE, replace(MKT, vol_curve=VOLS), model="hull", steps=100)
    with pytest.raises(UserError, match="vol_curve: needs the crr or jr tree"):
        price(PIPE, replace(MKT, vol_curve=VOLS), model="tf", steps=101, tree="lr")


def test_a_falling_total_variance_is_refused():
    with pytest.raises(UserError, match="vol_curve\\[1\\]: total variance falls"):
        price(PIPE, replace(MKT, vol_curve=((0.5, 0.9), (1.0, 0.5))), steps=50)


def test_greeks_bump_the_curves():
    from pipedeal.valuation.convertible import greeks

    curved = replace(MKT, vol_curve=VOLS, spread_curve=SPREADS)
    g = greeks(PIPE, curved, model="hazard", steps=200)
    assert g["vega"] > 0 and g["credit_spread_sensitivity"] < 0


# --- the batch CSV and market.toml ------------------------------------------------------------


def _with_columns(tmp_path: Path, vol: str, spread: str) -> Path:
    lines = (DATA / "notes.csv").read_text().splitlines()
    lines[1] += ",vol_curve,spread_curve"
    lines[2] += f",{vol},{spread}"
    lines[3] += ",,"
    lines[4] += f",{vol},"
    path = tmp_path / "curves.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_batch_curve_columns_price_as_the_single_note_path(tmp_path):
    path = _with_columns(tmp_path, "0.25:0.9 0.5:0.8 1:0.7", "0.5:0.1;1:0.15")
    notes = read_batch_csv(path)
    assert notes[0].vol_curve == ((0.25, 0.9), (0.5, 0.8), (1.0, 0.7))
    assert notes[0].spread_curve == ((0.5, 0.1), (1.0, 0.15)) and notes[1].vol_curve == ()
    for model in ("tf", "hazard", "ql"):
        values = price_notes(notes, model=model, steps=120)
        single = [lattice_kernel(prepare_fast(n, model, 120)) for n in notes]
        assert list(values) == pytest.approx(single, rel=1e-13)
    plain = price_notes(read_batch_csv(DATA / "notes.csv"), model="hazard", steps=120)
    curved = price_notes(notes, model="hazard", steps=120)
    assert curved[1] == plain[1] and curved[0] != plain[0]
    flat = price_notes(read_batch_csv(_with_columns(tmp_path, "0.5:0.8 2:0.8", "")),
                       model="hazard", steps=120)
    assert flat[0] == plain[0]  # note A's volatility is 0.80: a flat curve is the column


@pytest.mark.parametrize(
    ("vol", "message"),
    [
        ("0.5:x", "is not years:value"),
        ("0.5:0.9 0.4:0.8", "tenors must be positive and increasing"),
        ("0.5:0.9 1:0.5", "total variance falls"),
        ("0.5:nan", "must be finite"),
    ],
)
def test_batch_bad_curve_names_file_line_and_column(tmp_path, vol, message):
    path = _with_columns(tmp_path, vol, "")
    with pytest.raises(UserError) as err:
        read_batch_csv(path)
    assert f"{path}:3:16 (vol_curve)" in str(err.value) and message in str(err.value)


def test_market_toml_curves_value_and_name_a_bad_line(tmp_path):
    deal = tmp_path / "deal"
    shutil.copytree(EXAMPLE, deal)
    text = (deal / "market.toml").read_text()
    curves = (
        "\n[[vol_curve]]\nyears = 0.25\nvolatility = 0.95\n"
        "[[vol_curve]]\nyears = 1.0\nvolatility = 0.75\n"
        "[[spread_curve]]\nyears = 0.5\nspread = 0.12\n"
        "[[spread_curve]]\nyears = 1.0\nspread = 0.15\n"
    )
    (deal / "market.toml").write_text(text + curves)
    r = runner.invoke(app, ["value", str(deal), "--format", "json", "--steps", "100"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["inputs"]["vol_curve"][1] == {"years": 1.0, "volatility": 0.75}
    plain = json.loads(
        runner.invoke(app, ["value", str(EXAMPLE), "--format", "json", "--steps", "100"]).stdout
    )
    assert data["totals"]["note_value"] != plain["totals"]["note_value"]
    bad = text + curves.replace("volatility = 0.75", "volatility = 0.4")
    (deal / "market.toml").write_text(bad)
    r = runner.invoke(app, ["value", str(deal)])
    assert r.exit_code == 2
    line = bad.splitlines().index("[[vol_curve]]") + 1
    assert f"market.toml:{line}: field vol_curve" in r.output
    assert "total variance falls" in r.output


def test_american_conversion_without_dividends_or_coupons_is_still_european_on_a_curve():
    """Converting early never pays on a zero-coupon note without dividends (r > 0), so with
    conversion from day one the time-dependent tree still gives Black–Scholes on the total
    variance (the early-exercise test at every node does not disturb it)."""
    spec = ConvertibleSpec(maturity=1.5, conversion_ratio=100.0)
    mkt = MarketInputs(spot=1.1, vol=0.5, rate=0.03, vol_curve=VOLS)
    sigma = black_vol(mkt, 1.5)
    exact = 100 * math.exp(-0.045) + 100 * bs_price(True, 1.1, 1.0, 1.5, 0.03, 0.0, sigma)
    assert price(spec, mkt, model="tf", steps=2000, smoothing=True) == pytest.approx(
        exact, abs=3e-3
    )


def test_step_values_on_an_uneven_grid_integrate_the_curves():
    """Any grid (the PDE's steps are aligned to dates, not uniform): the step variances and
    spreads still add up to the curves' totals, and rates to the discount factor."""
    rates = ((0.5, 0.01), (2.0, 0.03))
    curved = replace(MKT, vol_curve=VOLS, spread_curve=SPREADS, rate_curve=rates)
    times = np.array([0.0, 0.01, 0.2, 0.25, 0.7, 1.0, 1.9, 2.6])
    vol, rate, spread = step_values(curved, times)
    dt = np.diff(times)
    assert np.sum(vol**2 * dt) == pytest.approx(float(total_variance(VOLS, 2.6)), rel=1e-12)
    assert np.sum(spread * dt) == pytest.approx(2.6 * zero_spread(curved, 2.6), rel=1e-12)
    assert math.exp(-np.sum(rate * dt)) == pytest.approx(curved.discount(2.6), rel=1e-12)


def test_election_window_on_a_volatility_curve():
    """On a curve's time-dependent tree the up probability alternates step by step, so the
    window's end distribution is carried through each step (a binomial with the first step's
    skewed p valued a called note at its cash price, 100.0, ignoring the window)."""
    w = 30 / 365
    spec = ConvertibleSpec(
        maturity=1.0, conversion_ratio=1.0, calls=(Call(0.0, 0.0, 100.0),), notice_years=w
    )
    mkt = MarketInputs(spot=100.0, vol=0.30, rate=0.04,
                       vol_curve=((0.25, 0.3), (0.5, 0.35), (1.0, 0.4)))
    expected = 100.0 * math.exp(-0.04 * w) + bs_price(True, 100.0, 100.0, w, 0.04, 0.0, 0.30)
    for model in ("tf", "hazard"):
        assert price(spec, mkt, model=model, steps=2000) == pytest.approx(expected, abs=0.05)
