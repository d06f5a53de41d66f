"""Batch extraction: every file gets a line, a failure does not stop the rest, exit status 2."""

from __future__ import annotations

import json
import shutil

from typer.testing import CliRunner

from pipedeal.cli.app import app
from pipedeal.filings.batch import expand, extract_many

from .paths import FIXTURES, SEED_8K


def _corpus(tmp_path):
    src = tmp_path / "corpus"
    (src / "sub").mkdir(parents=True)
    for path in FIXTURES.iterdir():
        shutil.copy(path, src / path.name)
    shutil.copy(SEED_8K, src / "sub" / "innovo.txt")
    (src / "sub" / "broken.txt").write_bytes(b"\x00\xff\x00binary")
    (src / "empty.txt").write_text("")
    return src


def test_batch_cli_reports_failures_and_goes_on(tmp_path):
    src = _corpus(tmp_path)
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(app, ["extract", str(src), "--jsonl", str(out)])
    assert result.exit_code == 2
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(lines) == 6
    by_name = {line["source"].rsplit("/", 1)[-1]: line for line in lines}
    assert "binary" in by_name["broken.txt"]["error"]
    assert by_name["innovo.txt"]["terms"]["principal_amount_usd"]["value"] == 2500000
    assert by_name["empty.txt"]["terms"]["principal_amount_usd"]["value"] is None
    assert "6 files, 5 extracted, 1 failed" in result.stderr
    assert "files/s" in result.stderr
    assert "failed: " in result.stderr and "broken.txt" in result.stderr


def test_batch_glob_all_good(tmp_path):
    src = _corpus(tmp_path)
    (src / "sub" / "broken.txt").unlink()
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(app, ["extract", str(src / "*.txt"), "--jsonl", str(out)])
    assert result.exit_code == 0, result.output
    assert len(out.read_text().splitlines()) == 3  # apex, cardinal, empty


def test_batch_nothing_to_do(tmp_path):
    result = CliRunner().invoke(app, ["extract", str(tmp_path / "*.txt"), "--jsonl",
                                      str(tmp_path / "o.jsonl")])
    assert result.exit_code == 2
    assert "no filings found" in result.stderr


def test_extract_many_survives_an_internal_error(tmp_path, monkeypatch):
    src = _corpus(tmp_path)
    import pipedeal.filings.batch as batch

    real = batch.extract_file

    def flaky(path):
        if path.name == "apex-2021-current.txt":
            raise RuntimeError("boom")
        return real(path)

    monkeypatch.setattr(batch, "extract_file", flaky)
    result = extract_many(expand(str(src)), tmp_path / "o.jsonl")
    assert result.files == 6
    assert [m for _, m in result.failures if "boom" in m] == ["internal error: RuntimeError: boom"]
    assert result.ok == 4
