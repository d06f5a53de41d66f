"""Fuzz soak: every user-reachable file parser on many mutated inputs; crashes, hangs, slowest.

    python3 benchmarks/fuzz_soak.py                      # 100,000 cases, split over the parsers
    python3 benchmarks/fuzz_soak.py --cases 20000 --seed 7 --budget 2 --keep /tmp/fuzz-crashes

Parsers: ``deal.toml`` (``terms.load_deal``), ``market.toml`` (``market.load_market``),
``closes.csv`` (``market.closes.load_closes``), the batch CSV (``valuation.batch.read_batch_csv``)
and filing extraction (``filings.extract.extract_text``). Inputs are the example files
(``examples/``) mutated at random: tokens inserted (brackets, quotes, NUL, escape sequences,
``1e999999``, 5,000-digit numbers, dates in years 1 and 9999...), spans deleted or repeated up to
thousands of times, values replaced, lines duplicated or shuffled, deep nesting, invalid UTF-8,
truncation. Every case must give a result or a one-line ``UserError``:

* a *crash* is any other exception (its input is saved under ``--keep`` to reproduce);
* a *hang* is a case over ``--budget`` seconds (default 10; the product's budget per filing is
  30 s): the extraction time budget stops it, and this script puts the same budget and alarm
  around the other parsers;
* the *slowest* case of each parser is reported with its size and mutations.

Exit status 1 when any crash or hang was seen. Never part of the test suite.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "innovo-2004"
BATCH = ROOT / "examples" / "notes-batch.csv"

TOKENS = ["[", "]", "{", "}", "[[", "]]", '"', "'", '"""', "=", ",", "\n", "#", "\x00", "\x1b[31m",
          "\x1b]8;;https://x.invalid\x07", "\ufeff", "\u202e", "\r", "\t", "1e999999", "-1e999999",
          "1e-999999", "1e30", "inf", "nan", "-0", "0", "-1", "0.0000001", "9" * 5000,
          "0001-01-01", "9999-12-31", "1980-01-02", "2199-01-01", "2004-06-31", "2004-02-30",
          "true", "false", "[/y]", "[link=https://x.invalid]", "x" * 2000, "a = 1", "a.b.c = 1",
          "[[purchasers]]", "[note]", "[market]", "FILL", "\\", "\\u0000", "é", "😀",
          "1,000,000", "$1.53", "110%", "one hundred", "thirty-six months"]
MAX_CASE_CHARS = 30_000_000  # inputs are cut here (above every loader's size limit)
BAD_BYTES = [b"\xff", b"\xc3", b"\xe2\x82", b"\x80", b"\xed\xa0\x80", b"\x00"]


@dataclass
class Case:
    text: str | None
    raw: bytes | None
    ops: list[str]

    @property
    def size(self) -> int:
        return len(self.raw) if self.raw is not None else len(self.text or "")


@dataclass
class Tally:
    cases: int = 0
    results: int = 0
    user_errors: int = 0
    crashes: list[tuple[str, str, Path | None]] = field(default_factory=list)
    hangs: list[tuple[float, str, Path | None]] = field(default_factory=list)
    slowest: tuple[float, int, str] = (0.0, 0, "")
    seconds: float = 0.0


def mutate(rng: random.Random, base: str, *, filing: bool = False) -> Case:
    text, ops = base, []
    for _ in range(rng.choice([1, 1, 2, 3, 5])):
        if len(text) > MAX_CASE_CHARS:
            text = text[:MAX_CASE_CHARS]
            ops.append(f"cut to {MAX_CASE_CHARS:,}")
        op = rng.choice(["insert", "insert", "delete", "replace", "replace", "repeat", "dupline",
                         "shuffle", "nest", "truncate", "bytes"] + (["digits", "words"] if filing
                                                                     else []))
        pos = rng.randint(0, len(text))
        token = rng.choice(TOKENS) if rng.random() < 0.8 else "".join(
            chr(rng.randint(0, 0x2FFF)) for _ in range(rng.randint(1, 12)))
        if op == "insert":
            text = text[:pos] + token + text[pos:]
            ops.append(f"insert {token[:20]!r}@{pos}")
        elif op == "delete":
            n = rng.randint(1, 400)
            text = text[:pos] + text[pos + n:]
            ops.append(f"delete {n}@{pos}")
        elif op == "replace":
            lines = text.split("\n")
            i = rng.randrange(len(lines)) if lines else 0
            if lines:
                line = lines[i]
                cut = max(line.find("="), line.rfind(","))
                lines[i] = (line[: cut + 1] + token) if cut >= 0 else token
                text = "\n".join(lines)
            ops.append(f"replace line {i + 1} value with {token[:20]!r}")
        elif op == "repeat":
            n = rng.choice([2, 10, 100, 1000, 5000, 20000])
            text = text[:pos] + token * n + text[pos:]
            ops.append(f"repeat {token[:10]!r}×{n}@{pos}")
        elif op == "dupline":
            lines = text.split("\n")
            i = rng.randrange(len(lines))
            n = rng.choice([1, 2, 100, 2000])
            lines[i:i] = [lines[i]] * n
            text = "\n".join(lines)
            ops.append(f"duplicate line {i + 1}×{n}")
        elif op == "shuffle":
            lines = text.split("\n")
            rng.shuffle(lines)
            text = "\n".join(lines)
            ops.append("shuffle lines")
        elif op == "nest":
            n = rng.choice([20, 100, 1000, 3000])
            opener, closer = rng.choice([("[", "]"), ("{a=", "}"), ("[\n", "]\n")])
            text = text[:pos] + "x = " + opener * n + "1" + closer * n + "\n" + text[pos:]
            ops.append(f"nest {opener.strip()!r}×{n}@{pos}")
        elif op == "truncate":
            text = text[:pos]
            ops.append(f"truncate@{pos}")
        elif op == "digits":
            n = rng.choice([100, 5000, 80_000])
            text = text[:pos] + " " + "7" * n + ". " + text[pos:]
            ops.append(f"digit run {n}@{pos}")
        elif op == "words":
            word = rng.choice(["A", "million ", "Purchaser ", "WHEREAS, ", "<b>", "&amp;"])
            n = rng.choice([1000, 20_000, 100_000])
            text = text[:pos] + word * n + text[pos:]
            ops.append(f"word {word!r}×{n}@{pos}")
        else:  # bytes
            raw = text.encode("utf-8", "surrogatepass")
            p = rng.randint(0, len(raw))
            bad = rng.choice(BAD_BYTES)
            ops.append(f"bytes {bad!r}@{p}")
            if not filing:
                return Case(None, raw[:p] + bad + raw[p:], ops)
            text = (raw[:p] + bad + raw[p:]).decode("latin-1")
    if len(text) > MAX_CASE_CHARS:
        text = text[:MAX_CASE_CHARS]
        ops.append(f"cut to {MAX_CASE_CHARS:,}")
    return Case(text, None, ops)


def run_case(fn: Callable[[Case], Any], case: Case, budget: float, tally: Tally, name: str,
             keep: Path | None, index: int) -> None:
    from pipedeal.errors import UserError
    from pipedeal.filings.budget import ExtractionTimeout, time_budget

    start = time.perf_counter()
    outcome = "result"
    try:
        with time_budget(budget):
            fn(case)
    except ExtractionTimeout:
        outcome = "hang"
    except UserError as exc:
        outcome = "user_error"
        if "\n" in exc.message or not exc.message.strip():
            outcome = "crash"
            detail = f"UserError not one line: {exc.message[:200]!r}"
    except RecursionError as exc:
        outcome, detail = "crash", f"RecursionError: {exc}"
    except Exception as exc:  # noqa: BLE001 - recording crashes is the point
        outcome = "crash"
        frame = traceback.extract_tb(exc.__traceback__)[-1]
        detail = (f"{type(exc).__name__}: {str(exc)[:200]} "
                  f"({Path(frame.filename).name}:{frame.lineno})")
    elapsed = time.perf_counter() - start
    tally.cases += 1
    tally.seconds += elapsed
    if elapsed > tally.slowest[0]:
        tally.slowest = (elapsed, case.size, "; ".join(case.ops))
    if outcome == "result":
        tally.results += 1
    elif outcome == "user_error":
        tally.user_errors += 1
    else:
        saved = _save(keep, name, index, case) if keep else None
        if outcome == "hang" or elapsed > budget:
            tally.hangs.append((elapsed, "; ".join(case.ops), saved))
        else:
            tally.crashes.append((detail, "; ".join(case.ops), saved))


def _save(keep: Path, name: str, index: int, case: Case) -> Path:
    keep.mkdir(parents=True, exist_ok=True)
    path = keep / f"{name.replace('.', '_')}-{index}.bin"
    path.write_bytes(case.raw if case.raw is not None
                     else (case.text or "").encode("utf-8", "surrogatepass"))
    return path


def parsers(work: Path) -> dict[str, tuple[str, Callable[[Case], Any], bool]]:
    from pipedeal.filings.extract import extract_file
    from pipedeal.market.closes import load_closes
    from pipedeal.market.inputs import load_market
    from pipedeal.terms import load_deal
    from pipedeal.valuation.batch import read_batch_csv

    deal = work / "deal"
    shutil.copytree(EXAMPLE, deal)

    def write(name: str, case: Case) -> Path:
        path = deal / name
        if case.raw is not None:
            path.write_bytes(case.raw)
        else:
            path.write_bytes((case.text or "").encode("utf-8", "surrogatepass"))
        return path

    def filing(case: Case) -> Any:
        # through the file, as `pipedeal extract` reads it (size limit, NUL check, decoding)
        return extract_file(write("8-K-fuzz.txt", case), seconds=None)

    return {
        "deal.toml": ((EXAMPLE / "deal.toml").read_text(),
                      lambda c: (write("deal.toml", c), load_deal(deal)), False),
        "market.toml": ((EXAMPLE / "market.toml").read_text(),
                        lambda c: (write("market.toml", c), load_market(deal)), False),
        "closes.csv": ((EXAMPLE / "closes.csv").read_text(),
                       lambda c: load_closes(write("closes.csv", c), "XNAS"), False),
        "batch CSV": (BATCH.read_text(), lambda c: read_batch_csv(write("notes.csv", c)), False),
        "filings extract": ((EXAMPLE / "8-K.txt").read_text("utf-8", "replace"), filing, True),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000, help="total, split over parsers")
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--budget", type=float, default=10.0,
                        help="seconds per case: the extraction time budget, and a hang")
    parser.add_argument("--only", default="", help="comma-separated parser names")
    parser.add_argument("--keep", type=Path, default=None, help="save crash/hang inputs here")
    args = parser.parse_args()
    os.environ["PIPEDEAL_EXTRACT_SECONDS"] = str(args.budget)
    from pipedeal.market.calendars import trading_calendar

    trading_calendar("XNAS")  # built once, outside the timings
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="pipedeal-soak-") as tmp:
        table = parsers(Path(tmp))
        names = [n for n in table if not args.only or n in args.only.split(",")]
        per = max(args.cases // len(names), 1)
        tallies: dict[str, Tally] = {}
        load_before = os.getloadavg()
        started = time.perf_counter()
        for name in names:
            base, fn, filing = table[name]
            tally = tallies[name] = Tally()
            for i in range(per):
                run_case(fn, mutate(rng, base, filing=filing), args.budget, tally, name,
                         args.keep, i)
                if (i + 1) % 5000 == 0:
                    print(f"  {name}: {i + 1:,}/{per:,}", file=sys.stderr, flush=True)
        wall = time.perf_counter() - started
        load_after = os.getloadavg()
    total = sum(t.cases for t in tallies.values())
    crashes = sum(len(t.crashes) for t in tallies.values())
    hangs = sum(len(t.hangs) for t in tallies.values())
    print(f"fuzz soak: {total:,} cases, seed {args.seed}, budget {args.budget:g} s per case, "
          f"{wall:.0f} s wall; Python {platform.python_version()}, {os.cpu_count()} cpus, "
          f"1-min load {load_before[0]:.2f} before / {load_after[0]:.2f} after")
    print(f"{'parser':<16} {'cases':>8} {'results':>8} {'UserError':>9} {'crashes':>7} "
          f"{'hangs':>5} {'mean ms':>8} {'slowest':>8}  slowest input")
    for name, t in tallies.items():
        secs, size, ops = t.slowest
        print(f"{name:<16} {t.cases:>8,} {t.results:>8,} {t.user_errors:>9,} {len(t.crashes):>7} "
              f"{len(t.hangs):>5} {1000 * t.seconds / max(t.cases, 1):>8.2f} {secs:>7.3f}s  "
              f"{size:,} chars: {ops[:120]}")
    for name, t in tallies.items():
        for detail, ops, saved in t.crashes[:10]:
            print(f"CRASH {name}: {detail} <- {ops[:160]}" + (f" [{saved}]" if saved else ""))
        for secs, ops, saved in t.hangs[:10]:
            print(f"HANG {name}: {secs:.2f} s <- {ops[:160]}" + (f" [{saved}]" if saved else ""))
    print(f"total: {crashes} crashes, {hangs} over the {args.budget:g} s budget")
    return 1 if crashes or hangs else 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "src"))
    raise SystemExit(main())
