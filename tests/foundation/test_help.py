"""Help texts print as written (no emoji, no markup swallowed, no <bool> after flags), and shell
completion can be shown."""

from __future__ import annotations

from typer.testing import CliRunner

from pipedeal.cli import app

runner = CliRunner()


def test_help_prints_the_text_as_written():
    r = runner.invoke(app, ["captable", "--help"], env={"COLUMNS": "120"})
    assert r.exit_code == 0
    assert "A:B:STEP" in r.stdout and "🅱" not in r.stdout
    r = runner.invoke(app, ["book", "--help"], env={"COLUMNS": "120"})
    assert "--check" in r.stdout and "<bool>" not in r.stdout
    r = runner.invoke(app, ["--help"])
    assert "[OPTIONS]" in r.stdout and "--install-completion" in r.stdout


def test_completion_script_is_shown():
    r = runner.invoke(app, ["--show-completion", "bash"])
    assert r.exit_code == 0 and "complete" in r.stdout
