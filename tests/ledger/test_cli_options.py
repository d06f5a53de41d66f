"""Mistyped options of ``ledger record``: one line naming the option, exit 2, nothing stored."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from pipedeal.cli import app

P1 = "Purchaser 1"


@pytest.mark.parametrize(
    ("args", "names"),
    [
        (["conversion", "-p", P1, "-d", "2004-08-02", "--principal", "abc"], "--principal"),
        (["conversion", "-p", P1, "-d", "2004-08-02", "--principal", "-100"], "--principal"),
        (["conversion", "-p", P1, "-d", "2004-13-01", "--principal", "100"], "--date"),
        (["conversion", "-p", "Nobody", "-d", "2004-08-02", "--principal", "100"], "Nobody"),
        (["warrant-exercised", "-p", P1, "-d", "2004-08-02", "--shares", "1.5"], "--shares"),
        (["warrant-exercised", "-p", P1, "-d", "2004-08-02", "--at", "25:00"], "--at"),
        (["stock-split", "-d", "2004-08-02", "--ratio", "0-for-1"], "--ratio"),
        (["stock-split", "-d", "2004-08-02", "--ratio", "banana"], "--ratio"),
        (["stock-dividend", "-d", "2004-08-02", "--percent", "-5"], "--percent"),
        (["interest-paid", "-p", P1, "-d", "2004-07-01", "--amount", "1e400x"], "--amount"),
    ],
)
def test_a_bad_option_is_one_line_naming_it(args, names, sqlite_backend):
    d = str(sqlite_backend.deal_dir)
    runner = CliRunner()
    assert runner.invoke(app, ["ledger", "init", d]).exit_code == 0
    before = runner.invoke(app, ["ledger", "history", d, "--format", "json"]).stdout
    result = runner.invoke(app, ["ledger", "record", d, *args])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("pipedeal: error: "), result.stderr
    assert names in lines[0]
    assert "Traceback" not in result.output
    assert runner.invoke(app, ["ledger", "history", d, "--format", "json"]).stdout == before
