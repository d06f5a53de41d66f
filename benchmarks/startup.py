"""Start-up time of the ``pipedeal`` command line: lazy command loading vs every module imported.

    python3 benchmarks/startup.py [--runs 7]

Each command is run ``--runs`` times as a fresh process; the table shows the fastest run (the
least disturbed by other jobs on a shared machine). "eager" runs the same command after importing
every command module first, which is what ``pipedeal`` did before commands were loaded lazily
(``pipedeal.cli.app.COMMANDS``) — the peer measured in the same run.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "innovo-2004"

LAZY = "import sys; from pipedeal.cli import main; sys.argv[0] = 'pipedeal'; main()"
EAGER = (
    "import importlib, sys\n"
    "from pipedeal.cli.app import COMMANDS\n"
    "for m in {m for m, _ in COMMANDS.values()}: importlib.import_module('pipedeal.cli.' + m)\n"
    "from pipedeal.cli import main; sys.argv[0] = 'pipedeal'; main()"
)

COMMANDS = [
    ["--help"],
    ["value", "--help"],
    ["ledger", "--help"],
    ["extract", str(EXAMPLE / "8-K.txt"), "--format", "json"],
    ["schedule", str(EXAMPLE), "--format", "csv"],
]


def fastest(code: str, argv: list[str], runs: int) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code, *argv], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f}; fastest of {args.runs} runs")
    print(f"{'command':58} {'lazy s':>7} {'eager s':>8}")
    for argv in COMMANDS:
        lazy = fastest(LAZY, argv, args.runs)
        eager = fastest(EAGER, argv, args.runs)
        shown = " ".join(a.replace(str(ROOT) + "/", "") for a in argv)
        print(f"pipedeal {shown:49} {lazy:7.2f} {eager:8.2f}")


if __name__ == "__main__":
    main()
