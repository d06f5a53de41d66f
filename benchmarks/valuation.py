"""Valuation engine vs QuantLib on the same PIPE-shaped convertible notes, in one run.

    python3 benchmarks/valuation.py [--n 1000] [--steps 500 1000] [--seed 2004] [--repeat 3]
                                    [--models ql tf hazard]

For each step count: QuantLib 1.x ``BinomialConvertibleEngine`` (CRR), one note at a time as a
user would (build the bond, set the engine, NPV), against ``pipedeal.valuation.batch.price_notes``
in ``ql`` mode (the same tree, same steps; the time includes turning each note into lattice
inputs, in numba, and the thread pool). Both best of ``--repeat`` runs. Before timing, ours is
warmed up: a first call at every step count loads the numba cache (or compiles) and allocates
the threads' scratch, so compile time is not in the figures. Prints notes per second for both,
the ratio, the largest price difference, node-updates per second and ns per node update per
core; the throughput of a loop of nothing but the rollback's per-node division (the floor);
the load average before and after; then single-note latency and our ``tf`` and ``hazard``
models' batch throughput (no QuantLib peer), with node-updates per second and ns per node
update per core, and the load average after them. ``--models`` picks what runs: ``ql`` (the
QuantLib comparison and the single-note latency), ``tf``, ``hazard`` (default: all three).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import subprocess
import time

import numba
import numpy as np
import QuantLib as ql
from numba import njit

from pipedeal.schedule.interest import add_months
from pipedeal.valuation.batch import BatchNote, prepare, price_notes
from pipedeal.valuation.convertible import lattice_kernel


def make_notes(n: int, seed: int, window_days: int = 0) -> list[BatchNote]:
    rng = random.Random(seed)
    notes = []
    for k in range(n):
        issue = dt.date(2004, 1, 1) + dt.timedelta(days=rng.randrange(0, 700))
        months = rng.choice([12, 18, 24, 36])
        valuation = issue + dt.timedelta(days=rng.randrange(0, 60))
        while valuation.weekday() >= 5:
            valuation += dt.timedelta(days=1)
        notes.append(BatchNote(
            id=str(k), valuation_date=valuation, issue_date=issue,
            maturity_date=add_months(issue, months), coupon=rng.choice([0.06, 0.075, 0.08, 0.1]),
            frequency=12, conversion_price=rng.uniform(0.8, 2.0),
            call_start=add_months(issue, 3), window_days=window_days, spot=rng.uniform(0.5, 2.5),
            volatility=rng.uniform(0.2, 1.2), rate=rng.uniform(0.005, 0.06),
            credit_spread=rng.uniform(0.02, 0.20), recovery=0.0, face=100.0,
            accrued_convertible=False,
        ))
    return notes


def qd(d: dt.date) -> ql.Date:
    return ql.Date(d.day, d.month, d.year)


def quantlib_npv(note: BatchNote, steps: int) -> float:
    """The same note, built the way a QuantLib user would."""
    today = qd(note.valuation_date)
    ql.Settings.instance().evaluationDate = today
    dc = ql.Actual365Fixed()
    cal = ql.WeekendsOnly()
    d = note.dated_note()
    schedule = ql.Schedule(
        [qd(note.issue_date)] + [qd(c.pay_date) for c in d.coupons], ql.NullCalendar(),
        ql.Unadjusted,
    )
    callability = ql.CallabilitySchedule()
    day = note.call_start
    while day <= note.maturity_date:
        if cal.isBusinessDay(qd(day)):
            callability.append(ql.Callability(ql.BondPrice(100.0, ql.BondPrice.Clean),
                                              ql.Callability.Call, qd(day)))
        day += dt.timedelta(days=1)
    bond = ql.ConvertibleFixedCouponBond(
        ql.AmericanExercise(qd(note.issue_date), qd(note.maturity_date)),
        note.face / note.conversion_price, callability, qd(note.issue_date), 0,
        [note.coupon], dc, schedule, note.face,
    )
    process = ql.BlackScholesMertonProcess(
        ql.QuoteHandle(ql.SimpleQuote(note.spot)),
        ql.YieldTermStructureHandle(ql.FlatForward(today, 0.0, dc)),
        ql.YieldTermStructureHandle(ql.FlatForward(today, note.rate, dc)),
        ql.BlackVolTermStructureHandle(ql.BlackConstantVol(today, cal, note.volatility, dc)),
    )
    bond.setPricingEngine(ql.BinomialConvertibleEngine(
        process, "crr", steps, ql.QuoteHandle(ql.SimpleQuote(note.credit_spread))))
    return bond.NPV()


@njit(cache=True, error_model="numpy")
def _divide(reps, a, b, out):
    for _ in range(reps):
        for j in range(a.shape[0]):
            out[j] = a[j] / b[j]


def division_floor_ns() -> float:
    """ns per float64 division, one core, vectorized as in the rollback (best of 20)."""
    a = np.random.default_rng(0).random(1000) + 1.0
    b, out = a[::-1].copy(), np.empty(1000)
    _divide(1, a, b, out)
    best = float("inf")
    for _ in range(20):
        t0 = time.perf_counter()
        _divide(2000, a, b, out)
        best = min(best, time.perf_counter() - t0)
    return best / 2000 / 1000 * 1e9


def cpu_model() -> str:
    try:
        for line in subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines():
            if line.startswith("Model name:"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def compare_quantlib(notes: list[BatchNote], args: argparse.Namespace, cores: int) -> None:
    """The ``ql`` batch against QuantLib, then single-note latency."""
    t0 = time.perf_counter()
    for steps in args.steps:  # warm-up: numba cache load (or compile), thread scratch
        price_notes(notes[: 4 * cores * 8], model="ql", steps=steps)
    print(f"warm-up (numba cache load or compile, thread scratch): {time.perf_counter() - t0:.2f} s"
          " - not in the figures below")
    floor = division_floor_ns()
    print(f"{'steps':>6} {'QL notes/s':>11} {'ours notes/s':>13} {'ratio':>7} "
          f"{'max |diff|':>11} {'ours node-upd/s':>16} {'ns/node/core':>13} {'QL node-upd/s':>14}")
    for steps in args.steps:
        t_ql = t_us = float("inf")
        for _ in range(args.repeat):  # best of N for both: the two cores are shared
            t0 = time.perf_counter()
            ref = np.array([quantlib_npv(n, steps) for n in notes])
            t_ql = min(t_ql, time.perf_counter() - t0)
            t0 = time.perf_counter()
            ours = price_notes(notes, model="ql", steps=steps)
            t_us = min(t_us, time.perf_counter() - t0)
        nodes = args.n * (steps + 1) * (steps + 2) / 2
        print(f"{steps:>6} {args.n / t_ql:>11.1f} {args.n / t_us:>13.1f} {t_ql / t_us:>7.1f} "
              f"{np.max(np.abs(ours - ref)):>11.2e} {nodes / t_us:>16.3e} "
              f"{t_us * cores / nodes * 1e9:>13.3f} {nodes / t_ql:>14.3e}")
    print(f"floor: one vectorized float64 division (the rollback's 1/(1 + rate*dt) per node) takes "
          f"{floor:.3f} ns per core here")
    print(f"load average after: {load()}")
    one = notes[0]
    for steps in args.steps:
        reps = 20
        quantlib_npv(one, steps)
        lattice_kernel(prepare(one, "ql", steps))  # warm-up
        t0 = time.perf_counter()
        for _ in range(reps):
            quantlib_npv(one, steps)
        t_ql = (time.perf_counter() - t0) / reps
        t0 = time.perf_counter()
        for _ in range(reps):
            lattice_kernel(prepare(one, "ql", steps))
        t_us = (time.perf_counter() - t0) / reps
        print(f"single note, {steps} steps: QuantLib {t_ql * 1e3:.2f} ms, ours {t_us * 1e3:.2f} ms"
              f" (ratio {t_ql / t_us:.1f})")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--steps", type=int, nargs="+", default=[500, 1000])
    ap.add_argument("--seed", type=int, default=2004)
    ap.add_argument("--repeat", type=int, default=3, help="best of this many runs")
    ap.add_argument(
        "--models", nargs="+", choices=("ql", "tf", "hazard"), default=["ql", "tf", "hazard"]
    )
    ap.add_argument(
        "--window-days", type=int, default=0,
        help="holder's election window after a call (tf/hazard only: QuantLib has none; the "
        "Innovo notes have 3 business days, about 5 calendar days)",
    )
    args = ap.parse_args()
    if args.window_days and "ql" in args.models:
        ap.error("--window-days: QuantLib has no election window; use --models tf hazard")
    notes = make_notes(args.n, args.seed, args.window_days)
    cores = numba.get_num_threads()
    print(f"QuantLib {ql.__version__}; numba {numba.__version__}; Python "
          f"{platform.python_version()}; {cpu_model()}; nproc {os.cpu_count()}, {cores} numba "
          f"threads; {args.n} PIPE-shaped notes (monthly coupons, callable daily after 3 months, "
          f"election window {args.window_days} days, vols 20-120%, spreads 2-20%)")
    print(f"load average before: {load()}")
    if "ql" in args.models:
        compare_quantlib(notes, args, cores)
    others = [m for m in args.models if m != "ql"]
    for model in others:
        for steps in args.steps:
            price_notes(notes[: 4 * cores * 8], model=model, steps=steps)  # warm-up
            t_us = float("inf")
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                price_notes(notes, model=model, steps=steps)
                t_us = min(t_us, time.perf_counter() - t0)
            nodes = args.n * (steps + 1) * (steps + 2) / 2
            print(f"ours {model}, {steps} steps: {args.n / t_us:.1f} notes/s, "
                  f"{nodes / t_us:.3e} node-updates/s, "
                  f"{t_us * cores / nodes * 1e9:.3f} ns/node/core")
    if others:
        print(f"load average after: {load()}")


if __name__ == "__main__":
    main()
