"""Contract features and Greeks, checked against closed forms and invariants."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
from tests.valuation.reference_rollback import general_form_value
from tests.valuation.test_reference_cases import AFV_MARKET, AFV_NOTE

from pipedeal.errors import UserError
from pipedeal.valuation.blackscholes import bs_greeks, bs_price, warrant_greeks
from pipedeal.valuation.convertible import (
    Call,
    ConvertibleSpec,
    Coupon,
    Dividend,
    MarketInputs,
    Put,
    greeks,
    lattice_kernel,
    price,
    setup,
)

MKT = MarketInputs(spot=100.0, vol=0.30, rate=0.04)


def test_called_note_is_an_option_over_the_election_window():
    """Called at t=0 with a 30-day window: worth P·e^{-rw} + κ·C(S, P/κ, w) (the better of
    cash and shares at the END of the window), not max(P, κS) now."""
    w = 30 / 365
    spec = ConvertibleSpec(
        maturity=1.0, conversion_ratio=1.0, calls=(Call(0.0, 0.0, 100.0),), notice_years=w
    )
    expected = 100.0 * math.exp(-0.04 * w) + bs_price(True, 100.0, 100.0, w, 0.04, 0.0, 0.30)
    got = price(spec, MKT, model="tf", steps=4380)  # 12 steps a day: the window is 360 steps
    assert got == pytest.approx(expected, abs=0.02)
    instant = price(replace(spec, notice_years=0.0), MKT, model="tf", steps=4380)
    assert instant == pytest.approx(100.0, abs=1e-9)  # max(P, κS) now
    assert got > instant + 2.0


def test_a_window_of_more_than_a_thousand_steps_keeps_its_weights():
    """C(w, k) overflows a double past w = 1,029: a 146-day window at 3,000 steps a year
    (1,200 steps) was priced 3 per 100 too high; the weights are now taken in logarithms."""
    w = 146 / 365
    spec = ConvertibleSpec(
        maturity=1.0, conversion_ratio=1.0, calls=(Call(0.0, 0.0, 100.0),), notice_years=w
    )
    expected = 100.0 * math.exp(-0.04 * w) + bs_price(True, 100.0, 100.0, w, 0.04, 0.0, 0.30)
    for model in ("tf", "hazard"):
        assert price(spec, MKT, model=model, steps=3000) == pytest.approx(expected, abs=0.01)


def test_longer_window_is_worth_more_to_the_holder():
    cp = tuple(Coupon(k / 12, 7.5 / 12, (k - 1) / 12, k / 12) for k in range(1, 13))
    spec = ConvertibleSpec(
        maturity=1.0,
        conversion_ratio=100 / 1.1,
        coupons=cp,
        calls=(Call(0.25, 1.0, 100.0),),
        accrued_convertible=True,
    )
    mkt = MarketInputs(spot=1.0, vol=0.8, rate=0.015, credit_spread=0.15)
    values = [
        price(replace(spec, notice_years=d / 365), mkt, model="hazard", steps=1000)
        for d in (0, 3, 10)
    ]
    assert values[0] < values[1] < values[2]


def test_note_with_conversion_only_at_maturity_has_black_scholes_greeks():
    """Zero coupon, no credit, conversion at maturity only: V = 100e^{-rT} + κ·C(S, 100/κ)."""
    spec = ConvertibleSpec(maturity=2.0, conversion_ratio=1.0, conversion_start=2.0)
    g = greeks(spec, MKT, model="tf", steps=1001, tree="lr")
    p, delta, gamma, vega, theta, rho = bs_greeks(True, 100.0, 100.0, 2.0, 0.04, 0.0, 0.30)
    assert g["value"] == pytest.approx(100 * math.exp(-0.08) + p, abs=2e-3)
    assert g["delta"] == pytest.approx(delta, abs=2e-3)
    assert g["gamma"] == pytest.approx(gamma, abs=2e-4)
    assert g["vega"] == pytest.approx(vega, rel=2e-3)
    bond_theta = 0.04 * 100 * math.exp(-0.08)
    assert g["theta"] == pytest.approx(theta + bond_theta, rel=5e-3)
    bond_rho = -2.0 * 100 * math.exp(-0.08)
    assert g["rho"] == pytest.approx(rho + bond_rho, rel=5e-3)
    # TF: only the cash leg (paid where the note is not converted) carries the spread
    d2 = (0.04 - 0.045) * 2.0 / (0.30 * math.sqrt(2.0))
    cash_leg = 100 * math.exp(-0.08) * 0.5 * math.erfc(d2 / math.sqrt(2))
    assert g["credit_spread_sensitivity"] == pytest.approx(-2.0 * cash_leg, rel=1e-2)


def test_greeks_signs_on_afv_note():
    for model in ("tf", "hazard"):
        g = greeks(AFV_NOTE, AFV_MARKET, model=model, steps=400)
        assert 0 < g["delta"] < 1
        assert g["vega"] > 0
        assert g["credit_spread_sensitivity"] < 0


def test_deep_in_the_money_note_moves_with_the_shares():
    spec = ConvertibleSpec(maturity=1.0, conversion_ratio=2.0)
    g = greeks(spec, replace(MKT, spot=500.0), model="tf", steps=500)
    assert g["value"] == pytest.approx(1000.0, rel=1e-9)
    assert g["delta"] == pytest.approx(2.0, abs=1e-9)


def test_warrant_greeks_hull_dilution_scale_black_scholes():
    plain = warrant_greeks(40.0, 60.0, 5.0, 0.03, 0.30)
    hull = warrant_greeks(
        40.0, 60.0, 5.0, 0.03, 0.30, dilution="hull", shares_outstanding=1e6, warrants=2e5
    )
    for k in ("value", "delta", "gamma", "vega", "theta", "rho"):
        assert hull[k] == pytest.approx(plain[k] * 1e6 / 1.2e6, rel=1e-12)
    gs = warrant_greeks(
        40.0,
        60.0,
        5.0,
        0.03,
        0.30,
        dilution="galai-schneller",
        shares_outstanding=1e6,
        warrants=2e5,
    )
    assert gs["value"] == pytest.approx(6.390092, abs=1e-6)
    assert gs["delta"] > hull["delta"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (dict(vol=-0.2), "volatility"),
        (dict(spot=0.0), "spot"),
        (dict(recovery=1.5), "recovery"),
        (dict(credit_spread=-0.01), "credit spread"),
    ],
)
def test_bad_market_inputs_are_user_errors(change, message):
    with pytest.raises(UserError, match=message):
        price(AFV_NOTE, replace(AFV_MARKET, **change), model="tf", steps=50)


def test_maturity_before_valuation_is_a_user_error():
    with pytest.raises(UserError, match="maturity"):
        price(replace(AFV_NOTE, maturity=-0.1), AFV_MARKET, steps=50)


def test_unknown_model_is_a_user_error():
    with pytest.raises(UserError, match="model"):
        price(AFV_NOTE, AFV_MARKET, model="magic", steps=50)


@pytest.mark.parametrize("model", ["tf", "hazard", "hull", "ql"])
def test_convergence_2000_to_4000_steps_on_afv_note(model):
    """Issue 4: value moves by < 0.01 per 100 face between 2,000 and 4,000 steps (AFV note;
    tf averaged over n and n+1 steps, ``parity_average=True``)."""
    avg = model == "tf"
    v2 = price(AFV_NOTE, AFV_MARKET, model=model, steps=2000, parity_average=avg)
    v4 = price(AFV_NOTE, AFV_MARKET, model=model, steps=4000, parity_average=avg)
    assert abs(v4 - v2) < 0.01


def test_flat_rate_curve_equals_flat_rate_and_a_steeper_curve_lowers_the_bond_floor():
    from pipedeal.valuation.convertible import Dividend  # noqa: F401

    straight = ConvertibleSpec(
        maturity=2.0,
        conversion_ratio=0.0,
        coupons=(Coupon(1.0, 5.0, 0.0, 1.0), Coupon(2.0, 5.0, 1.0, 2.0)),
    )
    flat = MarketInputs(spot=100.0, vol=0.3, rate=0.04)
    curve = replace(flat, rate_curve=((0.5, 0.04), (3.0, 0.04)))
    v_flat = price(straight, flat, model="tf", steps=400)
    assert price(straight, curve, model="tf", steps=400) == pytest.approx(v_flat, abs=1e-10)
    expected = 5 * math.exp(-0.04) + 105 * math.exp(-0.08)
    assert v_flat == pytest.approx(expected, abs=1e-9)
    steep = replace(flat, rate_curve=((0.5, 0.02), (2.0, 0.06)))
    z1, z2 = 0.02 + (0.06 - 0.02) * 0.5 / 1.5, 0.06
    assert price(straight, steep, model="tf", steps=400) == pytest.approx(
        5 * math.exp(-z1) + 105 * math.exp(-2 * z2), abs=1e-9
    )


def test_cash_dividends_lower_a_convertible_and_escrow_matches_black_scholes():
    """Conversion at maturity only, one dividend D at t: value = bond + κ·C(S − D e^{-rt})."""
    from pipedeal.valuation.convertible import Dividend

    spec = ConvertibleSpec(maturity=1.0, conversion_ratio=1.0, conversion_start=1.0)
    with_div = replace(MKT, dividends=(Dividend(0.5, 3.0),))
    got = price(spec, with_div, model="tf", steps=1001, tree="lr")
    s_adj = 100.0 - 3.0 * math.exp(-0.04 * 0.5)
    expected = 100 * math.exp(-0.04) + bs_price(True, s_adj, 100.0, 1.0, 0.04, 0.0, 0.30)
    assert got == pytest.approx(expected, abs=5e-3)
    assert got < price(spec, MKT, model="tf", steps=1001, tree="lr")


def test_american_binomial_warrant_equals_black_scholes_without_dividends():
    from pipedeal.valuation.trees import binomial_option

    am = binomial_option(True, 1.32, 1.53, 4.88, 0.015, 0.80, steps=1001, tree="lr")
    assert am == pytest.approx(bs_price(True, 1.32, 1.53, 4.88, 0.015, 0.0, 0.80), abs=1e-3)


@pytest.mark.parametrize("model", ["tf", "hazard"])
@pytest.mark.parametrize("window_days", [0, 3, 10, 45])
@pytest.mark.parametrize("trigger", [None, 1.3])
def test_vectorized_rollback_matches_the_node_by_node_form(model, window_days, trigger):
    """Steps with a call inside the holder's election window run as vectorized passes (weights,
    end payoff row, banded dot product, select-only step); they must give the node-by-node
    form's values (``reference_rollback``: same operations in the same order, equal to the
    bit), maturity included."""
    cp = tuple(Coupon(k / 12, 8.0 / 12, (k - 1) / 12, k / 12) for k in range(1, 19))
    spec = ConvertibleSpec(
        maturity=1.5,
        conversion_ratio=100 / 1.2,
        coupons=cp,
        calls=(Call(0.25, 1.5, 100.0, trigger=trigger),),
        puts=(Put(1.0, 101.0),),
        accrued_convertible=True,
        notice_years=window_days / 365,
    )
    mkt = MarketInputs(
        spot=1.0,
        vol=0.7,
        rate=0.03,
        credit_spread=0.12,
        recovery=0.2,
        eta=0.6,
        dividends=(Dividend(0.6, 0.02),),
    )
    s = setup(spec, mkt, model=model, steps=300)
    assert lattice_kernel(s.args) == general_form_value(s.args)
