"""``price_notes``' compiled path: the inputs it builds in numba are the per-note Python ones
(``prepare_fast``) number for number, its dates are Python's, and its values are the single-note
kernel's; a bad note raises the same error as before."""

from __future__ import annotations

import datetime as dt
import random

import numpy as np
import pytest

from pipedeal.errors import UserError
from pipedeal.schedule.interest import add_months
from pipedeal.valuation import batch as B
from pipedeal.valuation.batch import build
from pipedeal.valuation.convertible import QL_WORK_ROWS, KernelArgs, lattice_kernel, work_width


def notes(count: int, seed: int = 11) -> list[B.BatchNote]:
    """Varied CSV-shaped notes: every coupon frequency, with and without calls and election
    windows, valued before, on and after issue, month-end issue dates."""
    rng = random.Random(seed)
    out = []
    for k in range(count):
        issue = dt.date(2003, 1, 1) + dt.timedelta(days=rng.randrange(0, 900))
        if k % 7 == 0:
            issue = dt.date(2004, rng.choice([1, 3, 5, 8, 10]), 31)
        maturity = add_months(issue, rng.choice([6, 12, 18, 24, 36, 60]))
        valuation = issue + dt.timedelta(days=rng.randrange(-30, 200))
        if valuation >= maturity:
            valuation = issue
        out.append(
            B.BatchNote(
                id=str(k),
                valuation_date=valuation,
                issue_date=issue,
                maturity_date=maturity,
                coupon=rng.choice([0.0, 0.06, 0.075, 0.1]),
                frequency=rng.choice([0, 1, 2, 4, 12]),
                conversion_price=rng.uniform(0.5, 3.0),
                call_start=rng.choice([None, add_months(issue, 3), issue]),
                window_days=rng.choice([0, 0, 10, 30]),
                spot=rng.uniform(0.3, 3.0),
                volatility=rng.uniform(0.6, 1.2),
                rate=rng.uniform(-0.01, 0.08),
                credit_spread=rng.uniform(0.0, 0.3),
                recovery=rng.choice([0.0, 0.3]),
                face=rng.choice([100.0, 1000.0, 250000.0]),
                accrued_convertible=rng.random() < 0.5,
                dividend_yield=rng.choice([0.0, 0.02]),
            )
        )
    return out


def test_add_months_on_ordinals_is_pythons():
    start = dt.date(1999, 1, 1)
    for offset in range(0, 3 * 366, 3):
        day = start + dt.timedelta(days=offset)
        o = day.toordinal()
        assert build._civil(o) == (day.year, day.month, day.day)
        assert build._ordinal(day.year, day.month, day.day) == o
        for months in (1, 3, 6, 12, 13, 36):
            assert build._add_months(o, months) == add_months(day, months).toordinal()


@pytest.mark.parametrize(
    ("model", "tree"),
    [("ql", "crr"), ("ql", "jr"), ("tf", "crr"), ("hazard", "jr"), ("hull", "hull")],
)
@pytest.mark.parametrize("steps", [40, 121])
def test_compiled_inputs_equal_prepare_fast(model, tree, steps):
    batch = notes(60)
    code = {"ql": 0, "tf": 1, "hazard": 2, "hull": 2}[model]
    checked = 0
    for note in batch:
        try:
            ref = B.prepare_fast(note, model, steps, tree)
        except UserError:
            continue  # e.g. Hull's tree needs vol² above the intensity; tested below
        ints, flts = build.fields([note], model, tree, steps)
        g = np.full((build.INPUT_ROWS + QL_WORK_ROWS, work_width(steps)), -7.0)
        c = np.full((build.CONTRACT_ROWS, build.contract_scratch(ints)), -7.0)
        status, ours = build._build_note(
            ints[0], flts[0], code, build.FAST_TREES[tree], steps, g, c, np.zeros(3)
        )
        assert status == 0
        for key in KernelArgs._fields[:-1]:  # all but the output ``early``
            if key == "accrued" and model == "ql":
                continue  # not an input of the ql rollback; not built
            expected = np.asarray(getattr(ref, key))
            value = np.asarray(getattr(ours, key))
            assert np.array_equal(expected, value), (model, tree, note.id, key)
        checked += 1
    assert checked >= 20


@pytest.mark.parametrize("model", ["ql", "tf", "hazard", "hull"])
def test_price_notes_equals_single_note_kernel(model):
    batch = [n for n in notes(40, seed=5) if n.volatility**2 > n.credit_spread / (1 - n.recovery)]
    values = B.price_notes(batch, model=model, steps=90, chunk=8)
    single = [lattice_kernel(B.prepare_fast(n, model, 90)) for n in batch]
    assert list(values) == pytest.approx(single, rel=1e-13, abs=1e-13)


def test_progress_is_reported_up_to_the_last_note():
    seen: list[int] = []
    B.price_notes(notes(37), model="ql", steps=30, chunk=10, on_progress=seen.append)
    assert seen == sorted(seen) and seen[-1] == 37


def test_a_bad_note_raises_the_per_note_error():
    batch = notes(20)
    hopeless = B.BatchNote(**{**batch[3].__dict__, "volatility": 0.1, "credit_spread": 0.3})
    with pytest.raises(UserError, match="hull tree: needs vol"):
        B.price_notes([*batch[:5], hopeless, *batch[5:]], model="hull", steps=50)
    with pytest.raises(UserError, match="probability outside"):
        B.price_notes(
            [batch[0], B.BatchNote(**{**batch[0].__dict__, "volatility": 0.001})], steps=10
        )
