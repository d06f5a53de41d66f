"""Scale-out on Dask (issue 15): one process vs a 1-worker and a 2-worker LocalCluster, on
``value-batch`` notes and on ``extract`` filings; scaling efficiency and per-task overhead; and
the peak memory of the streaming path.

    python3 benchmarks/scale.py [--notes 100000] [--steps 500] [--filings 2000]
    python3 benchmarks/scale.py --peak 1000000 [--peak-steps 50]     # memory only

Workers run one task at a time with one numba thread each (the per-core figure); "1 process" is
``pipedeal.scale.valuation.value_file`` / ``pipedeal.scale.filings.extract_files`` with no
cluster, with numba's default threads (all cores, as the plain command runs) and with one.
Each figure is one run (the machine is shared: read ``uptime`` beside it). Results are checked
equal across the runs (values bit for bit, lines text for text).

Per-task overhead: 400 no-op partitions through ``ordered_map`` on the 1-worker cluster (submit,
run, fetch, in order with the window) — the fixed cost a partition pays on top of its work.

Peak memory: a child process per measurement (``ru_maxrss``): the streaming path CSV → Parquet on
N notes (partitions of 2,000 pricings), and, for contrast, the whole-file reader the plain
command uses (``read_batch_csv``: every note in memory at once).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import platform
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def write_notes(path: Path, n: int, seed: int = 11) -> None:
    """PIPE-shaped notes (12–36 months, monthly coupons, callable from three months after issue,
    5-day election window, spot 0.5–2.5, vol 30–120%), five issuers."""
    rng = random.Random(seed)
    with path.open("w", newline="") as handle:
        w = csv.writer(handle)
        w.writerow(["id", "valuation_date", "issue_date", "maturity_date", "coupon", "frequency",
                    "conversion_price", "call_start", "window_days", "spot", "volatility", "rate",
                    "credit_spread", "recovery", "face", "issuer"])
        for k in range(n):
            issue = dt.date(2024, 1, 1) + dt.timedelta(days=rng.randint(0, 365))
            maturity = issue + dt.timedelta(days=rng.randint(365, 1095))
            vol = round(rng.uniform(0.3, 1.2), 4)
            w.writerow([f"n{k}", issue, issue, maturity, 0.06, 12,
                        round(rng.uniform(0.8, 2.0), 4), issue + dt.timedelta(days=91), 5,
                        round(rng.uniform(0.5, 2.5), 4), vol, round(rng.uniform(0.005, 0.06), 4),
                        round(rng.uniform(0.02, 0.2), 4), 0.0, 1_000_000, f"I{k % 5}"])


def _noop(x: int) -> int:
    return x


def _warm_value(src: str, steps: int) -> int:
    """On a worker: import and load the kernels (numba cache) before the clock starts."""
    from pipedeal.scale.columnar import iter_notes
    from pipedeal.valuation.batch import price_notes

    notes = next(iter_notes(Path(src), 16))
    return len(price_notes(notes, model="hazard", steps=steps))


def _warm_extract(path: str) -> int:
    from pipedeal.filings.batch import extract_record

    extract_record(path)
    return 1


def value_runs(src: Path, work: Path, steps: int) -> None:
    import numba
    import pyarrow.parquet as pq

    from pipedeal.scale.cluster import connect, ordered_map
    from pipedeal.scale.valuation import value_file

    n = sum(1 for _ in src.open()) - 1
    print(f"\n## value-batch: {n:,} notes, hazard model, {steps} steps, partitions of 2,000")
    print(f"load before: {uptime()}")
    value_file(src, work / "warm.parquet", steps=steps, chunk=2000)  # numba cache, page cache
    results: dict[str, tuple[float, object]] = {}

    def run(label: str, client: object | None) -> None:
        out = work / f"{label.replace(' ', '-')}.parquet"
        t0 = time.perf_counter()
        summary = value_file(src, out, steps=steps, chunk=2000, client=client)  # type: ignore[arg-type]
        secs = time.perf_counter() - t0
        values = pq.read_table(out).column("value").to_pylist()
        results[label] = (secs, values)
        load = uptime().split("load average: ")[1]
        print(f"| {label} | {secs:.1f} s | {summary.notes / secs:,.0f} notes/s | "
              f"{summary.partitions} partitions | {load} |")

    print("| run | time | throughput | tasks | load after |\n|---|---|---|---|---|")
    default_threads = numba.get_num_threads()
    run(f"1 process, {default_threads} numba threads", None)
    numba.set_num_threads(1)
    run("1 process, 1 numba thread", None)
    numba.set_num_threads(default_threads)
    overhead = 0.0
    with connect(cluster="local:1", numba_threads=1) as c:
        assert c is not None
        c.run(_warm_value, str(src), steps)
        run("LocalCluster 1 worker × 1 thread", c)
        t0 = time.perf_counter()
        assert list(ordered_map(_noop, range(400), c)) == list(range(400))
        overhead = (time.perf_counter() - t0) / 400
    with connect(cluster="local:2", numba_threads=1) as c:
        assert c is not None
        c.run(_warm_value, str(src), steps)
        run("LocalCluster 2 workers × 1 thread", c)
    ref = next(iter(results.values()))[1]
    same = all(v == ref for _, v in results.values())
    t1 = results["LocalCluster 1 worker × 1 thread"][0]
    t2 = results["LocalCluster 2 workers × 1 thread"][0]
    tp = results["1 process, 1 numba thread"][0]
    print(f"values bit-identical across the runs: {same}")
    print(f"scaling efficiency 1 → 2 workers: {t1 / (2 * t2):.2f} (speed-up {t1 / t2:.2f}×)")
    print(f"cluster cost on 1 worker vs 1 process, 1 thread: {t1 / tp - 1:+.1%}")
    print(f"per-task overhead (no-op partition round trip, 1 worker): {overhead * 1e3:.2f} ms")
    print(f"per-core rate: {n / tp:,.0f} notes/s at {steps} steps")
    client_ceiling(src)


def client_ceiling(src: Path) -> None:
    """What the client does alone per partition: read the file into partitions (CSV lines,
    Parquet record batches) and pickle each for the wire — the ceiling of a cluster run, whatever
    its size; and, for contrast, the parse and check that the workers do."""
    import pickle

    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    from pipedeal.scale.columnar import iter_parts

    pq_src = src.with_suffix(".parquet")
    pq.write_table(pacsv.read_csv(src), pq_src, row_group_size=10_000)
    for path in (src, pq_src):
        t0 = time.perf_counter()
        n = size = 0
        for part in iter_parts(path, 2000):
            n += len(part)
            size += len(pickle.dumps(part))
        secs = time.perf_counter() - t0
        t1 = time.perf_counter()
        parsed = sum(len(part.notes()) for part in iter_parts(path, 2000))
        parse = time.perf_counter() - t1
        print(f"client reads and pickles {path.suffix[1:]}: {n / secs:,.0f} notes/s "
              f"({size / n:.0f} bytes a note on the wire); the workers' parse and check: "
              f"{parsed / parse:,.0f} notes/s per core")


def filings_runs(n: int, work: Path) -> None:
    sys.path.insert(0, str(HERE))
    from extract import generate  # benchmarks/extract.py

    from pipedeal.scale.cluster import connect
    from pipedeal.scale.filings import extract_files

    folder = work / "corpus"
    folder.mkdir()
    t0 = time.perf_counter()
    generate(n, folder)
    files = sorted(p for p in folder.iterdir() if p.is_file())
    size = sum(p.stat().st_size for p in files)
    print(f"\n## extract: {n:,} generated filings ({size / 1e6:.1f} MB), generated in "
          f"{time.perf_counter() - t0:.0f} s")
    print(f"load before: {uptime()}")
    print("| run | time | throughput | load |\n|---|---|---|---|")
    texts: dict[str, tuple[float, str]] = {}

    def run(label: str, client: object | None) -> None:
        out = work / f"{label.replace(' ', '-')}.jsonl"
        out.unlink(missing_ok=True)
        t0 = time.perf_counter()
        s = extract_files(files, out, out, client=client)  # type: ignore[arg-type]
        secs = time.perf_counter() - t0
        assert not s.failures and s.done == n
        texts[label] = (secs, out.read_text())
        print(f"| {label} | {secs:.1f} s | {n / secs:,.1f} files/s | "
              f"{uptime().split('load average: ')[1]} |")

    run("1 process", None)
    for workers in (1, 2):
        with connect(cluster=f"local:{workers}", numba_threads=1) as c:
            assert c is not None
            c.run(_warm_extract, str(files[0]))
            run(f"LocalCluster {workers} worker{'s' if workers > 1 else ''}", c)
    ref = texts["1 process"][1]
    print(f"lines identical across the runs: {all(t == ref for _, t in texts.values())}")
    t1, t2 = texts["LocalCluster 1 worker"][0], texts["LocalCluster 2 workers"][0]
    print(f"scaling efficiency 1 → 2 workers: {t1 / (2 * t2):.2f} (speed-up {t1 / t2:.2f}×)")
    print(f"per-core rate: {n / texts['1 process'][0]:,.1f} files/s")


def hwm_kib() -> int:
    """This process's peak resident set (``VmHWM``: per address space, so fresh after exec,
    unlike ``ru_maxrss``, which a child inherits from the parent it was forked from)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def peak_child(mode: str, src: str, steps: int) -> None:
    from pipedeal.scale.valuation import value_file
    from pipedeal.valuation.batch import price_notes, read_batch_csv

    base = hwm_kib()
    t0 = time.perf_counter()
    if mode == "stream":
        s = value_file(Path(src), Path(src).with_suffix(".out.parquet"), steps=steps, chunk=2000)
        what = f"{s.notes:,} notes streamed CSV → Parquet"
    elif mode == "stream-parquet":
        out = Path(src).with_suffix(".out2.parquet")
        s = value_file(Path(src), out, steps=steps, chunk=2000)
        what = f"{s.notes:,} notes streamed Parquet → Parquet"
    else:
        notes = read_batch_csv(Path(src))
        price_notes(notes[:16], model="hazard", steps=steps)  # the kernels loaded, as above
        what = f"{len(notes):,} notes read whole (read_batch_csv, no pricing)"
    peak = hwm_kib()
    print(f"| {what} | {peak / 1024:,.0f} MiB | after imports {base / 1024:,.0f} MiB | "
          f"{time.perf_counter() - t0:.0f} s |", flush=True)


def peak_runs(n: int, steps: int, work: Path) -> None:
    src = work / "peak.csv"
    write_notes(src, n)
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    pq_src = work / "peak.parquet"
    pq.write_table(pacsv.read_csv(src), pq_src)
    print(f"\n## peak memory: {n:,} notes ({src.stat().st_size / 1e6:.0f} MB CSV, "
          f"{pq_src.stat().st_size / 1e6:.0f} MB Parquet), {steps} steps")
    print(f"load before: {uptime()}")
    print("| run | peak RSS | of which imports | time |\n|---|---|---|---|")
    for mode, path in (("stream", src), ("stream-parquet", pq_src), ("whole", src)):
        subprocess.run([sys.executable, __file__, "--child", mode, str(path), str(steps)],
                       check=True)
    print(f"load after: {uptime()}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--notes", type=int, default=100_000)
    ap.add_argument("--steps", type=int, default=500)
    ap.add_argument("--filings", type=int, default=2_000)
    ap.add_argument("--peak", type=int, default=0, help="only the peak-memory runs, N notes")
    ap.add_argument("--peak-steps", type=int, default=50)
    ap.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        peak_child(args.child[0], args.child[1], int(args.child[2]))
        return
    print(f"machine: {os.cpu_count()} cores ({cpu()}), Python {platform.python_version()}, "
          f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC")
    work = Path(tempfile.mkdtemp(prefix="pipedeal-scale-"))
    try:
        if args.peak:
            peak_runs(args.peak, args.peak_steps, work)
            return
        if args.notes:
            src = work / "notes.csv"
            write_notes(src, args.notes)
            value_runs(src, work, args.steps)
        if args.filings:
            filings_runs(args.filings, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
