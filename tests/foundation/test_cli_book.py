"""End to end: `pipedeal book` and `pipedeal schedule` on the bundled example."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

from typer.testing import CliRunner

from pipedeal.cli import app

runner = CliRunner()


def test_book_text_shows_prices_totals_and_a_clean_disclosure_check(example_dir):
    result = runner.invoke(app, ["book", str(example_dir)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    out = result.stdout
    for text in (
        "$1.53",
        "$1.41",
        "$1.35",
        "312,500",
        "$451,875.00",
        "$2,500,000.00",
        "2004-06-14",
        "ILLUSTRATIVE",
        "Disclosure check",
    ):
        assert text in out, text
    assert "2004-06-11" not in out  # the closed day is in no window
    assert "MISMATCH" not in out
    assert out.count("match") >= 6


def test_book_json_has_the_documented_keys(example_dir):
    result = runner.invoke(app, ["book", str(example_dir), "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["totals"]["principal"] == "2500000.00"
    assert data["totals"]["warrant_shares"] == 312500
    assert data["totals"]["exercise_proceeds"] == "451875.00"
    assert data["disclosure_check"]["all_match"] is True
    first = data["purchasers"][0]
    assert {
        k: first[k]
        for k in (
            "name",
            "closing_date",
            "principal",
            "conversion_price",
            "conversion_shares",
            "warrant_shares",
            "exercise_price",
            "exercise_proceeds",
        )
    } == {
        "name": "Purchaser 1",
        "closing_date": "2004-06-15",
        "principal": "1000000.00",
        "conversion_price": "1.53",
        "conversion_shares": 653594,
        "warrant_shares": 125000,
        "exercise_price": "1.53",
        "exercise_proceeds": "191250.00",
    }
    assert first["price_window"] == [
        "2004-06-07",
        "2004-06-08",
        "2004-06-09",
        "2004-06-10",
        "2004-06-14",
    ]
    assert first["price_window"] == sorted(first["price_window"])
    sched = first["interest_schedule"]
    assert set(sched[0]) >= {"pay_date", "period_start", "period_end", "days", "amount"}
    assert sum(__import__("decimal").Decimal(r["amount"]) for r in sched) == 75000
    assert first["maturity_payment"]["date"] == "2005-06-15"
    assert first["maturity_payment"]["principal"] == "1000000.00"


def test_schedule_exports_csv_and_json(example_dir, tmp_path):
    out = tmp_path / "schedule.csv"
    result = runner.invoke(
        app, ["schedule", str(example_dir), "--format", "csv", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert rows[0] == {
        "purchaser": "Purchaser 1",
        "pay_date": "2004-07-01",
        "period_start": "2004-06-15",
        "period_end": "2004-06-30",
        "days": "16",
        "amount": "3287.67",
        "kind": "interest",
    }
    principal = [r for r in rows if r["kind"] == "principal"]
    assert [r["amount"] for r in principal] == ["1000000.00", "1000000.00", "500000.00"]
    result = runner.invoke(
        app, ["schedule", str(example_dir), "--format", "json", "--purchaser", "Purchaser 3"]
    )
    data = json.loads(result.stdout)
    assert {r["purchaser"] for r in data["rows"]} == {"Purchaser 3"}
    assert data["rows"][-1] == {
        "purchaser": "Purchaser 3",
        "pay_date": "2005-06-22",
        "period_start": "",
        "period_end": "",
        "days": 0,
        "amount": "500000.00",
        "kind": "principal",
    }


def test_installed_console_script_runs(example_dir):
    """The README's first command: the `pipedeal` entry point on the bundled example."""
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "from pipedeal.cli import main; main()",
            "book",
            str(example_dir),
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["totals"]["warrant_shares"] == 312500


def test_book_flags_a_stated_first_payment_date_the_schedule_does_not_give(deal_copy):
    path = deal_copy / "deal.toml"
    path.write_text(
        path.read_text().replace(
            "first_payment_date = 2004-07-01", "first_payment_date = 2004-07-02"
        )
    )
    result = runner.invoke(app, ["book", str(deal_copy), "--format", "json"])
    data = json.loads(result.stdout)
    assert data["disclosure_check"]["all_match"] is False
    bad = [line for line in data["disclosure_check"]["lines"] if not line["matches"]]
    assert [line["computed"] for line in bad] == ["2004-07-01"] * 3


def test_book_text_shows_the_filing_check_and_every_section(example_dir):
    result = runner.invoke(app, ["book", str(example_dir)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    out = result.stdout
    for title in ("Filing check", "Cap table as of", "allocation", "Valuation as of"):
        assert title in out, title
    assert "conversion_price_usd" in out and "warrant_term_years" in out


def test_book_as_of_dates_the_cap_table_but_not_the_valuation(example_dir):
    result = runner.invoke(
        app, ["book", str(example_dir), "--as-of", "2005-01-31", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["captable"]["as_of"] == "2005-01-31"
    # the valuation stays on market.toml's date: its spot was observed that day
    assert data["valuation"]["as_of"] == "2004-07-28"


def test_book_rejects_a_bad_as_of_with_status_2(example_dir):
    result = runner.invoke(app, ["book", str(example_dir), "--as-of", "2005-13-01"])
    assert result.exit_code == 2
    assert "--as-of" in result.output


def test_version():
    from pipedeal import __version__

    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.stdout.strip() == f"pipedeal {__version__}"
