"""Corrupted stored rows and unknown database URLs are one line and exit 2, not a traceback
(issue 12 defect 6, the ledger's part)."""

from __future__ import annotations

import sqlite3

import pytest
from typer.testing import CliRunner

from pipedeal.cli import app

runner = CliRunner()


def test_an_unknown_database_kind_is_one_line(deal_copy):
    r = runner.invoke(app, ["ledger", "state", str(deal_copy), "--db", "foo://bar"])
    assert r.exit_code == 2
    assert r.stderr.strip().splitlines() == [
        "pipedeal: error: --db foo://bar: unknown database kind 'foo' (give a SQLite file or a "
        "postgresql+psycopg://USER@HOST/DB URL)"]


@pytest.mark.parametrize("body", ["not json", '{"date": "2004-13-45"}', "{}"])
def test_a_corrupted_event_row_is_one_line_naming_the_event(deal_copy, body):
    assert runner.invoke(app, ["ledger", "init", str(deal_copy)]).exit_code == 0
    with sqlite3.connect(deal_copy / "ledger.sqlite") as conn:
        conn.execute("UPDATE ledger_events SET body = ? WHERE seq = 2", (body,))
    r = runner.invoke(app, ["ledger", "state", str(deal_copy), "--as-of", "2004-07-01"])
    assert r.exit_code == 2, r.output
    (line,) = r.stderr.strip().splitlines()
    assert "event 2 cannot be read" in line
    assert runner.invoke(app, ["ledger", "verify", str(deal_copy)]).exit_code == 1
