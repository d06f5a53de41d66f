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


# --- time to accuracy (issue 18): the least work within 0.01 per 100 face of the limit ----------

ACC_TOL = 0.01  # per 100 face
PDE_LADDER = (20, 30, 40, 50, 60, 75, 100, 150, 200, 300, 400)  # time steps (nodes: 2x)
TREE_LADDER = (250, 500, 1000, 2000, 4000, 8000)
QL_LADDER = (250, 500, 1000, 2000, 3000, 4000, 6000, 8000, 12000, 16000)
TIMED_NOTES = 10  # one-thread CPU time per note: the mean over the first ten notes
PDE_REF = 1200  # the hazard model's reference: the PDE at 1,200 time steps (2,400 nodes)
TREE_VARIANTS = {
    "tree (CRR)": {},
    "tree + smoothing": {"smoothing": True},
    "tree + smoothing + Richardson": {"smoothing": True, "richardson": True},
}


def pipe_notes_with_windows(n: int, seed: int) -> list[BatchNote]:
    """``make_notes`` with an election window of 3 or 5 business days (5 or 7 calendar days)."""
    from dataclasses import replace

    rng = random.Random(seed + 1)
    return [replace(note, window_days=rng.choice([5, 7])) for note in make_notes(n, seed)]


def innovo_rows() -> tuple[list, list[BatchNote]]:
    """The Innovo notes: (name, spec, market) as the deal values them on market.toml's date
    (``valuation.deal.dated_note``), and each as a batch row with its terms (coupons from the
    issue date; QuantLib's timing)."""
    from pathlib import Path

    import pipedeal
    from pipedeal.valuation.dated import to_spec
    from pipedeal.valuation.deal import dated_note, market_inputs

    loaded = pipedeal.load_deal(Path(__file__).resolve().parents[1] / "examples" / "innovo-2004")
    market = loaded.market
    day = market.as_of
    mkt = market_inputs(market, day)
    specs, rows = [], []
    for name, inst in loaded.notes.items():
        note, call = dated_note(inst, after=day)
        specs.append((name, to_spec(note, day), note, mkt, day))
        rows.append(BatchNote(
            id=name, valuation_date=day, issue_date=inst.issue_date,
            maturity_date=inst.maturity.pay_date, coupon=float(inst.terms.interest.rate),
            frequency=12, conversion_price=float(inst.base_conversion_price),
            call_start=inst.prepayment_from, window_days=call.election_window_calendar_days,
            spot=market.spot, volatility=market.volatility, rate=market.rate,
            credit_spread=market.credit_spread, recovery=market.recovery, face=100.0,
            accrued_convertible=note.accrued_convertible,
        ))
    return specs, rows


def first_within(values: dict[int, np.ndarray], ref: np.ndarray, ladder: tuple[int, ...]
                 ) -> np.ndarray:
    """Per note: the smallest work on ``ladder`` whose value, and every larger one's, is within
    ``ACC_TOL`` of ``ref`` (0 where none is)."""
    ok = np.stack([np.abs(values[n] - ref) <= ACC_TOL for n in ladder])
    stays = np.flip(np.logical_and.accumulate(np.flip(ok, 0), 0), 0)
    first = np.argmax(stays, axis=0)
    return np.where(stays.any(axis=0), np.array(ladder)[first], 0)


def _per_100(values: np.ndarray, notes: list[BatchNote]) -> np.ndarray:
    return values / np.array([n.face for n in notes]) * 100.0


def _timed(fn, *a, **kw) -> tuple[np.ndarray, float]:
    t0 = time.perf_counter()
    out = fn(*a, **kw)
    return out, time.perf_counter() - t0


def time_to_accuracy(args: argparse.Namespace) -> None:
    """The time-to-accuracy tables (``--accuracy``)."""
    from dataclasses import replace

    from pipedeal.valuation.convertible import price
    from pipedeal.valuation.pde import price as pde_price
    from pipedeal.valuation.pde.batch import price_notes as pde_notes

    cores = numba.get_num_threads()
    t_start = time.perf_counter()
    print(f"time to accuracy: within {ACC_TOL} per 100 face of the converged value; load "
          f"average {load()}; {cores} numba threads")
    notes = pipe_notes_with_windows(args.accuracy_n, args.seed)
    specs, innovo = innovo_rows()
    # warm-up (numba cache load or compile)
    pde_notes(notes[:8], steps=50)
    for kw in TREE_VARIANTS.values():
        price_notes(notes[:8], model="hazard", steps=250, **kw)
    price_notes(notes[:8], model="ql", steps=250)

    # 1. references: hazard model by the PDE at PDE_REF, checked against the PDE at half that
    # and the smoothed lattice at 16,000 steps; ql mode (= QuantLib) at 16,000 steps
    ref, t_ref = _timed(pde_notes, notes, steps=PDE_REF)
    ref = _per_100(ref, notes)
    half = _per_100(pde_notes(notes, steps=PDE_REF // 2), notes)
    check = [price(to_spec_of(nt), nt.market(), model="hazard", steps=16000, smoothing=True)
             for nt in notes[:4]]
    inn_ref = np.array([pde_price(sp, m, steps=PDE_REF) / sp.face * 100
                        for _, sp, _, m, _ in specs])
    inn_check = np.array([price(sp, m, model="hazard", steps=16000, smoothing=True) / sp.face * 100
                          for _, sp, _, m, _ in specs])
    plain = [replace(nt, window_days=0) for nt in notes]
    ql_ref = _per_100(price_notes(plain, model="ql", steps=16000), plain)
    print(f"references ({time.perf_counter() - t_start:.0f} s): PDE {PDE_REF} vs {PDE_REF // 2} "
          f"max |diff| {np.max(np.abs(ref - half)):.1e}; vs the smoothed lattice at 16,000 steps: "
          f"{max(abs(c - r) for c, r in zip(check, ref[:4], strict=False)):.1e} (4 random notes), "
          f"{np.max(np.abs(inn_check - inn_ref)):.1e} (Innovo); PDE reference {t_ref:.1f} s")

    # 2. each engine up its ladder on the random notes
    rows = []
    pde_vals = {n: _per_100(pde_notes(notes, steps=n), notes) for n in PDE_LADDER}
    print(f"ladders: PDE done ({time.perf_counter() - t_start:.0f} s)")
    rows.append(("PDE (CN, hazard)", first_within(pde_vals, ref, PDE_LADDER), "pde", {}))
    for label, kw in TREE_VARIANTS.items():
        vals = {n: _per_100(price_notes(notes, model="hazard", steps=n, **kw), notes)
                for n in TREE_LADDER}
        rows.append((label, first_within(vals, ref, TREE_LADDER), "tree", kw))
        print(f"ladders: {label} done ({time.perf_counter() - t_start:.0f} s)")
    ql_vals = {n: _per_100(price_notes(plain, model="ql", steps=n), plain) for n in QL_LADDER}
    rows.append(("QuantLib CRR (no window)", first_within(ql_vals, ql_ref, QL_LADDER), "ql", {}))

    # 3. time at the work that covers every note: one note on one thread, and the batch
    print(f"{args.accuracy_n} random PIPE-shaped notes, 3 or 5 business-day election window "
          "(QuantLib: none, its own model)")
    print(f"{'':<32} {'work (steps) for':>26} {'CPU ms/note, 1 thread':>22} {'batch':>12}")
    print(f"{'engine':<32} {'50%':>8} {'90%':>8} {'100%':>8} {'at 90%':>10} {'at 100%':>10} "
          f"{'notes/s':>12}")
    batch_rate: dict[str, float] = {}
    timing = notes[:TIMED_NOTES]

    def cpu_per_note(kind: str, kw: dict, n: int) -> float:
        """One-thread CPU seconds per note at work n (QuantLib: three notes, as a user would)."""
        if kind == "ql":
            sample = plain[:3]
            quantlib_npv(sample[0], 250)
            t0 = time.process_time()
            for nt in sample:
                quantlib_npv(nt, n)
            return (time.process_time() - t0) / len(sample)
        numba.set_num_threads(1)
        try:
            t0 = time.process_time()
            runner(kind, kw, n)(timing)
            return (time.process_time() - t0) / len(timing)
        finally:
            numba.set_num_threads(cores)

    def runner(kind: str, kw: dict, n: int):
        if kind == "pde":
            return lambda b: pde_notes(b, steps=n)
        return lambda b: price_notes(b, model="hazard", steps=n, **kw)

    for label, need, kind, kw in rows:
        reached = need[need > 0]
        if reached.size < need.size:
            print(f"{label:<32} {int(np.median(reached)) if reached.size else 0:>8} "
                  f"{'not all':>8} ({need.size - reached.size} notes beyond the ladder)")
            continue
        n90 = int(np.quantile(need, 0.9, method="higher"))
        n_all = int(need.max())
        t90 = cpu_per_note(kind, kw, n90)
        t_all = cpu_per_note(kind, kw, n_all)
        if kind == "ql":
            rate = 1.0 / t_all  # QuantLib prices one note at a time on one core
        else:
            # the batch on all threads: every note where a note takes < 20 ms, else the timed ones
            batch = notes if t_all < 0.02 else timing
            _, tb = _timed(runner(kind, kw, n_all), batch)
            rate = len(batch) / tb
        batch_rate[label] = rate
        print(f"{label:<32} {int(np.median(need)):>8} {n90:>8} {n_all:>8} {t90 * 1e3:>10.3f} "
              f"{t_all * 1e3:>10.3f} {rate:>12.1f}   ({time.perf_counter() - t_start:.0f} s)")
    q = batch_rate.get("QuantLib CRR (no window)")
    if q and "PDE (CN, hazard)" in batch_rate:
        ratio = batch_rate["PDE (CN, hazard)"] / q
        print(f"PDE batch / QuantLib at the same accuracy: {ratio:.0f}x")

    # 4. the Innovo notes, one at a time
    print("Innovo notes (the deal's contracts, market.toml; hazard; QuantLib: the steps ql mode, "
          "which equals it, needs on the contract without the window, and QuantLib's time for "
          "the note as a batch row at those steps)")
    print(f"{'note':<12} {'engine':<32} {'work':>6} {'CPU ms':>9}")
    from pipedeal.valuation.dated import to_spec

    for (name, sp, dnote, m, day), r, row in zip(specs, inn_ref, innovo, strict=True):
        cases = [("PDE (CN, hazard)", PDE_LADDER,
                  lambda n, sp=sp, m=m: pde_price(sp, m, steps=n) / sp.face * 100, r)]
        for label, kw in TREE_VARIANTS.items():
            cases.append((label, TREE_LADDER, lambda n, sp=sp, m=m, kw=kw: price(
                sp, m, model="hazard", steps=n, **kw) / sp.face * 100, r))
        ql_spec = to_spec(replace(dnote, notice_days=0), day, ql_conventions=True)
        ql_r = price(ql_spec, m, model="ql", steps=16000) / sp.face * 100
        cases.append(("QuantLib CRR (no window)", QL_LADDER, lambda n, s2=ql_spec, m=m: price(
            s2, m, model="ql", steps=n) / s2.face * 100, ql_r))
        for label, ladder, fn, target in cases:
            vals = {n: np.array([fn(n)]) for n in ladder}
            need = int(first_within(vals, np.array([target]), ladder)[0])
            if need == 0:
                print(f"{name:<12} {label:<32} {'>' + str(ladder[-1]):>6}")
                continue
            reps = 5 if need <= 2000 else 1
            # QuantLib's own time on the note as a batch row (no window), at the same steps
            timed = (lambda n, row=row: quantlib_npv(replace(row, window_days=0), n)) if (
                label.startswith("QuantLib")) else fn
            timed(need)
            t0 = time.process_time()
            for _ in range(reps):
                timed(need)
            ms = (time.process_time() - t0) / reps * 1e3
            print(f"{name:<12} {label:<32} {need:>6} {ms:>9.2f}")
    window_cost()
    print(f"load average after: {load()}; {time.perf_counter() - t_start:.0f} s")


def window_cost() -> None:
    """The election window's cost on the PDE: one-thread CPU time of the solve per note for
    windows of 0 to 90 days at three grid sizes (the first ten random notes; a window adds time
    levels where it ends on a coupon date, so the node-levels are given for each window)."""
    from dataclasses import replace

    from pipedeal.valuation.pde import setup
    from pipedeal.valuation.pde.solver import solve

    notes = make_notes(10, 2004)
    print("election window cost, PDE: CPU ms per note, one thread (thousands of node-levels)")
    print(f"{'N':>5} " + " ".join(f"{f'{d} days':>16}" for d in WINDOW_DAYS))
    for n in (50, 100, 200):
        cells = []
        for days in WINDOW_DAYS:
            args = []
            for note in notes:
                spec = to_spec_of(replace(note, window_days=days))
                args.append(setup(spec, note.market(), steps=n).args)
            solve(args[0])
            t0 = time.process_time()
            for a in args:
                solve(a)
            ms = (time.process_time() - t0) / len(args) * 1e3
            work = np.mean([len(a.t) * len(a.x) for a in args])
            cells.append(f"{ms:.3f} ({work / 1e3:.0f}k)")
        print(f"{n:>5} " + " ".join(f"{c:>16}" for c in cells))


WINDOW_DAYS = (0, 5, 30, 90)


def to_spec_of(note: BatchNote):
    from pipedeal.valuation.dated import to_spec

    return to_spec(note.dated_note(), note.valuation_date)


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
    ap.add_argument(
        "--accuracy", action="store_true",
        help="only the time-to-accuracy tables (PDE, trees with and without acceleration, "
        "QuantLib) on the Innovo notes and --accuracy-n random notes with election windows",
    )
    ap.add_argument("--accuracy-n", type=int, default=100)
    args = ap.parse_args()
    if args.accuracy:
        time_to_accuracy(args)
        return
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
