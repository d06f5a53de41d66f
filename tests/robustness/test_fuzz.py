"""Fuzzing every user-reachable file parser (issue 12, "What to build" 2): deal.toml,
market.toml, closes.csv, the batch CSV and filing extraction each give a result or one clear
``UserError`` line, never another exception, and each input finishes within a bounded time.

Kept small for the suite (a few seconds in all); ``benchmarks/fuzz_soak.py`` runs the same
parsers on 100,000+ inputs."""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipedeal.errors import UserError
from pipedeal.filings.budget import ExtractionTimeout, time_budget
from pipedeal.filings.extract import extract_text
from pipedeal.market.closes import load_closes
from pipedeal.market.inputs import load_market
from pipedeal.terms import load_deal
from pipedeal.valuation.batch import read_batch_csv

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "innovo-2004"
BATCH = ROOT / "examples" / "notes-batch.csv"
SECONDS = 3.0  # per input; the parsers take milliseconds

FUZZ = settings(max_examples=25, deadline=dt.timedelta(seconds=SECONDS), derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

TOKENS = ["[", "]", "{", "}", "[[", "\"", "'", "=", ",", "\n", "#", "\x00", "\x1b[31m", "\ufeff",
          "\u202e", "1e999999", "-1e999999", "1e-999999", "inf", "nan", "-0", "0", "9" * 5000,
          "0001-01-01", "9999-12-31", "1980-01-02", "2199-01-01", "2004-06-31", "true",
          "[/y]", "[link=https://x.invalid]", "x" * 2000, "a = 1", "[[purchasers]]", "\r"]


@st.composite
def mutated(draw: st.DrawFn, base: str) -> str:
    """``base`` with a few insertions, deletions and replacements of tokens and random text."""
    text = base
    for _ in range(draw(st.integers(1, 4))):
        pos = draw(st.integers(0, len(text)))
        kind = draw(st.sampled_from(["insert", "delete", "replace", "repeat"]))
        piece = draw(st.one_of(st.sampled_from(TOKENS), st.text(max_size=20)))
        if kind == "insert":
            text = text[:pos] + piece + text[pos:]
        elif kind == "delete":
            text = text[:pos] + text[pos + draw(st.integers(1, 200)):]
        elif kind == "replace":
            end = text.find("\n", pos)
            end = len(text) if end < 0 else end
            cut = text.rfind("=", pos - 80 if pos > 80 else 0, end)
            text = text[: cut + 1] + " " + piece + text[end:] if cut >= 0 else piece + text
        else:
            text = text[:pos] + piece * draw(st.integers(2, 3000)) + text[pos:]
    return text


@contextmanager
def folder() -> Iterator[Path]:
    tmp = Path(tempfile.mkdtemp(prefix="pipedeal-fuzz-"))
    try:
        deal = tmp / "deal"
        shutil.copytree(EXAMPLE, deal)
        yield deal
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def clear_or_result(fn: Callable[[], Any]) -> None:
    """``fn()`` returns, or raises a one-line ``UserError``; within ``SECONDS`` (the alarm
    interrupts anything slower, so a hang fails instead of stalling the suite)."""
    start = time.monotonic()
    try:
        with time_budget(SECONDS):
            fn()
    except ExtractionTimeout:
        raise AssertionError(f"over the {SECONDS} s bound") from None
    except UserError as exc:
        assert "\n" not in exc.message and exc.message.strip(), repr(exc.message)
    assert time.monotonic() - start < SECONDS + 1.5


def _write(path: Path, text: str, raw: bytes | None) -> None:
    if raw is not None:
        path.write_bytes(raw)
    else:
        path.write_text(text, encoding="utf-8", errors="surrogatepass")


DEAL_TEXT = (EXAMPLE / "deal.toml").read_text()
MARKET_TEXT = (EXAMPLE / "market.toml").read_text()
CLOSES_TEXT = (EXAMPLE / "closes.csv").read_text()
BATCH_TEXT = BATCH.read_text()
FILING_TEXT = (EXAMPLE / "8-K.txt").read_text(encoding="utf-8", errors="replace")

as_bytes = st.one_of(st.none(), st.binary(max_size=300))


@FUZZ
@given(text=mutated(DEAL_TEXT), raw=st.one_of(st.none(), as_bytes))
def test_deal_toml(text: str, raw: bytes | None) -> None:
    with folder() as deal:
        _write(deal / "deal.toml", text, raw)
        clear_or_result(lambda: load_deal(deal))


@FUZZ
@given(text=mutated(MARKET_TEXT), raw=as_bytes)
def test_market_toml(text: str, raw: bytes | None) -> None:
    with folder() as deal:
        _write(deal / "market.toml", text, raw)
        clear_or_result(lambda: load_market(deal))


@FUZZ
@given(text=mutated(CLOSES_TEXT), raw=as_bytes)
def test_closes_csv(text: str, raw: bytes | None) -> None:
    with folder() as deal:
        _write(deal / "closes.csv", text, raw)
        clear_or_result(lambda: load_closes(deal / "closes.csv", "XNAS"))


@FUZZ
@given(rows=st.lists(st.lists(st.one_of(st.sampled_from(TOKENS), st.text(max_size=12)),
                              max_size=6), max_size=20))
def test_closes_csv_random_rows(rows: list[list[str]]) -> None:
    with folder() as deal:
        body = "\n".join(",".join(r) for r in rows)
        (deal / "closes.csv").write_text("date,close,volume,vwap\n" + body, encoding="utf-8",
                                         errors="surrogatepass")
        clear_or_result(lambda: load_closes(deal / "closes.csv", "XNAS"))


@FUZZ
@given(text=mutated(BATCH_TEXT), raw=as_bytes)
def test_batch_csv(text: str, raw: bytes | None) -> None:
    with folder() as deal:
        _write(deal / "notes.csv", text, raw)
        clear_or_result(lambda: read_batch_csv(deal / "notes.csv"))


@settings(FUZZ, max_examples=15)
@given(text=mutated(FILING_TEXT))
def test_filing_extraction(text: str) -> None:
    clear_or_result(lambda: extract_text(text, seconds=SECONDS))


def test_the_time_budget_interrupts_a_long_step() -> None:
    start = time.monotonic()
    try:
        with time_budget(0.2):
            time.sleep(5)  # one long step that never calls check()
    except ExtractionTimeout as exc:
        assert "time budget" in exc.message
    else:
        raise AssertionError("not interrupted")
    assert time.monotonic() - start < 3


def test_a_filing_over_budget_is_one_clear_line(tmp_path: Path) -> None:
    from pipedeal.filings.extract import extract_file

    filing = tmp_path / "8-K.txt"
    filing.write_text(FILING_TEXT * 20)
    try:
        extract_file(filing, seconds=1e-4)
    except ExtractionTimeout as exc:
        assert exc.message.startswith(f"{filing}: extraction stopped at the 0.0001 s time budget")
    else:
        raise AssertionError("no timeout")
