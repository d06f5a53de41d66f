"""`extract --deal-out` drafts a deal that passes its own check: the per-purchaser split solved
from the filing's constraints (or marked FILL with the constraint), shares outstanding marked
FILL, and the filing copied into the draft folder."""

from __future__ import annotations

import shutil
import tomllib
from decimal import Decimal as D

from typer.testing import CliRunner

from pipedeal.cli import app
from pipedeal.filings.draft import solve_split, split_constraints

runner = CliRunner()
PRICES = [D("1.53"), D("1.41"), D("1.35")]


def test_the_exercise_figure_pins_the_innovo_split(example_dir, tmp_path):
    out = tmp_path / "drafted"
    r = runner.invoke(app, ["extract", str(example_dir / "8-K.txt"), "--deal-out", str(out)])
    assert r.exit_code == 0, r.output
    text = (out / "deal.toml").read_text()
    deal = tomllib.loads(text)
    assert [p["principal"] for p in deal["purchasers"]] == ["1000000", "1000000", "500000"]
    assert "3·P1 + P2 = 4,000,000" in text and "$451,875" in text
    assert "# [[issuer.shares_outstanding]]" in text and "FILL" in text
    assert (out / "8-K.txt").read_bytes() == (example_dir / "8-K.txt").read_bytes()
    # with prices for the closings, the draft passes its own checks (the 8-K's and [disclosure])
    shutil.copy(example_dir / "closes.csv", out / "closes.csv")
    r = runner.invoke(app, ["book", str(out), "--check", "--format", "json"])
    assert r.exit_code == 0, r.stderr


def test_constraints_in_whole_numbers():
    total, cov, proceeds = D("2500000"), D("0.125"), D("451875")
    assert split_constraints(total, PRICES, cov, proceeds) == "3·P1 + P2 = 4,000,000"
    assert solve_split(total, PRICES, cov, proceeds) == [D("1000000"), D("1000000"),
                                                         D("500000")]


def test_two_purchasers_are_decided_by_the_two_figures():
    prices = [D("2.00"), D("1.00")]
    # 0.1 warrant shares per dollar: 0.1·(2·P1 + 1·P2) = 130,000 with P1 + P2 = 1,000,000
    assert solve_split(D("1000000"), prices, D("0.1"), D("130000")) == [D("300000"),
                                                                        D("700000")]


def test_when_round_splits_do_not_decide_it_the_draft_says_so():
    # equal prices: the exercise figure says nothing about the split
    same = [D("1.00"), D("1.00"), D("1.00")]
    assert solve_split(D("3000000"), same, D("0.1"), D("300000")) is None
    assert split_constraints(D("3000000"), same, D("0.1"), D("300000")) == "0 = 0"
