"""Paths shared by the filings tests."""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures"
ROOT = HERE.parents[1]
EXAMPLE = ROOT / "examples" / "innovo-2004"
SEED_8K = EXAMPLE / "8-K.txt"
