"""Defect 1 of issue 12: outputs write only regular files, never a deal's inputs or its ledger,
keep an existing file's mode (else honour the umask), and are atomic (JSON Lines too)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipedeal.cli import app
from pipedeal.errors import UserError
from pipedeal.outfiles import atomic_path, check_target, deal_inputs, ledger_files, write_atomic

SEED_8K = Path(__file__).resolve().parents[2] / "examples" / "innovo-2004" / "8-K.txt"


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stderr


def _schedule_to(deal: Path, out: Path, *extra: str) -> tuple[int, str]:
    return _run("schedule", str(deal), "--format", "csv", "--out", str(out), *extra)


@pytest.fixture
def ledger_deal(deal_copy: Path) -> Path:
    result = CliRunner().invoke(app, ["ledger", "init", str(deal_copy)])
    assert result.exit_code == 0, (result.output, result.exception)
    assert (deal_copy / "ledger.sqlite").is_file()
    return deal_copy


@pytest.fixture
def umask_077() -> Iterator[None]:
    old = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(old)


def _one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


# --- only regular files ---------------------------------------------------------------------


def test_a_fifo_is_refused_and_left_alone(deal_copy: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    code, err = _schedule_to(deal_copy, fifo)
    assert code == 2
    assert "FIFO" in _one_line(err) and "--out" in err
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_a_device_node_is_refused_and_left_alone(deal_copy: Path, tmp_path: Path) -> None:
    node = tmp_path / "null"
    try:
        os.mknod(node, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except (PermissionError, OSError):
        node = Path("/dev/null")  # refused before anything is written, so safe to name
    code, err = _run("book", str(deal_copy), "--html", str(node))
    assert code == 2
    assert "character device" in _one_line(err) and "--html" in err
    assert stat.S_ISCHR(os.lstat(node).st_mode)


def test_dev_stdout_is_refused() -> None:
    with pytest.raises(UserError, match="symbolic link|character device|FIFO|not a regular"):
        check_target("/dev/stdout", "--out")


def test_a_symlink_is_refused_unless_followed(deal_copy: Path, tmp_path: Path) -> None:
    real = tmp_path / "real.csv"
    real.write_text("old\n")
    link = tmp_path / "link.csv"
    link.symlink_to(real)
    code, err = _schedule_to(deal_copy, link)
    assert code == 2
    assert "symbolic link" in _one_line(err) and "--follow-symlinks" in err
    assert link.is_symlink() and real.read_text() == "old\n"
    code, err = _schedule_to(deal_copy, link, "--follow-symlinks")
    assert code == 0, err
    assert link.is_symlink(), "the link stays; its target is written"
    assert real.read_text().startswith("purchaser,")


def test_a_symlink_to_a_device_is_refused_even_when_followed(tmp_path: Path) -> None:
    link = tmp_path / "out.html"
    link.symlink_to("/dev/null")
    with pytest.raises(UserError, match="character device"):
        check_target(link, "--html", follow_symlinks=True)
    assert link.is_symlink()


# --- never the deal's inputs or its ledger --------------------------------------------------


@pytest.mark.parametrize("name", ["ledger.sqlite", "ledger.sqlite-wal", "deal.toml",
                                  "closes.csv", "market.toml"])
def test_schedule_never_replaces_the_deal_or_its_ledger(ledger_deal: Path, name: str) -> None:
    target = ledger_deal / name
    before = target.read_bytes() if target.exists() else None
    code, err = _schedule_to(ledger_deal, target)
    assert code == 2
    assert name in _one_line(err)
    assert (target.read_bytes() if target.exists() else None) == before
    code, err = _run("ledger", "verify", str(ledger_deal))
    assert code == 0, err


def test_another_deals_inputs_and_any_sqlite_database_are_refused(
    ledger_deal: Path, deal_copy: Path, tmp_path: Path
) -> None:
    other = tmp_path / "elsewhere.db"
    other.write_bytes((ledger_deal / "ledger.sqlite").read_bytes())
    with pytest.raises(UserError, match="SQLite database"):
        check_target(other, "--out")
    with pytest.raises(UserError, match="deal's own deal.toml"):
        check_target(ledger_deal / "deal.toml", "--out")


def test_a_hard_link_to_an_input_is_refused(deal_copy: Path, tmp_path: Path) -> None:
    alias = tmp_path / "alias.csv"
    os.link(deal_copy / "closes.csv", alias)
    before = alias.read_bytes()
    code, err = _schedule_to(deal_copy, alias)
    assert code == 2 and "input" in _one_line(err)
    assert (deal_copy / "closes.csv").read_bytes() == before


def test_the_db_option_and_env_are_protected(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                              ) -> None:
    db = tmp_path / "shared.db"
    assert db in deal_inputs(None, str(db))
    assert Path(str(db) + "-wal") in ledger_files(f"sqlite:///{db}")
    assert ledger_files("postgresql://u@h/d") == ()
    monkeypatch.setenv("PIPEDEAL_DB", str(db))
    with pytest.raises(UserError, match="input of this command"):
        check_target(db, "--html", protect=deal_inputs(None))


def test_value_batch_never_overwrites_its_input(tmp_path: Path) -> None:
    src = tmp_path / "notes.csv"
    src.write_text("id\n")
    code, err = _run("value-batch", str(src), "--out", str(src))
    assert code == 2 and "input of this command" in _one_line(err)
    assert src.read_text() == "id\n"


def test_extract_never_overwrites_the_filing_or_a_ledgered_deal(ledger_deal: Path,
                                                                  tmp_path: Path) -> None:
    filing = ledger_deal / "8-K.txt"
    before = (ledger_deal / "deal.toml").read_bytes()
    code, err = _run("extract", str(filing), "--deal-out", str(ledger_deal), "--force")
    assert code == 2 and "ledger" in _one_line(err)
    assert (ledger_deal / "deal.toml").read_bytes() == before
    batch = tmp_path / "in"
    batch.mkdir()
    copy = batch / "a.txt"
    copy.write_bytes(SEED_8K.read_bytes())
    code, err = _run("extract", str(batch), "--jsonl", str(copy))
    assert code == 2 and "input of this command" in _one_line(err)
    assert copy.read_bytes() == SEED_8K.read_bytes()


# --- modes ----------------------------------------------------------------------------------


def test_an_existing_files_mode_is_kept(deal_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "s.csv"
    out.write_text("old\n")
    out.chmod(0o600)
    code, err = _schedule_to(deal_copy, out)
    assert code == 0, err
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    out.chmod(0o664)
    write_atomic(out, "x", "--out")
    assert stat.S_IMODE(out.stat().st_mode) == 0o664


def test_a_new_file_honours_the_umask(deal_copy: Path, tmp_path: Path, umask_077: None) -> None:
    out = tmp_path / "new.csv"
    code, err = _schedule_to(deal_copy, out)
    assert code == 0, err
    assert stat.S_IMODE(out.stat().st_mode) == 0o600


def test_a_new_file_honours_the_umask_in_a_fresh_process(tmp_path: Path) -> None:
    out = tmp_path / "new.txt"
    code = ("import os; os.umask(0o027); from pipedeal.outfiles import write_atomic; "
            f"write_atomic({str(out)!r}, 'x', '--out')")
    subprocess.run([sys.executable, "-c", code], check=True)
    assert stat.S_IMODE(out.stat().st_mode) == 0o640


# --- atomic, and missing folders ------------------------------------------------------------


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch
                                                             ) -> None:
    out = tmp_path / "report.html"
    out.write_text("old")

    def boom(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(UserError, match="--html .*No space left"):
        write_atomic(out, "new", "--html")
    assert out.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]


def test_an_interrupted_context_leaves_the_old_file(tmp_path: Path) -> None:
    out = tmp_path / "o.jsonl"
    out.write_text("old\n")
    with pytest.raises(KeyboardInterrupt), atomic_path(out, "--jsonl") as tmp:
        tmp.write_text("half")
        raise KeyboardInterrupt
    assert out.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["o.jsonl"]


def test_jsonl_is_written_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = tmp_path / "in"
    src.mkdir()
    for name in ("a.txt", "b.txt"):
        (src / name).write_bytes(SEED_8K.read_bytes())
    out = tmp_path / "out.jsonl"
    out.write_text("previous run\n")
    import pipedeal.filings.batch as batch

    calls = []

    def interrupted(path: Path) -> dict:
        calls.append(path)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return {"ok": True}

    monkeypatch.setattr(batch, "extract_file", interrupted)
    CliRunner().invoke(app, ["extract", str(src), "--jsonl", str(out)])
    assert out.read_text() == "previous run\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "out.jsonl"]
    monkeypatch.undo()
    code, err = _run("extract", str(src), "--jsonl", str(out))
    assert code == 0, err
    assert len(out.read_text().splitlines()) == 2


@pytest.mark.parametrize("option", ["--jsonl", "--out", "--html", "--pdf"])
def test_a_missing_folder_is_one_line(deal_copy: Path, tmp_path: Path, option: str) -> None:
    target = str(tmp_path / "no" / "such" / "file")
    if option == "--jsonl":
        code, err = _run("extract", str(SEED_8K.parent), "--jsonl", target)
    elif option == "--out":
        code, err = _schedule_to(deal_copy, Path(target + ".csv"))
    else:
        code, err = _run("book", str(deal_copy), option, target)
    assert code == 2
    assert "does not exist" in _one_line(err) and option in err


def test_the_deals_filing_is_never_overwritten(deal_copy: Path) -> None:
    filing = deal_copy / "8-K.txt"
    before = filing.read_bytes()
    code, err = _run("disclose", str(deal_copy), "--out", str(filing))
    assert code == 2 and "8-K.txt" in _one_line(err)
    assert filing.read_bytes() == before


def test_the_filing_patterns_match_the_books_filing_check() -> None:
    from pipedeal.filings.disclose import FILING_PATTERNS
    from pipedeal.outfiles import FILING_PATTERNS as OURS

    assert OURS == FILING_PATTERNS


def test_a_price_file_named_in_the_terms_is_protected(deal_copy: Path) -> None:
    toml = deal_copy / "deal.toml"
    toml.write_text(toml.read_text().replace('closes = "closes.csv"', 'closes = "prices.csv"'))
    (deal_copy / "closes.csv").rename(deal_copy / "prices.csv")
    assert deal_copy / "prices.csv" in deal_inputs(deal_copy)
