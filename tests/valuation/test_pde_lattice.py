"""The PDE engine (``pipedeal.valuation.pde``) against the lattice: the reference cases and 200
random contracts with election windows, puts, cash dividends, dividend yields and term
structures agree to 0.01 per 100 face; soft calls (where the lattice's nodes straddle the trigger)
within 0.15, the PDE converged to 0.01 by itself."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest
from tests.valuation.test_reference_cases import AFV_MARKET, AFV_NOTE

from pipedeal.valuation import pde
from pipedeal.valuation.convertible import (
    Call,
    ConvertibleSpec,
    Coupon,
    Dividend,
    MarketInputs,
    Put,
    price,
)

LATTICE_STEPS = 4000
PDE_STEPS = 800


def random_contract(rng: random.Random, soft_call: bool = False):
    """A PIPE-shaped note (6-12 months, coupons paid 0-12 times a year, callable from issue or
    after 1-3 months at par or 105 plus accrued with a 3-7 day election window, a put in a
    quarter of them) and a market (vols 20-90%, spreads 0-15%, recovery 0 or 30%; a quarter with
    two cash dividends, a quarter with a dividend yield, a fifth with vol and spread curves)."""
    T = rng.choice([0.5, 0.75, 1.0])
    freq = rng.choice([0, 2, 4, 12])
    rate_c = rng.choice([0.0, 0.06, 0.075, 0.10])
    coupons: tuple[Coupon, ...] = ()
    if freq and rate_c:
        per = 1.0 / freq
        coupons = tuple(
            Coupon((i + 1) * per, 100 * rate_c * per, i * per, (i + 1) * per)
            for i in range(int(round(T * freq)))
        )
    cp = rng.uniform(0.8, 1.6)
    spot = rng.uniform(0.6, 1.8)
    trigger = cp * rng.choice([1.2, 1.3, 1.5]) if soft_call else None
    calls = (Call(rng.choice([0.0, 1 / 12, 0.25]), T, rng.choice([100.0, 105.0]), trigger=trigger),)
    puts: tuple[Put, ...] = ()
    if rng.random() < 0.25:
        puts = (Put(round(T * rng.choice([0.5, 0.6]), 4), rng.choice([100.0, 102.0])),)
    divs: tuple[Dividend, ...] = ()
    if rng.random() < 0.25:
        divs = tuple(Dividend(t, spot * 0.01) for t in (0.3 * T, 0.7 * T))
    spec = ConvertibleSpec(
        maturity=T, conversion_ratio=100 / cp, coupons=coupons, calls=calls, puts=puts,
        accrued_convertible=rng.random() < 0.5, notice_years=rng.choice([3, 5, 7]) / 365,
    )
    vol = rng.uniform(0.2, 0.9)
    spread = rng.uniform(0.0, 0.15)
    curves = rng.random() < 0.2
    mkt = MarketInputs(
        spot=spot, vol=vol, rate=rng.uniform(0.005, 0.05), credit_spread=spread,
        recovery=rng.choice([0.0, 0.3]), dividends=divs,
        dividend_yield=rng.choice([0.0, 0.0, 0.0, 0.02]),
        spread_curve=((0.25, spread * 0.5), (1.0, spread)) if curves else (),
    )
    return spec, mkt


def _cases(n: int, seed: int, soft_call: bool = False):
    rng = random.Random(seed)
    return [random_contract(rng, soft_call) for _ in range(n)]


def test_random_contracts_cover_the_features():
    cases = _cases(200, 18)
    assert sum(bool(s.puts) for s, _ in cases) >= 30
    assert sum(bool(m.dividends) for _, m in cases) >= 30
    assert sum(m.dividend_yield > 0 for _, m in cases) >= 30
    assert sum(bool(m.spread_curve) for _, m in cases) >= 20
    assert {round(s.notice_years * 365) for s, _ in cases} == {3, 5, 7}


@pytest.mark.parametrize("block", range(4))
def test_pde_equals_lattice_on_random_contracts(block):
    """hazard model, 50 contracts per block: PDE (800 steps) within 0.01 per 100 of the lattice
    (4,000 steps, smoothed: its last step and the election window in closed form, without
    which it is not within 0.01 of its own limit at 4,000 steps)."""
    worst = []
    for spec, mkt in _cases(200, 18)[50 * block : 50 * (block + 1)]:
        lat = price(spec, mkt, model="hazard", steps=LATTICE_STEPS, smoothing=True)
        ours = pde.price(spec, mkt, model="hazard", steps=PDE_STEPS)
        worst.append(abs(ours - lat))
    assert max(worst) < 0.01


def test_soft_calls_pde_converged_and_the_lattice_closing_in():
    """Soft calls (no cash dividends: with them the escrowed trigger moves off its node and the
    PDE is first order): the PDE, the trigger on a node, moves by < 0.01 from 400 to 800 steps.
    The lattice's nodes straddle the trigger and it converges slowly from above (0.4 above the
    PDE at 4,000 steps on a note whose spot is just below its trigger): its mean gap to the PDE
    shrinks from 1,000 to 8,000 steps."""
    gaps = {1000: [], 8000: []}
    for spec, mkt in _cases(10, 7, soft_call=True):
        mkt = replace(mkt, dividends=())
        a = pde.price(spec, mkt, model="hazard", steps=400)
        b = pde.price(spec, mkt, model="hazard", steps=800)
        assert abs(a - b) < 0.01
        for n, gap in gaps.items():
            gap.append(price(spec, mkt, model="hazard", steps=n, smoothing=True) - b)
    assert min(gaps[8000]) > -0.01
    assert sum(gaps[8000]) < 0.6 * sum(gaps[1000])


@pytest.mark.parametrize(
    ("model", "market"),
    [("tf", {"credit_spread": 0.0}), ("tf", {}), ("hazard", {"eta": 0.0}), ("hazard", {})],
)
def test_afv_note_pde_equals_lattice(model, market):
    """B: the AFV note, PDE (800 steps) within 0.01 of the lattice (4,000 steps)."""
    mkt = replace(AFV_MARKET, **market)
    lat = price(AFV_NOTE, mkt, model=model, steps=4000, parity_average=model == "tf")
    assert pde.price(AFV_NOTE, mkt, model=model, steps=800) == pytest.approx(lat, abs=0.01)
