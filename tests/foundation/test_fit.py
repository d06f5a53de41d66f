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
