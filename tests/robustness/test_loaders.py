"""Defects 6 and 11 of issue 12 (file inputs): every mistake in deal.toml, market.toml,
closes.csv or a batch CSV is one line naming the file, the line and the field, exit status 2,
nothing written; never a traceback."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipedeal.cli import app
from pipedeal.errors import UserError
from pipedeal.market.closes import load_closes
from pipedeal.terms import load_deal
from pipedeal.valuation.batch import read_batch_csv

ROOT = Path(__file__).resolve().parents[2]
BATCH = ROOT / "examples" / "notes-batch.csv"


def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in folder.rglob("*")}


def _replace(name: str, old: str, new: str) -> Callable[[Path], None]:
    def edit(deal: Path) -> None:
        path = deal / name
        text = path.read_text()
        assert old in text, old
        path.write_text(text.replace(old, new, 1))
    return edit


def _append(name: str, data: bytes) -> Callable[[Path], None]:
    def edit(deal: Path) -> None:
        path = deal / name
        path.write_bytes(path.read_bytes() + data)
    return edit


def _closes_row(old_date: str, row: str) -> Callable[[Path], None]:
    """Replace the closes.csv row of ``old_date`` with ``row`` (a data line of our own)."""
    def edit(deal: Path) -> None:
        path = deal / "closes.csv"
        lines = path.read_text().splitlines(keepends=True)
        hits = [i for i, line in enumerate(lines) if line.startswith(old_date + ",")]
        assert len(hits) == 1, old_date
        lines[hits[0]] = row + "\n"
        path.write_text("".join(lines))
    return edit


def _line_of(deal: Path, name: str, startswith: str) -> int:
    for number, line in enumerate((deal / name).read_text("utf-8", "replace").splitlines(), 1):
        if line.startswith(startswith):
            return number
    raise AssertionError(startswith)


DEEP = 3000

# case: (edit, file, pattern of the one line; {line} is filled where the fixture knows it)
CASES: dict[str, tuple[Callable[[Path], None], str, str]] = {
    "deal.toml nested arrays": (
        _append("deal.toml", b"deep = " + b"[" * DEEP + b"]" * DEEP + b"\n"),
        "deal.toml", r"deal\.toml:\d+: nested deeper than 16 levels"),
    "deal.toml nested inline tables, 3,000 lines": (
        _append("deal.toml", b"deep = " + b"{a = \n" * 0 + b"".join(
            b"{ a = " for _ in range(DEEP)) + b"1" + b" }" * DEEP + b"\n"),
        "deal.toml", r"deal\.toml:\d+: nested deeper than 16 levels"),
    "deal.toml nested across 3,000 lines": (
        _append("deal.toml", b"deep = " + b"[\n" * DEEP + b"]\n" * DEEP),
        "deal.toml", r"deal\.toml:\d+: nested deeper than 16 levels"),
    "deal.toml dotted key 40,000 deep": (
        _append("deal.toml", b"a" + b".a" * 40_000 + b" = 1\n"),
        "deal.toml", r"deal\.toml:\d+: more than 64 dots outside strings on one line"),
    "market.toml dotted key 20,000 deep": (
        _append("market.toml", b"0.0000001" * 20_000 + b" = 1\n"),
        "market.toml", r"market\.toml:\d+: more than 64 dots"),
    "deal.toml invalid UTF-8": (
        _append("deal.toml", b"# caf\xe9\n"), "deal.toml", r"deal\.toml:\d+: not UTF-8 text"),
    "deal.toml principal 1e999999": (
        _replace("deal.toml", 'principal = "500000"', 'principal = "1e999999"'),
        "deal.toml", r"deal\.toml:\d+: field purchasers\[2\]\.principal"),
    "deal.toml principal 1e30": (
        _replace("deal.toml", 'principal = "500000"', 'principal = "1e30"'),
        "deal.toml", r"deal\.toml:\d+: field purchasers\[2\]\.principal"),
    "deal.toml principal with fractions of a cent": (
        _replace("deal.toml", 'principal = "500000"', 'principal = "500000.001"'),
        "deal.toml", r"deal\.toml:\d+: field purchasers\[2\]\.principal: .*2 decimal places"),
    "deal.toml tiny multiplier": (
        _replace("deal.toml", 'multiplier = "1.10"', 'multiplier = "1e-30"'),
        "deal.toml", r"deal\.toml:\d+: field note\.conversion\.price\.multiplier"),
    "deal.toml closing in year 9999": (
        _replace("deal.toml", "closing_date = 2004-06-18", "closing_date = 9999-12-31"),
        "deal.toml", r"deal\.toml:\d+: field purchasers\[1\]\.closing_date: .*outside"),
    "deal.toml closing after the trading calendar": (
        _replace("deal.toml", "closing_date = 2004-06-18", "closing_date = 2080-06-18"),
        "deal.toml", r"deal\.toml:\d+: field purchasers\[1\]\.closing_date: .*trading calendars"),
    "deal.toml closing on the trading calendar's first day": (
        _replace("deal.toml", "closing_date = 2004-06-18", "closing_date = 1990-01-02"),
        "deal.toml", r"deal\.toml:\d+: field purchasers\[1\]\.closing_date: .*trading calendars"),
    "deal.toml closing in year 1": (
        _replace("deal.toml", "closing_date = 2004-06-18", "closing_date = 0001-01-01"),
        "deal.toml", r"deal\.toml:\d+: field purchasers\[1\]\.closing_date: .*outside"),
    "deal.toml escape sequence in a name": (
        _replace("deal.toml", 'name = "', 'name = "\\u001b]0;pwned\\u0007'),
        "deal.toml", r"deal\.toml:\d+: field name: .*control character U\+001B"),
    "deal.toml huge share count": (
        _replace("deal.toml", "shares = ", "shares = 9" + "9" * 30 + " # "),
        "deal.toml", r"deal\.toml:\d+: field issuer\.shares_outstanding\[0\]\.shares"),
    "deal.toml 5,000-digit integer": (
        _replace("deal.toml", "shares = 29082593", "shares = " + "9" * 5000),
        "deal.toml", r"deal\.toml:\d+: a number with more than 4,300 digits"),
    "market.toml 5,000-digit integer": (
        _replace("market.toml", "steps = 500 ", "steps = " + "9" * 5000 + " "),
        "market.toml", r"market\.toml:\d+: a number with more than 4,300 digits"),
    "deal.toml closes outside the folder": (
        _replace("deal.toml", 'closes = "closes.csv"', 'closes = "../../etc/passwd"'),
        "deal.toml", r"deal\.toml:\d+: field market\.closes: .*inside the deal folder"),
    "market.toml nested": (
        _append("market.toml", b"deep = " + b"[" * DEEP + b"]" * DEEP + b"\n"),
        "market.toml", r"market\.toml:\d+: nested deeper"),
    "market.toml invalid UTF-8": (
        _append("market.toml", b"source2 = '\xff'\n"), "market.toml",
        r"market\.toml:\d+: not UTF-8"),
    "market.toml spot = 1e-300": (
        _replace("market.toml", "spot = 1.32 ", "spot = 1e-300 "),
        "market.toml", r"market\.toml:\d+: field spot: .*greater than or equal"),
    "market.toml spot = inf": (
        _replace("market.toml", "spot = 1.32 ", "spot = inf "),
        "market.toml", r"market\.toml:\d+: field spot: .*finite"),
    "market.toml as_of in year 9999": (
        _replace("market.toml", "as_of = 2004-07-28", "as_of = 9999-12-31"),
        "market.toml", r"market\.toml:\d+: field as_of: .*outside"),
    "closes.csv row before the calendar": (
        _closes_row("2004-05-03", "1980-01-02,1.55,214000,1.5440"),
        "closes.csv", r"closes\.csv:\d+: 1980-01-02 is outside the XNAS calendar"),
    "closes.csv row after the calendar": (
        _append("closes.csv", b"2199-01-05,1.00,1,1.0\n"),
        "closes.csv", r"closes\.csv:\d+: 2199-01-05 is outside the XNAS calendar"),
    "closes.csv extra field": (
        _closes_row("2004-06-09", "2004-06-09,1.39,1000,1.39,99"),
        "closes.csv", r"closes\.csv:\d+: expected 4 fields .*found 5"),
    "closes.csv missing field": (
        _closes_row("2004-06-09", "2004-06-09"),
        "closes.csv", r"closes\.csv:\d+: expected 4 fields .*found 1"),
    "closes.csv invalid UTF-8": (
        _append("closes.csv", b"2004-09-01,1.0\xff,1,1\n"),
        "closes.csv", r"closes\.csv:\d+: not UTF-8 text"),
    "closes.csv close 1e999999": (
        _closes_row("2004-06-09", "2004-06-09,1e999999,1000,1.39"),
        "closes.csv", r"closes\.csv:\d+: close '1e999999' is out of range"),
    "closes.csv vwap with 5,000 digits": (
        _closes_row("2004-06-09", "2004-06-09,1.39,1000," + "9" * 5000),
        "closes.csv", r"closes\.csv:\d+: vwap .*too long"),
    "closes.csv volume with 5,000 digits": (
        _closes_row("2004-06-09", "2004-06-09,1.39," + "9" * 5000 + ",1.39"),
        "closes.csv", r"closes\.csv:\d+: volume .*whole number"),
    "closes.csv NUL byte": (
        _append("closes.csv", b"2004-09-01,1.0\x00,1,1\n"),
        "closes.csv", r"closes\.csv:\d+: NUL byte"),
    "closes.csv year 9999": (
        _append("closes.csv", b"9999-12-31,1.0,1,1\n"),
        "closes.csv", r"closes\.csv:\d+: 9999-12-31 is outside"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_bad_file_is_one_line_exit_2_nothing_written(case: str, deal_copy: Path) -> None:
    edit, name, pattern = CASES[case]
    edit(deal_copy)
    before = _snapshot(deal_copy)
    result = CliRunner().invoke(app, ["book", str(deal_copy), "--format", "json"])
    assert result.exit_code == 2, (result.output, result.exception)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"pipedeal: error: {deal_copy / name}"), lines[0]
    assert re.search(pattern, lines[0]), lines[0]
    assert _snapshot(deal_copy) == before


def test_the_line_named_is_the_faulty_row(deal_copy: Path) -> None:
    _closes_row("2004-06-09", "2004-06-09,1.39,1000,1.39,99")(deal_copy)
    with pytest.raises(UserError) as err:
        load_closes(deal_copy / "closes.csv", "XNAS")
    line = _line_of(deal_copy, "closes.csv", "2004-06-09,")
    assert f"closes.csv:{line}: " in err.value.message


def test_a_fifo_named_as_the_price_file_is_refused(deal_copy: Path) -> None:
    (deal_copy / "closes.csv").unlink()
    os.mkfifo(deal_copy / "closes.csv")
    result = CliRunner().invoke(app, ["book", str(deal_copy), "--format", "json"])
    assert result.exit_code == 2
    assert "not a regular file" in result.stderr


def test_a_byte_order_mark_is_accepted(deal_copy: Path) -> None:
    path = deal_copy / "closes.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert load_closes(path, "XNAS").bars


def test_a_deal_with_markup_in_a_name_loads(deal_copy: Path) -> None:
    _replace("deal.toml", 'name = "', 'name = "Fund [/y] [link=https://x.invalid]')(deal_copy)
    assert "[/y]" in load_deal(deal_copy).name


# --- economically extreme terms: a clear error from the accounting, not a crash ----------------


@pytest.mark.parametrize("edit", [
    _replace("deal.toml", 'coverage_shares_per_dollar = "0.125"',
             'coverage_shares_per_dollar = "100"'),
    _replace("deal.toml", 'multiplier = "1.10"', 'multiplier = "0.5"'),
], ids=["coverage 100 (the schema's maximum)", "multiplier 0.5"])
def test_economically_extreme_terms_do_not_crash_the_book(
    edit: Callable[[Path], None], deal_copy: Path
) -> None:
    edit(deal_copy)
    result = CliRunner().invoke(app, ["book", str(deal_copy), "--format", "json"])
    assert result.exit_code in (0, 2), repr(result.exception)
    # the accounting command names the problem in one line
    result = CliRunner().invoke(app, ["accounting", str(deal_copy)])
    assert result.exit_code == 2, repr(result.exception)
    assert len(result.stderr.strip().splitlines()) == 1


# --- the batch CSV ---------------------------------------------------------------------------


def _batch(tmp_path: Path, edit: Callable[[list[str]], list[str]] | None = None,
           raw: bytes | None = None) -> Path:
    path = tmp_path / "notes.csv"
    if raw is not None:
        path.write_bytes(raw)
        return path
    lines = BATCH.read_text().splitlines()
    path.write_text("\n".join(edit(lines) if edit else lines) + "\n")
    return path


def _data_index(lines: list[str]) -> int:
    return next(i for i, line in enumerate(lines)
                if line.strip() and not line.startswith("#") and not line.startswith("valuation")
                and not line.startswith("id"))


def _set(col: str, value: str) -> Callable[[list[str]], list[str]]:
    def edit(lines: list[str]) -> list[str]:
        import csv

        head = next(i for i, line in enumerate(lines)
                    if line.strip() and not line.startswith("#"))
        header = next(csv.reader([lines[head]]))
        i = _data_index(lines)
        cells = next(csv.reader([lines[i]]))
        cells[header.index(col)] = value
        lines[i] = ",".join(cells)
        return lines
    return edit


BATCH_CASES: dict[str, tuple[Callable[[Path], Path], str]] = {
    "invalid UTF-8": (lambda p: _batch(p, raw=BATCH.read_bytes() + b"x\xff,1\n"),
                      r"notes\.csv:\d+: not UTF-8"),
    "NUL byte": (lambda p: _batch(p, raw=BATCH.read_bytes() + b"a,\x00\n"),
                 r"notes\.csv:\d+: NUL byte"),
    "extra field": (lambda p: _batch(p, lambda ls: [*ls, ls[_data_index(ls)] + ",9"]),
                    r"notes\.csv:\d+: expected \d+ columns"),
    "spot 1e-300": (lambda p: _batch(p, _set("spot", "1e-300")), r"\(spot\): must be at least"),
    "spot 1e999999": (lambda p: _batch(p, _set("spot", "1e999999")), r"\(spot\): must be finite"),
    "face of 5,000 digits": (lambda p: _batch(p, _set("face", "9" * 5000)),
                             r"\(face\): .* is not a number"),
    "year 9999": (lambda p: _batch(p, _set("maturity_date", "9999-12-31")),
                  r"\(maturity_date\): 9999-12-31 is outside"),
    "year 1": (lambda p: _batch(p, _set("valuation_date", "0001-01-01")),
               r"\(valuation_date\): 0001-01-01 is outside"),
    "escape in the id": (lambda p: _batch(p, _set("id", "\x1b[31mred")),
                         r"\(id\): .*control characters"),
}


@pytest.mark.parametrize("case", list(BATCH_CASES))
def test_a_bad_batch_csv_is_one_line(case: str, tmp_path: Path) -> None:
    make, pattern = BATCH_CASES[case]
    path = make(tmp_path)
    with pytest.raises(UserError) as err:
        read_batch_csv(path)
    assert re.search(pattern, err.value.message), err.value.message
    assert "\n" not in err.value.message
    result = CliRunner().invoke(app, ["value-batch", str(path), "--format", "json"])
    assert result.exit_code == 2, (result.output, result.exception)
    assert len(result.stderr.strip().splitlines()) == 1


def test_the_example_batch_still_loads(tmp_path: Path) -> None:
    shutil.copy(BATCH, tmp_path / "b.csv")
    assert read_batch_csv(tmp_path / "b.csv")


@pytest.mark.parametrize("command", [
    ["value", "--as-of", "9999-12-31"], ["captable", "--as-of", "9999-12-31"],
    ["book", "--as-of", "9999-12-30"], ["book", "--as-of", "0001-01-01", "--html", "x.html"],
    ["accounting", "--as-of", "0001-01-01"],
])
def test_view_dates_outside_the_calendars_are_one_line(command: list[str], deal_copy: Path
                                                       ) -> None:
    result = CliRunner().invoke(app, [command[0], str(deal_copy), *command[1:]])
    assert result.exit_code == 2, repr(result.exception)
    (line,) = result.stderr.strip().splitlines()
    assert "--as-of" in line and "outside the calendars' range" in line
