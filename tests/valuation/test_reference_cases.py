"""Published and generated reference values (``shared/reference/valuation-cases.md``)."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from pipedeal.valuation.blackscholes import bs_greeks, bs_price, galai_schneller, warrant_value
from pipedeal.valuation.convertible import (
    Call,
    ConvertibleSpec,
    Coupon,
    MarketInputs,
    Put,
    price,
)
from pipedeal.valuation.dated import (
    DatedCall,
    DatedCoupon,
    DatedDividend,
    DatedNote,
    DatedPut,
    dividends_for,
    to_spec,
)

D = dt.date


# --- A. Hull, OFOD credit-risk chapter, "Convertible Bonds" ------------------------------------

HULL_BOND = ConvertibleSpec(maturity=0.75, conversion_ratio=2.0, calls=(Call(0.0, 0.75, 113.0),))
HULL_MARKET = MarketInputs(spot=50.0, vol=0.30, rate=0.05, hazard=0.01, recovery=0.40)


def test_A_hull_three_step_tree_106_9286():
    """A: Hull's 3-step defaultable tree, published 106.93 (re-computed 106.9286)."""
    assert price(HULL_BOND, HULL_MARKET, model="hull", steps=3) == pytest.approx(106.9286, abs=1e-4)


@pytest.mark.parametrize(("steps", "expected"), [(30, 106.2598), (300, 106.1187), (3000, 106.0519)])
def test_A_hull_same_model_more_steps(steps, expected):
    """A: the same model at 30 / 300 / 3000 steps (our re-computation, section A table)."""
    assert price(HULL_BOND, HULL_MARKET, model="hull", steps=steps) == pytest.approx(
        expected, abs=1e-4
    )


def test_A_hull_straight_bond_floor():
    """A: no conversion, no call → 95.8913."""
    floor = ConvertibleSpec(maturity=0.75, conversion_ratio=0.0)
    assert price(floor, HULL_MARKET, model="hull", steps=3) == pytest.approx(95.8913, abs=1e-4)


# --- B. Ayache–Forsyth–Vetzal 2003, J. Derivatives 11(1), Tables 1–3 ---------------------------

AFV_NOTE = ConvertibleSpec(
    maturity=5.0,
    conversion_ratio=1.0,
    coupons=tuple(Coupon(0.5 * k, 4.0, 0.5 * (k - 1), 0.5 * k) for k in range(1, 11)),
    calls=(Call(2.0, 5.0, 110.0),),
    puts=(Put(3.0, 105.0),),
)
AFV_MARKET = MarketInputs(spot=100.0, vol=0.20, rate=0.05, credit_spread=0.02, recovery=0.0)
AFV_STEPS = 4000


def _afv(model: str, **market) -> float:
    from dataclasses import replace

    return price(AFV_NOTE, replace(AFV_MARKET, **market), model=model, steps=AFV_STEPS)


def test_B_afv_table3_no_default_125_9529():
    """B: AFV Table 3 (hazard 0, TF = hedge model) converged 125.9529, within 0.02."""
    assert _afv("tf", credit_spread=0.0) == pytest.approx(125.9529, abs=0.02)
    assert _afv("hazard", credit_spread=0.0) == pytest.approx(125.9529, abs=0.02)


def test_B_afv_table2_tf_123_97():
    """B: AFV Table 2 TF model (3200 nodes 123.9714), within 0.05."""
    assert _afv("tf") == pytest.approx(123.97, abs=0.05)


def test_B_afv_table2_hedge_partial_default_124_9178():
    """B: AFV Table 2 hedge model, partial default η = 0: 124.9178, within 0.05."""
    assert _afv("hazard", eta=0.0) == pytest.approx(124.9178, abs=0.05)


def test_B_afv_table2_hedge_total_default_122_7316():
    """B: AFV Table 2 hedge model, total default η = 1: 122.7316, within 0.05."""
    assert _afv("hazard", eta=1.0) == pytest.approx(122.7316, abs=0.05)


# --- D. Balaraman (2016), "Valuing Convertible Bonds Using QuantLib Python" --------------------


def _balaraman_note() -> DatedNote:
    dates = [D(2002 + k // 2, 3 if k % 2 == 0 else 9, 15) for k in range(41)]
    return DatedNote(
        maturity=D(2022, 3, 15),
        conversion_ratio=3.84615,
        coupons=tuple(
            DatedCoupon(dates[k + 1], 100 * 0.0575 / 2, dates[k], dates[k + 1]) for k in range(40)
        ),
        calls=(DatedCall(D(2007, 3, 20), D(2007, 3, 20), 100.0),),
        puts=tuple(DatedPut(d, 100.0) for d in (D(2007, 3, 20), D(2012, 3, 15), D(2017, 3, 15))),
        coupon_day_count="30/360",
    )


BALARAMAN_DIVIDENDS = tuple((D(2005, 12, 1), 0.5808) for _ in range(4))


def _balaraman(tree: str) -> float:
    settlement = D(2004, 1, 13)  # 9-Jan-2004 + 2 US government-bond business days
    note = _balaraman_note()
    spec = to_spec(note, settlement, time_day_count="30/360", ql_conventions=True)
    divs = dividends_for(
        tuple(DatedDividend(d, a) for d, a in BALARAMAN_DIVIDENDS),
        settlement,
        D(2004, 1, 9),
        "30/360",
    )
    mkt = MarketInputs(
        spot=29.04, vol=0.40, rate=0.04, dividend_yield=0.02, credit_spread=0.03, dividends=divs
    )
    return price(spec, mkt, model="ql", steps=1000, tree=tree)


def test_D_balaraman_published_npv_132_308276818():
    """D: Balaraman 2016 prints NPV 132.308276818 (CRR, 1000 steps); ql mode within 1e-6."""
    assert _balaraman("crr") == pytest.approx(132.308276818, abs=1e-6)


@pytest.mark.parametrize(
    ("tree", "expected"), [("jr", 132.20808118940556), ("lr", 132.22554024686062)]
)
def test_D_balaraman_other_trees_match_ql_1_44(tree, expected):
    """D: the same bond on JR and LR trees, QL 1.44 values from the reference table."""
    assert _balaraman(tree) == pytest.approx(expected, abs=1e-8)


def test_D_balaraman_cross_check_with_installed_quantlib():
    """D: the installed QuantLib, built from the same DatedNote, gives the same NPV."""
    ql = pytest.importorskip("QuantLib")
    from tests.valuation.qlref import ql_convertible_npv

    schedule = ql.Schedule(
        ql.Date(15, 3, 2002),
        ql.Date(15, 3, 2022),
        ql.Period(ql.Semiannual),
        ql.UnitedStates(ql.UnitedStates.GovernmentBond),
        ql.Unadjusted,
        ql.Unadjusted,
        ql.DateGeneration.Backward,
        False,
    )
    npv = ql_convertible_npv(
        _balaraman_note(),
        evaluation=D(2004, 1, 9),
        issue=D(2002, 3, 15),
        schedule=schedule,
        coupon_rate=0.0575,
        settlement_days=2,
        calendar=ql.UnitedStates(ql.UnitedStates.GovernmentBond),
        spot=29.04,
        vol=0.40,
        rate=0.04,
        dividend_yield=0.02,
        spread=0.03,
        steps=1000,
        curve_day_count="30/360",
        dividends=BALARAMAN_DIVIDENDS,
    )
    assert npv == pytest.approx(132.308276818, abs=1e-6)
    assert _balaraman("crr") == pytest.approx(npv, abs=1e-8)


# --- E. Black–Scholes and warrant dilution -----------------------------------------------------


def test_E1_hull_black_scholes_call_4_7594_put_0_8086():
    """E1: Hull's example S=42, K=40, r=10%, σ=20%, T=0.5."""
    assert bs_price(True, 42.0, 40.0, 0.5, 0.10, 0.0, 0.20) == pytest.approx(4.7594, abs=1e-4)
    assert bs_price(False, 42.0, 40.0, 0.5, 0.10, 0.0, 0.20) == pytest.approx(0.8086, abs=1e-4)


def test_E2_hull_warrant_dilution_5_8669():
    """E2: Hull OFOD "Warrants, employee stock options, and dilution": N/(N+M)·C = 5.8669."""
    w = warrant_value(
        40.0, 60.0, 5.0, 0.03, 0.30, dilution="hull", shares_outstanding=1_000_000, warrants=200_000
    )
    assert w == pytest.approx(5.8669, abs=1e-4)
    assert warrant_value(40.0, 60.0, 5.0, 0.03, 0.30) == pytest.approx(7.0402, abs=1e-4)


def test_E3_galai_schneller_fixed_point_6_3901():
    """E3: W = N/(N+M)·C(S + (M/N)W) on E2 data → 6.390092, underlying 41.278018, 12 iterations."""
    w, underlying, iterations = galai_schneller(
        40.0, 60.0, 5.0, 0.03, 0.0, 0.30, 1e6, 2e5, 1e-12, 200
    )
    assert w == pytest.approx(6.390092, abs=1e-6)
    assert underlying == pytest.approx(41.278018, abs=1e-6)
    assert 10 <= iterations <= 20
    assert warrant_value(
        40.0,
        60.0,
        5.0,
        0.03,
        0.30,
        dilution="galai-schneller",
        shares_outstanding=1e6,
        warrants=2e5,
    ) == pytest.approx(6.3901, abs=1e-4)


def test_E4_ragtop_readme_prices_deltas_vegas():
    """E4: ragtop README blackscholes(c(CALL, PUT), S0=100, K=c(100,110), time=0.77, r=0.06)."""
    call = bs_greeks(True, 100.0, 100.0, 0.77, 0.06, 0.0, 0.20)
    put = bs_greeks(False, 100.0, 110.0, 0.77, 0.06, 0.0, 0.20)
    assert call[0] == pytest.approx(9.326839, abs=1e-6)
    assert put[0] == pytest.approx(9.963285, abs=1e-6)
    assert call[1] == pytest.approx(0.6372053, abs=1e-7)
    assert put[1] == pytest.approx(-0.5761608, abs=1e-7)
    assert call[3] == pytest.approx(32.91568, abs=1e-5)
    assert put[3] == pytest.approx(34.36717, abs=1e-5)


def test_E4_american_put_binomial_near_ragtop_and_ql():
    """E4: American put 5.24386 / 11.27715 (ragtop), QL FD 5.28489 / 11.29971: within 0.05."""
    from pipedeal.valuation.trees import binomial_option

    for k, ragtop, qlfd in ((100.0, 5.24386, 5.28489), (110.0, 11.27715, 11.29971)):
        v = binomial_option(False, 100.0, k, 281 / 365, 0.06, 0.20, steps=1001, tree="lr")
        assert v == pytest.approx(qlfd, abs=0.01)
        assert v == pytest.approx(ragtop, abs=0.05)


# --- C. QuantLib test-suite identities (test-suite/convertiblebonds.cpp), 16-Sep-2015 ---------

C_TODAY, C_ISSUE, C_MATURITY = D(2015, 9, 16), D(2015, 9, 18), D(2025, 9, 18)
C_MARKET = dict(spot=50.0, vol=0.15, rate=0.05, dividend_yield=0.02)


def _c_annual_coupons(rate: float) -> tuple[DatedCoupon, ...]:
    """5% annual on Actual360, TARGET schedule backwards from maturity (18 Sep each year, moved
    to the next TARGET business day: 18-Sep-2016 and 2021 are Sundays, 2022 a Sunday too)."""
    ql = pytest.importorskip("QuantLib")
    sched = ql.MakeSchedule(
        ql.Date(18, 9, 2015), ql.Date(18, 9, 2025), frequency=ql.Annual, calendar=ql.TARGET(),
        backwards=True,
    )
    days = [D(d.year(), d.month(), d.dayOfMonth()) for d in sched]
    return tuple(
        DatedCoupon(b, 100 * rate * (b - a).days / 360, a, b)
        for a, b in zip(days[:-1], days[1:], strict=True)
    )


def _c_value(conversion_ratio: float, settlement: D, spread: float, steps: int, american: bool,
             coupons: tuple[DatedCoupon, ...] = ()) -> float:
    """ql mode on the section C bond. QuantLib values a bond from its settlement date, and a
    bond that settles before its issue date from the issue date (``Bond::settlementDate``)."""
    origin = max(settlement, C_ISSUE)
    note = DatedNote(
        maturity=C_MATURITY,
        conversion_ratio=conversion_ratio,
        coupons=coupons,
        conversion_start=C_ISSUE if american else C_MATURITY,
        coupon_day_count="ACT/360",
    )
    spec = to_spec(note, origin, time_day_count="ACT/360", ql_conventions=True)
    mkt = MarketInputs(credit_spread=spread, **C_MARKET)
    return price(spec, mkt, model="ql", steps=steps)


C_SETTLEMENT = D(2015, 9, 21)  # 16-Sep-2015 + 3 TARGET business days


@pytest.mark.parametrize("american", [False, True])
def test_C_zero_coupon_convertible_is_a_zero_coupon_bond(american):
    """C testBond: CR 1e-16, spread 0.5%, CRR 1001: QL 1.44 57.264825 (EU and US); the
    identity: a zero-coupon bond on r + 0.5% from settlement, 100·e^{−0.055·3650/360} =
    57.255935, within 0.01."""
    v = _c_value(1e-16, C_SETTLEMENT, 0.005, 1001, american)
    assert v == pytest.approx(57.264825, abs=1e-6)
    bond = 100 * math.exp(-0.055 * (C_MATURITY - C_SETTLEMENT).days / 360)
    assert bond == pytest.approx(57.255935, abs=1e-6)
    assert v == pytest.approx(bond, abs=0.01)


@pytest.mark.parametrize("american", [False, True])
def test_C_fixed_coupon_convertible_is_a_fixed_rate_bond(american):
    """C testBond, 5% annual: QL 1.44 95.088554 (EU and US); ``FixedRateBond`` 95.080349 within
    0.02 (the table's identity)."""
    v = _c_value(1e-16, C_SETTLEMENT, 0.005, 1001, american, _c_annual_coupons(0.05))
    assert v == pytest.approx(95.088554, abs=1e-6)
    assert v == pytest.approx(95.080349, abs=0.02)


def test_C_option_identity_bond_plus_two_calls():
    """C testOption: CR 2, settlementDays 0 (the bond settles on its issue date, 18-Sep), spread
    0, European, CRR 2001: QL 1.44 86.872128; identity 100·DF(T) + 2·Call(K = 50) = 86.856326
    within 0.05. Our closed form from the evaluation date (T = 3655/360, the table's DF
    0.60191509) gives a call of 13.332638 against the table's 13.332408, so the identity is
    checked to 1e-3."""
    v = _c_value(2.0, C_TODAY, 0.0, 2001, american=False)
    assert v == pytest.approx(86.872128, abs=1e-6)
    t = (C_MATURITY - C_TODAY).days / 360
    assert math.exp(-0.05 * t) == pytest.approx(0.60191509, abs=1e-8)
    identity = 100 * math.exp(-0.05 * t) + 2 * bs_price(True, 50.0, 50.0, t, 0.05, 0.02, 0.15)
    assert identity == pytest.approx(86.856326, abs=1e-3)
    assert v == pytest.approx(identity, abs=0.05)
    # American: conversion on the settlement (issue) date is worth parity, 2 × 50, as QL's 100
    assert _c_value(2.0, C_TODAY, 0.0, 2001, american=True) == pytest.approx(100.0, abs=1e-12)


def test_C_dividends_spanning_settlement_keep_only_those_after_it():
    """C testDividendsSpanningSettlementDate: evaluation 15-Jan-2024, settlement three TARGET
    days later; a dividend of 1.0 the next business day (before settlement) is dropped, 10.0 a
    year after settlement is kept and escrowed at 10·DF(settlement + 1Y) from the curve's
    reference date (relative 1e-12)."""
    from pipedeal.valuation.lattice.grid import grid_inputs

    today, settlement = D(2024, 1, 15), D(2024, 1, 18)
    divs = (DatedDividend(D(2024, 1, 16), 1.0), DatedDividend(D(2025, 1, 18), 10.0))
    kept = dividends_for(divs, settlement, today, "ACT/360")
    assert len(kept) == 1 and kept[0].amount == 10.0
    mkt = MarketInputs(spot=50.0, vol=0.15, rate=0.05, dividends=kept)
    spec = ConvertibleSpec(maturity=10.0, conversion_ratio=2.0)
    df = math.exp(-0.05 * (D(2025, 1, 18) - today).days / 360)
    assert 50.0 - grid_inputs(spec, mkt, 100, True).x0 == pytest.approx(10.0 * df, rel=1e-12)


def test_C_regression_an_overflowing_lattice_is_an_error_not_a_number():
    """C testRegression: QuantLib must raise (the lattice reaches INF) on a 5% semiannual bond
    2008-07-23 → 2013-08-01, CR 100/20.3175, vol 2168.5%, spread 11.4987%, CRR 600, valued
    24-Dec-2008. The test's 25-node forward curve is not in the reference table; a flat 5%
    curve overflows the same way, and ``price`` says so in one line."""
    from pipedeal.errors import UserError

    note = DatedNote(
        maturity=D(2013, 8, 1),
        conversion_ratio=100 / 20.3175,
        coupons=tuple(
            DatedCoupon(D(2009 + k // 2, 2 if k % 2 == 0 else 8, 1), 2.5,
                        D(2008 + (k + 1) // 2, 8 if k % 2 == 0 else 2, 1),
                        D(2009 + k // 2, 2 if k % 2 == 0 else 8, 1))
            for k in range(10)
        ),
        conversion_start=D(2008, 7, 23),
    )
    spec = to_spec(note, D(2008, 12, 24), ql_conventions=True)
    mkt = MarketInputs(spot=20.0, vol=21.685, rate=0.05, credit_spread=0.114987)
    with pytest.raises(UserError, match="INF"):
        price(spec, mkt, model="ql", steps=600)


# --- H. PIPE-shaped stylized note: the warrants ------------------------------------------------


@pytest.mark.parametrize(("strike", "per_warrant", "per_100"), [(1.10, 0.643575, 7.3134),
                                                                 (1.25, 0.619933, 7.0447)])
def test_H_warrants_black_scholes_per_warrant_and_per_100_face(strike, per_warrant, per_100):
    """H: 12.5% coverage of 90.909 conversion shares = 11.3636 warrants per 100 face; BS with
    S = 1, r = 3.5%, σ = 80%, T = 5, no dilution."""
    w = warrant_value(1.0, strike, 5.0, 0.035, 0.80)
    assert w == pytest.approx(per_warrant, abs=1e-6)
    assert 0.125 * 100 / 1.10 * w == pytest.approx(per_100, abs=1e-4)
