"""A LocalCluster of 2 worker processes × 1 thread for the module's tests, and small inputs."""

from __future__ import annotations

import csv
import datetime as dt
import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipedeal.scale.cluster import connect

COLUMNS = [
    "id", "valuation_date", "issue_date", "maturity_date", "coupon", "frequency",
    "conversion_price", "call_start", "window_days", "spot", "volatility", "rate",
    "credit_spread", "recovery", "face", "issuer",
]


def write_notes(path: Path, n: int, seed: int = 1) -> Path:
    """``n`` random PIPE-shaped notes (as benchmarks/valuation.py draws them), three issuers."""
    rng = random.Random(seed)
    with path.open("w", newline="") as handle:
        w = csv.writer(handle)
        w.writerow(COLUMNS)
        for k in range(n):
            issue = dt.date(2024, 1, 1) + dt.timedelta(days=rng.randint(0, 60))
            valuation = issue + dt.timedelta(days=rng.randint(0, 30))
            maturity = issue + dt.timedelta(days=rng.randint(365, 1000))
            call = issue + dt.timedelta(days=90) if k % 3 else ""
            vol, recovery = round(rng.uniform(0.3, 1.2), 4), rng.choice([0.0, 0.3])
            # Hull's tree needs vol² above the default intensity spread / (1 − recovery)
            spread = round(min(rng.uniform(0.02, 0.2), vol * vol * (1 - recovery) / 2), 4)
            w.writerow([
                f"n{k}", valuation, issue, maturity, rng.choice([0.0, 0.05, 0.08]),
                rng.choice([12, 4, 0]), round(rng.uniform(0.8, 2.0), 4), call,
                rng.choice([0, 3, 10]), round(rng.uniform(0.5, 2.5), 4),
                vol, round(rng.uniform(0.005, 0.06), 4), spread, recovery,
                rng.choice([100_000, 250_000, 1_000_000]), f"ISSUER{k % 3}",
            ])
    return path


@pytest.fixture(scope="session")
def client() -> Iterator[object]:
    with connect(cluster="local:2") as c:
        yield c


@pytest.fixture
def notes_csv(tmp_path: Path) -> Path:
    return write_notes(tmp_path / "notes.csv", 300)
