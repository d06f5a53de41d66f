"""Bad input: one clear line naming the file, field (and line), exit status 2, nothing written."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipedeal.cli import app


def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {
        str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in folder.rglob("*")
    }


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"fixture text {old!r} not found"
    path.write_text(text.replace(old, new, 1))


CASES = {
    "malformed TOML": (
        "deal.toml",
        "[issuer]",
        "[issuer",
        r"deal\.toml: invalid TOML: .*line 16",
    ),
    "missing field": (
        "deal.toml",
        'rate = "0.075"',
        'rat = "0.075"',
        r"deal\.toml:\d+: field note\.interest\."
        r"(rate: required field is missing|rat: unknown field)",
    ),
    "mistyped field": (
        "deal.toml",
        "closing_date = 2004-06-18",
        'closing_date = "18 June"',
        r"deal\.toml:128: field purchasers\[1\]\.closing_date: .*date",
    ),
    "negative principal": (
        "deal.toml",
        'principal = "500000"',
        'principal = "-500000"',
        r"deal\.toml:134: field purchasers\[2\]\.principal: Input should be greater than 0",
    ),
    "closing without prices": (
        "deal.toml",
        "closing_date = 2004-06-15",
        "closing_date = 2004-05-04",
        r"note\.conversion\.price \(Purchaser 1, issued 2004-05-04\): "
        r"window .*closes\.csv lacks 2004-04-27",
    ),
    "unknown calendar": (
        "deal.toml",
        'trading_calendar = "XNAS"',
        'trading_calendar = "XNOPE"',
        r"unknown trading calendar 'XNOPE'",
    ),
    "unknown business-day calendar": (
        "deal.toml",
        'business_day_calendar = "SEC"    #',
        'business_day_calendar = "MARS"    #',
        r"unknown business-day calendar 'MARS'",
    ),
    "unknown field": (
        "deal.toml",
        "[note.prepayment]\n",
        "[note.prepayment]\nearlist = 3\n",
        r"deal\.toml:\d+: field note\.prepayment\.earlist: unknown field",
    ),
    "draft placeholder left": (
        "deal.toml",
        'statistic = "average_close"',
        'fixed = "FILL"',
        r'deal\.toml:84: field note\.conversion\.price\.fixed: still "FILL", a placeholder',
    ),
    "empty price rule": (
        "deal.toml",
        'statistic = "average_close"\nwindow_sessions = 5\nwindow = "before"\nmultiplier = "1.10"\n'
        'decimals = 2\nrounding = "half_up"                    # open: to the cent, half-up\n',
        "",
        r"deal\.toml:83: field note\.conversion\.price: .*empty price rule",
    ),
    "misspelt exercise price": (
        "deal.toml",
        'exercise_price = "conversion_price"',
        'exercise_price = "conversion price"',
        r"deal\.toml:106: field warrant\.exercise_price: Input should be 'conversion_price'",
    ),
    "bad time zone": (
        "deal.toml",
        '"America/Los_Angeles"',
        '"Pacific/Nowhere"',
        r"field warrant: .*unknown time zone 'Pacific/Nowhere'",
    ),
    "time zone longer than a file name": (  # zoneinfo raised OSError (found by the fuzz soak)
        "deal.toml",
        '"America/Los_Angeles"',
        '"' + "Pacific/" + "x" * 300 + '"',
        r"field warrant: .*unknown time zone 'Pacific/x+'",
    ),
    "close on a closed day": (
        "closes.csv",
        "2004-06-14,",
        "2004-06-11,1.37,1000,1.37\n2004-06-14,",
        r"closes\.csv:\d+: 2004-06-11 is not a XNAS trading session",
    ),
    "non-numeric close": (
        "closes.csv",
        "2004-06-09,1.39,",
        "2004-06-09,abc,",
        r"closes\.csv:\d+: close 'abc' is not a number",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("command", ["book", "schedule"])
def test_bad_input_is_one_line_exit_2_nothing_written(case, command, deal_copy):
    file, old, new, pattern = CASES[case]
    _edit(deal_copy / file, old, new)
    before = _snapshot(deal_copy)
    out = deal_copy / "schedule.csv"
    args = [command, str(deal_copy)]
    if command == "schedule":
        args += ["--format", "csv", "--out", str(out)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("pipedeal: error: ")
    assert __import__("re").search(pattern, lines[0]), lines[0]
    assert "Traceback" not in result.output
    assert _snapshot(deal_copy) == before
    assert not out.exists()


def test_missing_folder(tmp_path):
    result = CliRunner().invoke(app, ["book", str(tmp_path / "nope")])
    assert result.exit_code == 2
    assert "no such deal file" in result.stderr
    assert os.listdir(tmp_path) == []


def test_unknown_purchaser_for_schedule(deal_copy):
    result = CliRunner().invoke(app, ["schedule", str(deal_copy), "--purchaser", "Nobody"])
    assert result.exit_code == 2
    assert "--purchaser: no purchaser named 'Nobody'" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["schedule", "{deal}", "--out", "{tmp}/missing/s.csv"], "--out .*does not exist"),
        (["schedule", "{deal}", "--out", "{tmp}/s.txt"], "--out .*give --format csv or json"),
        (["schedule", "{deal}", "--format", "csv", "--out", "{tmp}"], "--out .*is a directory"),
        (["disclose", "{deal}", "--out", "{tmp}/missing/8-K.txt"], "--out .*does not exist"),
        (
            ["value-batch", "{examples}/notes-batch.csv", "--out", "{tmp}/missing/v.csv"],
            "--out .*does not exist",
        ),
        (["book", "{deal}", "--html", "{tmp}/missing/b.html"], "--html .*does not exist"),
    ],
)
def test_an_unwritable_output_is_one_line_exit_2(args, message, deal_copy, tmp_path):
    from tests.conftest import ROOT

    fill = {"deal": str(deal_copy), "tmp": str(tmp_path), "examples": str(ROOT / "examples")}
    before = _snapshot(tmp_path)
    result = CliRunner().invoke(app, [a.format(**fill) for a in args])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and __import__("re").search(message, lines[0]), result.stderr
    assert _snapshot(tmp_path) == before


def test_schedule_out_takes_its_format_from_the_file_name(deal_copy, tmp_path):
    for name in ("s.csv", "s.json"):
        args = ["schedule", str(deal_copy), "--out", str(tmp_path / name)]
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 0, result.output
    assert (tmp_path / "s.csv").read_text().startswith("purchaser,pay_date,")
    assert (tmp_path / "s.json").read_text().lstrip().startswith("{")
