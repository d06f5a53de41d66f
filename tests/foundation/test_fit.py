"""The text book fits the terminal and cuts no number (issue 13 item 7)."""

from __future__ import annotations

import re

from typer.testing import CliRunner

from pipedeal.cli import app

runner = CliRunner()


def _book(example_dir, columns: int) -> list[str]:
    r = runner.invoke(app, ["book", str(example_dir)], env={"COLUMNS": str(columns)})
    assert r.exit_code == 0, r.output
    return r.stdout.splitlines()


def test_the_book_at_80_columns_cuts_no_number(example_dir):
    lines = _book(example_dir, 80)
    assert max(len(line) for line in lines) <= 80
    assert not any("…" in line for line in lines)
    text = "\n".join(lines)
    # every figure of the purchasers table is whole somewhere on the page
    for figure in ("$1,000,000.00", "653,594", "709,219", "370,370", "$191,250.00"):
        assert figure in text, figure
    assert re.search(r"Deal book as of 2004-06-22", text)


def test_a_wide_terminal_keeps_the_tables(example_dir):
    lines = _book(example_dir, 160)
    assert not any("…" in line for line in lines)
    assert any("┃" in line and "principal" in line for line in lines)


def test_a_missing_section_says_what_is_missing(example_dir, tmp_path):
    import shutil

    deal = tmp_path / "deal"
    shutil.copytree(example_dir, deal)
    (deal / "market.toml").unlink()
    text = "\n".join(_book(deal, 120))
    assert "No valuation section: no market.toml in the deal folder" in text
    assert "No ledger section: the deal has no ledger (pipedeal ledger init DEAL_DIR)" in text
