"""The README's command examples run as written (in a scratch copy of the example)."""

from __future__ import annotations

import shlex
import shutil
from pathlib import Path

import pytest
from tests.conftest import EXAMPLE, ROOT, skip_or_fail
from typer.testing import CliRunner

from pipedeal.cli import app
from pipedeal.report.html.chromium import find_chromium


def readme_commands() -> list[list[str]]:
    text = (ROOT / "README.md").read_text()
    start = text.index("```bash", text.index("## Commands")) + len("```bash")
    block = text[start : text.index("```", start)].replace("\\\n", " ")
    lines = [line.split("  #")[0].strip() for line in block.splitlines()]
    return [shlex.split(line) for line in lines if line and not line.startswith("#")]


def test_readme_lists_every_command():
    used = {argv[1] for argv in readme_commands()}
    groups = ("ledger", "market")  # commands with sub-commands
    used |= {f"{argv[1]} {argv[2]}" for argv in readme_commands() if argv[1] in groups}
    for name in ("book", "schedule", "value", "value-batch", "captable", "accounting",
                 "extract", "disclose", "ledger init", "ledger record", "ledger state",
                 "ledger due", "ledger history", "ledger verify", "ledger import",
                 "ledger head", "ledger keygen", "ledger checkpoint",
                 "export-ocf", "import-ocf", "market import"):  # fmt: skip
        assert name in used, name


def test_every_readme_command_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    if find_chromium() is None:
        skip_or_fail("Chromium is needed for the README's --pdf example")
    scratch = tmp_path / "innovo"
    shutil.copytree(EXAMPLE, scratch)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    runner = CliRunner()
    for argv in readme_commands():
        # /tmp/... in the README is this test's scratch folder; the bundled example stays as is
        argv = [a.replace("/tmp/", f"{tmp_path}/") for a in argv]
        result = runner.invoke(app, argv[1:])
        assert result.exit_code == 0, f"{shlex.join(argv)}\n{result.output}"
    assert (tmp_path / "book.pdf").stat().st_size > 10_000
    assert (scratch / "ledger.sqlite").exists()
    assert (tmp_path / "drafted" / "deal.toml").exists()
    assert not (EXAMPLE / "ledger.sqlite").exists()


def test_readme_python_example_runs(monkeypatch: pytest.MonkeyPatch):
    text = (ROOT / "README.md").read_text()
    start = text.index("```python", text.index("## Python API")) + len("```python")
    code = text[start : text.index("```", start)]
    monkeypatch.chdir(ROOT)
    scope: dict[str, object] = {}
    exec(compile(code, "README.md", "exec"), scope)  # noqa: S102 - our own README
    assert "state" in scope and "deal" in scope
