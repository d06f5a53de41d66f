"""`pipedeal book --xlsx`: the workbook read back with openpyxl holds every figure of
`book --format json`, typed (numbers, dates), with the schedule's interest as formulas."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from tests.conftest import EXAMPLE
from typer.testing import CliRunner

from pipedeal.cli import app
from pipedeal.interop.xlsx import (
    HISTORY_PREFIX,
    NONE_ROW,
    SHEETS,
    SOURCE_PREFIX,
    TEXT_KEYS,
    book_workbook,
    interest_formula,
)

runner = CliRunner()
DECIMAL = re.compile(r"-?\d+(\.\d+)?")


def invoke(*argv: str) -> str:
    result = runner.invoke(app, list(argv))
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Path]:
    """The example with a ledger (so every section is there): its JSON book and workbook."""
    root = tmp_path_factory.mktemp("xlsx")
    deal = root / "innovo"
    shutil.copytree(EXAMPLE, deal)
    invoke("ledger", "init", str(deal))
    invoke("ledger", "record", str(deal), "interest-paid", "-p", "Purchaser 1",
           "-d", "2004-07-01", "--through", "2004-06-30")  # fmt: skip
    invoke("ledger", "record", str(deal), "memo", "-d", "2004-07-02", "--text", "called")
    invoke("ledger", "record", str(deal), "memo", "-d", "2004-07-02", "--text", "twice")
    invoke("ledger", "record", str(deal), "correction", "-d", "2004-07-02", "--voids", "6",
           "--reason", "entered twice")  # fmt: skip
    data = json.loads(invoke("book", str(deal), "--format", "json"))
    # the Ledger sheet's events: the history to the book's date
    history = json.loads(invoke("ledger", "history", str(deal), "--as-of", data["as_of"], "-f",
                                "json"))  # fmt: skip
    data["ledger history"] = history
    out = root / "book.xlsx"
    assert invoke("book", str(deal), "--xlsx", str(out)) == ""  # the workbook instead of stdout
    return data, out


# --- reading the workbook back -----------------------------------------------------------------


def blocks(ws) -> list[tuple[str, list[str], list[tuple], int]]:
    """``(json path, header, rows, first row's number)`` of each block of a sheet."""
    rows = list(ws.iter_rows(values_only=True))
    out = []
    i = 0
    while i < len(rows):
        a = rows[i][0]
        if isinstance(a, str) and a.startswith(SOURCE_PREFIX):
            path = a.removeprefix(SOURCE_PREFIX).replace("(top level)", "")
        elif isinstance(a, str) and a.startswith(HISTORY_PREFIX):  # `ledger history` JSON
            path = "['ledger history']." + a.removeprefix(HISTORY_PREFIX)
        else:
            path = None
        if path is not None:
            header = [h for h in rows[i + 1] if h is not None] if i + 1 < len(rows) else []
            body: list[tuple] = []
            j = i + 2
            while header and j < len(rows) and any(v is not None for v in rows[j]):
                body.append(rows[j][: len(header)])
                j += 1
            out.append((path, header, body, i + 3))  # openpyxl rows count from 1
            i = j
        else:
            i += 1
    return out


_TOKEN = re.compile(r"\['([^']+)'\]|([^.\[\]]+)|\[(\d+)\]")


def resolve(obj: Any, path: str) -> Any:
    """``obj`` at a dotted path with ``[i]`` indexes; KeyError when a key is absent."""
    for quoted, name, index in _TOKEN.findall(path):
        if obj is None:
            return None  # a null object: its parts are empty cells
        obj = obj[int(index)] if index else obj[quoted or name]
    return obj


def equal(cell: Any, value: Any, key: str) -> bool:
    """A cell holds the book's value, typed: numbers as numbers, dates as dates."""
    last = key.rsplit(".", 1)[-1]
    if value is None:
        return cell is None
    if isinstance(value, list):
        return (cell or "") == "; ".join(str(v) for v in value)
    if isinstance(value, bool):
        return cell is value
    if isinstance(value, int | float):
        assert isinstance(cell, int | float) and not isinstance(cell, bool), (key, cell)
        return abs(cell - value) <= 1e-14 * max(1.0, abs(value))  # Excel keeps 15 digits
    assert isinstance(value, str)
    if last in TEXT_KEYS:
        return cell == value
    local = re.fullmatch(r"(\d{4}-\d{2}-\d{2}T[\d:]+)( [\w/]+|[+-]\d\d:\d\d)", value)
    if local:  # a local time with its zone: the wall time, the zone shown by the format
        assert isinstance(cell, dt.datetime), (key, cell)
        return cell == dt.datetime.fromisoformat(local.group(1))
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        assert isinstance(cell, dt.datetime), (key, cell)  # a date, not text
        return cell.date() == dt.date.fromisoformat(value)
    if DECIMAL.fullmatch(value):
        assert isinstance(cell, int | float), (key, cell)  # a number, not text
        digits = len(Decimal(value).normalize().as_tuple().digits)
        if digits <= 15:
            return Decimal(repr(cell)).normalize() == Decimal(value).normalize()
        return abs(cell - float(value)) <= 1e-14 * abs(float(value))
    return cell == value


SCHEDULE_EXTRAS = {"principal", "interest_rate"}  # the formula's inputs, beside each row


def test_workbook_has_every_section_with_frozen_headers(book):
    _, path = book
    wb = load_workbook(path)
    assert wb.sheetnames == list(SHEETS)
    for ws in wb:
        assert ws.freeze_panes == "A4", ws.title  # title, source and header rows stay in view
        assert blocks(ws), ws.title


def test_every_figure_equals_the_json(book):
    data, path = book
    wb = load_workbook(path)
    compared = 0
    for ws in wb:
        for block_path, header, rows, _ in blocks(ws):
            target = resolve(data, block_path)
            if header == ["field", "value"] and not isinstance(target, list):
                assert rows, block_path
                for field, cell in rows:
                    key = f"{block_path}.{field}" if block_path else field
                    assert equal(cell, resolve(data, key), key), (ws.title, key, cell)
                    compared += 1
            elif header[0] == "field":  # few objects of many fields, one column each
                assert len(header) == len(target) + 1, block_path
                for field, *cells in rows:
                    for n, cell in enumerate(cells):
                        where = f"{block_path}[{n}].{field}"
                        assert equal(cell, resolve(target[n], field), field), (where, cell)
                        compared += 1
            elif block_path.endswith(".entries"):  # the journal: one row per line of an entry
                lines = [{**e, **line} for e in target for line in e["lines"]]
                assert len(rows) == len(lines)
                for row, line in zip(rows, lines, strict=True):
                    for key, cell in zip(header, row, strict=True):
                        assert equal(cell, resolve(line, key), key), (block_path, key, cell)
                        compared += 1
            else:
                assert isinstance(target, list), block_path
                if not target:
                    # no header to draw from an empty list: the one cell says so
                    assert NONE_ROW in header[:1] + [r[0] for r in rows], block_path
                    continue
                assert len(rows) == len(target), block_path
                for n, (row, item) in enumerate(zip(rows, target, strict=True)):
                    for key, cell in zip(header, row, strict=True):
                        if isinstance(cell, str) and cell.startswith("="):
                            continue  # a formula: test_schedule_interest_is_a_formula
                        try:
                            value = resolve(item, key)
                        except KeyError:
                            if key in SCHEDULE_EXTRAS and block_path.endswith("_schedule"):
                                continue  # the formula's inputs: the schedule test
                            value = None  # a key of other rows (an event's payload)
                        where = f"{block_path}[{n}].{key}"
                        assert equal(cell, value, key), (ws.title, where, cell, value)
                        compared += 1
    assert compared > 1500  # the whole book, not a sample


def test_every_section_of_the_json_is_in_the_workbook(book):
    data, path = book
    wb = load_workbook(path)
    paths = {p for ws in wb for p, _, _, _ in blocks(ws)}
    for section in ("purchasers", "ledger", "captable", "accounting", "valuation"):
        assert any(p == section or p.startswith(section + "[") or p.startswith(section + ".")
                   for p in paths), section  # fmt: skip
    for i in range(len(data["purchasers"])):
        assert f"purchasers[{i}].interest_schedule" in paths
        assert f"purchasers[{i}].conversion_trace.sessions" in paths
        assert f"accounting.notes[{i}].amortization.rows" in paths
        assert f"accounting.notes[{i}].entries" in paths
    # the Ledger sheet lists the events to the book's date, the voided one marked
    (history,) = [b for b in blocks(wb["Ledger"]) if b[0].startswith("['ledger history']")]
    _, header, rows, _ = history
    assert header[:4] == ["seq", "event.kind", "event.date", "event.instrument"]
    assert [r[0] for r in rows] == list(range(1, 8))
    assert rows[5][header.index("voided_by")] == 7  # the memo entered twice


def _round_half_up(x: Decimal) -> Decimal:
    return x.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def test_schedule_interest_is_a_formula_whose_result_is_the_amount(book):
    data, path = book
    assert data["terms"]["day_count"] == "ACT/365F"
    ws = load_workbook(path)["Schedules"]
    schedules = [b for b in blocks(ws) if b[0].endswith(".interest_schedule")]
    assert len(schedules) == len(data["purchasers"]) == 3
    for block_path, header, _, first in schedules:
        p = resolve(data, block_path.removesuffix(".interest_schedule"))
        assert p["rounding"] == "cumulative, half_up to the cent"
        assert header[:7] == ["period_start", "period_end", "pay_date", "days", "principal",
                              "interest_rate", "amount"]  # fmt: skip
        col = {name: "ABCDEFGH"[i] for i, name in enumerate(header)}
        days_so_far = 0
        for n, period in enumerate(p["interest_schedule"]):
            r = first + n
            formula = ws[f"{col['amount']}{r}"].value
            if n == 0:
                expected = f"=ROUND(E{r}*F{r}*D{r}/365,2)"
            else:
                expected = (f"=ROUND(E{r}*F{r}*SUM(D${first}:D{r})/365,2)"
                            f"-ROUND(E{r}*F{r}*SUM(D${first}:D{r - 1})/365,2)")  # fmt: skip
            assert formula == expected
            principal = Decimal(repr(ws[f"E{r}"].value))
            rate = Decimal(repr(ws[f"F{r}"].value))
            days = ws[f"D{r}"].value
            assert principal == Decimal(p["principal"]) and rate == Decimal(
                data["terms"]["interest_rate"]
            )
            # evaluate the formula as Excel does (ROUND: half away from zero)
            value = _round_half_up(principal * rate * (days_so_far + days) / 365) - (
                _round_half_up(principal * rate * days_so_far / 365)
            )
            days_so_far += days
            assert value == Decimal(period["amount"]), (block_path, n)
        assert days_so_far == sum(x["days"] for x in p["interest_schedule"])


def test_numbers_are_numbers_and_dates_are_dates(book):
    _, path = book
    wb = load_workbook(path)
    texts = 0
    for ws in wb:
        for row in ws.iter_rows():
            for c in row:
                if isinstance(c.value, int | float) and not isinstance(c.value, bool):
                    assert c.number_format != "General", (ws.title, c.coordinate)
                if isinstance(c.value, dt.datetime) and c.value.hour == c.value.minute == 0:
                    assert c.number_format == "yyyy-mm-dd", (ws.title, c.coordinate)
                elif isinstance(c.value, dt.datetime):  # a time of day: shown with its zone
                    assert re.fullmatch(r'yyyy-mm-dd hh:mm "[\w/:+-]+"', c.number_format)
                if isinstance(c.value, str) and DECIMAL.fullmatch(c.value):
                    texts += 1
    # numeric text only where the book quotes a filing or a check (filing_check, disclosure)
    assert texts < 20


def test_recalculated_by_libreoffice_the_formulas_give_the_amounts(book, tmp_path: Path):
    """Where LibreOffice is installed (not in CI): it computes each formula to the amount."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    data, path = book
    subprocess.run(
        [soffice, "--headless", "--calc", "--convert-to", "xlsx", "--outdir", str(tmp_path),
         str(path)],
        check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    ws = load_workbook(tmp_path / path.name, data_only=True)["Schedules"]
    for block_path, header, rows, _ in blocks(ws):
        if not block_path.endswith(".interest_schedule"):
            continue
        amounts = [row[header.index("amount")] for row in rows]
        expected = resolve(data, block_path)
        assert [round(a, 2) for a in amounts] == [float(x["amount"]) for x in expected]


def test_xlsx_never_overwrites_the_deals_inputs(deal_copy: Path):
    result = runner.invoke(app, ["book", str(deal_copy), "--xlsx", str(deal_copy / "closes.csv")])
    assert result.exit_code == 2
    assert "--xlsx" in result.output and "closes.csv" in result.output
    assert (deal_copy / "closes.csv").read_bytes() == (EXAMPLE / "closes.csv").read_bytes()
    result = runner.invoke(app, ["book", str(deal_copy), "--xlsx", str(deal_copy)])
    assert result.exit_code == 2 and "is a directory" in result.output


COLS = {"principal": "E", "interest_rate": "F", "days": "D"}


def test_formula_follows_the_day_count_and_rounding():
    assert interest_formula(9, 5, "per_period, down to the cent", "ACT/360", COLS) == (
        "=ROUNDDOWN(E9*F9*D9/360,2)"
    )
    assert interest_formula(6, 5, "cumulative, up to the cent", "ACT/365F", COLS) == (
        "=ROUNDUP(E6*F6*SUM(D$5:D6)/365,2)-ROUNDUP(E6*F6*SUM(D$5:D5)/365,2)"
    )
    # Excel has no half-even rounding and no one-cell ACT/ACT: the amounts stay numbers
    assert interest_formula(6, 5, "cumulative, half_even to the cent", "ACT/365F", COLS) is None
    assert interest_formula(6, 5, "cumulative, half_up to the cent", "ACT/ACT", COLS) is None


def test_act_360_per_period_down_formulas_give_the_amounts(deal_copy: Path, tmp_path: Path):
    toml = deal_copy / "deal.toml"
    text = toml.read_text()
    for old, new in (('day_count = "ACT/365F"', 'day_count = "ACT/360"'),
                     ('rounding = "cumulative"', 'rounding = "per_period"'),
                     ('rounding_mode = "half_up"', 'rounding_mode = "down"')):  # fmt: skip
        assert old in text
        text = text.replace(old, new, 1)
    toml.write_text(text)
    (deal_copy / "market.toml").unlink()  # no valuation needed here
    data = json.loads(invoke("book", str(deal_copy), "--format", "json"))
    path = tmp_path / "book.xlsx"
    book_workbook(data).save(path)
    ws = load_workbook(path)["Schedules"]
    checked = 0
    for block_path, _, _, first in blocks(ws):
        if not block_path.endswith(".interest_schedule"):
            continue
        for n, period in enumerate(resolve(data, block_path)):
            r = first + n
            assert ws[f"G{r}"].value == f"=ROUNDDOWN(E{r}*F{r}*D{r}/360,2)"
            exact = Decimal(repr(ws[f"E{r}"].value)) * Decimal(repr(ws[f"F{r}"].value)) * (
                ws[f"D{r}"].value
            ) / 360
            assert exact.quantize(Decimal("0.01"), rounding=ROUND_DOWN) == Decimal(period["amount"])
            checked += 1
    assert checked == 39
