"""closes.csv loading: ``pipedeal.market.closes.load_closes`` on N rows vs ``pandas.read_csv``.

    python3 benchmarks/closes.py            # --rows 16000 --repeat 5 (best of)

The file holds N consecutive XNAS sessions from 1990 on (date,close,volume,vwap, a comment line
every 1,000 rows). Ours parses every row into exact ``Decimal`` prices, checks field counts,
digit limits, strictly ascending dates, the calendar's range and that each date is a session;
the peer only parses the CSV into a DataFrame (no checks). Issue 12 asks for < 0.2 s at 16,000.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import pandas as pd

from pipedeal.market.calendars import trading_calendar
from pipedeal.market.closes import load_closes


def write_file(path: Path, rows: int) -> None:
    cal = trading_calendar("XNAS")
    sessions = cal.sessions[:rows]
    if len(sessions) < rows:
        raise SystemExit(f"the XNAS calendar has only {len(sessions)} sessions")
    lines = ["# synthetic prices", "date,close,volume,vwap"]
    for i, ts in enumerate(sessions):
        if i and i % 1000 == 0:
            lines.append(f"# row {i}")
        price = 1 + (i % 997) / 100
        lines.append(f"{ts.date().isoformat()},{price:.2f},{1000 + i},{price:.4f}")
    path.write_text("\n".join(lines) + "\n")


def best(fn: object, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=16_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    trading_calendar("XNAS")  # build the calendar once, outside the timings (cached per process)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "closes.csv"
        write_file(path, args.rows)
        series = load_closes(path, "XNAS")
        assert len(series.bars) == args.rows
        ours = best(lambda: load_closes(path, "XNAS"), args.repeat)
        peer = best(lambda: pd.read_csv(path, comment="#"), args.repeat)
    load = os.getloadavg()[0]
    print(f"rows {args.rows:,}  load_closes {ours:.3f} s  pandas.read_csv (peer, no checks) "
          f"{peer:.3f} s  (best of {args.repeat}; 1-min load {load:.2f} on {os.cpu_count()} cpus)")


if __name__ == "__main__":
    main()
