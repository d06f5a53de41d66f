"""extract --jsonl partitioned by file: the same lines as the single-machine batch (here and on a
2-worker LocalCluster), Parquet output, per-file errors recorded, resume after an interruption."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from tests.filings.paths import FIXTURES, SEED_8K
from typer.testing import CliRunner

from pipedeal.cli.app import app
from pipedeal.filings.batch import expand, extract_many
from pipedeal.scale.filings import expand_target, extract_files


def _corpus(tmp_path: Path, copies: int = 8) -> Path:
    """A few dozen filings: the fixtures and the seed 8-K under other amounts, plus two bad."""
    src = tmp_path / "corpus"
    (src / "sub").mkdir(parents=True)
    seed = SEED_8K.read_text()
    for k in range(copies):
        for path in FIXTURES.iterdir():
            shutil.copy(path, src / f"{k:02d}-{path.name}")
        text = seed.replace("$2,500,000", f"${2_500_000 + 100_000 * k:,}")
        (src / "sub" / f"innovo-{k:02d}.txt").write_text(text)
    (src / "sub" / "broken.txt").write_bytes(b"\x00\xff\x00binary")
    (src / "empty.txt").write_text("")
    return src


def _single(src: Path, tmp_path: Path) -> list[str]:
    out = tmp_path / "single.jsonl"
    extract_many(expand(str(src)), out)
    return out.read_text().splitlines()


def test_same_lines_as_the_single_machine_batch_here_and_on_the_cluster(client, tmp_path):
    src = _corpus(tmp_path)
    reference = _single(src, tmp_path)
    assert len(reference) == 34
    assert all(len(json.loads(line)["sha256"]) == 64 for line in reference)
    files = expand(str(src))
    for name, c in (("here", None), ("there", client)):
        out = tmp_path / f"{name}.jsonl"
        summary = extract_files(files, out, out, client=c, files_per_task=5)
        assert out.read_text().splitlines() == reference
        assert (summary.ok, len(summary.failures), summary.skipped) == (33, 1, 0)
        assert "binary" in dict(summary.failures)[str(src / "sub" / "broken.txt")]


def test_cli_parquet_then_resume_skips_what_is_there(tmp_path):
    src = _corpus(tmp_path, copies=4)
    reference = _single(src, tmp_path)
    out = tmp_path / "out.parquet"
    args = ["extract", str(src), "--jsonl", str(out)]  # a .parquet output: the partitioned path
    first = CliRunner().invoke(app, args)
    assert first.exit_code == 2, first.output  # the broken file
    assert "18 files, 17 extracted, 1 failed, 0 skipped" in first.stderr
    table = pq.read_table(out).to_pydict()
    assert table["record"] == reference
    assert table["error"].count(None) == 17
    again = CliRunner().invoke(app, args)  # same output: all but the failure skipped
    assert "18 files, 0 extracted, 1 failed, 17 skipped" in again.stderr
    assert sorted(pq.read_table(out).to_pydict()["record"]) == sorted(reference)


def test_an_interrupted_run_keeps_its_lines_and_the_rerun_completes_them(client, tmp_path):
    src = _corpus(tmp_path)
    reference = _single(src, tmp_path)
    files = expand(str(src))
    out = tmp_path / "out.jsonl"

    def stop(done: int) -> None:
        if done >= 10:
            raise KeyboardInterrupt

    tmp = tmp_path / "tmp.jsonl"
    first = extract_files(files, out, tmp, client=client, files_per_task=5, on_progress=stop)
    assert first.interrupted == "interrupted" and first.done == 10
    tmp.replace(out)  # as the command's atomic_path does on the way out
    assert out.read_text().splitlines() == reference[:10]
    second = extract_files(files, out, tmp, client=client, files_per_task=5)
    assert (second.kept, second.skipped, second.done) == (10, 10, 24)
    lines = tmp.read_text().splitlines()
    assert lines == reference  # nothing twice, nothing lost, input order
    assert len({json.loads(line)["source"] for line in lines}) == len(lines)


@pytest.mark.parametrize("bad", ["local", "local:0", "remote:2"])
def test_cluster_spec_is_checked(tmp_path, bad):
    src = _corpus(tmp_path, copies=1)
    result = CliRunner().invoke(app, ["extract", str(src), "--jsonl", str(tmp_path / "o.jsonl"),
                                      "--cluster", bad])
    assert result.exit_code == 2 and "use local:N" in result.output


def test_a_corpus_at_an_fsspec_url_gives_the_same_records_naming_the_urls(client, tmp_path):
    src = _corpus(tmp_path, copies=2)
    reference = [json.loads(line) for line in _single(src, tmp_path)]
    files = expand_target(f"file://{src}")
    assert files == [f"file://{p}" for p in expand(str(src))]
    out = tmp_path / "url.jsonl"
    summary = extract_files(files, out, out, client=client, files_per_task=3)
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["source"] for r in records] == files
    for r in (*records, *reference):
        r.pop("source")
    assert records == reference and len(summary.failures) == 1
    again = extract_files(files, out, tmp_path / "again.jsonl", client=client)
    assert again.skipped == len(files) - 1 and again.done == 1  # the failure is tried again


def test_a_tar_archive_of_filings_gives_the_same_records_here_and_on_the_cluster(client, tmp_path):
    import tarfile

    src = _corpus(tmp_path, copies=2)
    reference = [json.loads(line) for line in _single(src, tmp_path)]
    archive = tmp_path / "corpus.tar"
    with tarfile.open(archive, "w") as tar:
        tar.add(src, arcname="corpus")
    files = expand_target(str(archive))
    assert len(files) == len(reference)
    assert all(f.startswith("tar://corpus/") and f.endswith(f"::file://{archive}") for f in files)
    out = tmp_path / "tar.jsonl"
    extract_files(files, out, out, client=client, files_per_task=4)
    records = [json.loads(line) for line in out.read_text().splitlines()]
    for r in (*records, *reference):
        r.pop("source")
    assert records == reference
    # the command line takes the archive as it takes a folder, and resumes
    cli_out = tmp_path / "cli.jsonl"
    first = CliRunner().invoke(app, ["extract", str(archive), "--jsonl", str(cli_out)])
    assert first.exit_code == 2  # the corpus holds one binary file: recorded, not fatal
    again = CliRunner().invoke(app, ["extract", str(archive), "--jsonl", str(cli_out)])
    assert f"{len(files) - 1} skipped" in again.stderr


@pytest.mark.parametrize("content", [b"not a tar archive", b""])
def test_a_broken_or_empty_tar_is_one_line(tmp_path, content):
    import tarfile

    archive = tmp_path / "corpus.tar"
    if content:
        archive.write_bytes(content)
    else:
        tarfile.open(archive, "w").close()
    r = CliRunner().invoke(app, ["extract", str(archive), "--jsonl", str(tmp_path / "o.jsonl")])
    assert r.exit_code == 2, r.output
    (line,) = r.stderr.strip().splitlines()
    assert str(archive) in line
    assert not (tmp_path / "o.jsonl").exists()
