"""``pipedeal captable`` and ``pipedeal accounting`` end to end (typer CliRunner)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipedeal.cli import app

EXAMPLE = str(Path(__file__).resolve().parents[2] / "examples" / "innovo-2004")
runner = CliRunner()


def _run(*args: str):
    return runner.invoke(app, list(args))


def test_captable_json():
    r = _run("captable", EXAMPLE, "--as-of", "2004-07-13", "--prices", "1:2:0.5",
             "--ownership-cap", "4.99%", "--format", "json")
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert d["schema_version"] == 1
    assert d["shares_outstanding"]["as_of"] == 29_090_390
    assert d["fully_diluted"] == 29_090_390 + d["potential"]["total"]
    assert d["potential"]["note_shares_principal"] == 1_733_183
    assert [h["cap_exceeded"] for h in d["holders"]] == [False, False, False]
    assert d["twenty_percent_rule"]["verdict"] == "approval not required"
    assert len(d["dilution"]) == 3


def test_captable_text():
    r = _run("captable", EXAMPLE, "--as-of", "2004-07-13")
    assert r.exit_code == 0, r.output
    assert "29,090,390" in r.stdout and "20% rule" in r.stdout


def test_accounting_json_legacy():
    r = _run("accounting", EXAMPLE, "--purchaser", "Purchaser 1", "--note-fair-value", "950000",
             "--warrant-fair-value", "60000", "--commitment-price", "1.70", "--format", "json")
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    (n,) = d["notes"]
    assert n["allocation"]["allocated_to_note"] == "940594.06"
    assert n["allocation"]["allocated_to_warrants"] == "59405.94"
    assert n["inputs"]["commitment_price"]["source"].startswith("user")
    assert d["journal"]["balanced"] is True
    assert n["amortization"]["rows"][-1]["closing"] == "1000000.00"


def test_accounting_asu_text():
    r = _run("accounting", EXAMPLE, "--regime", "asu-2020-06", "--note-fair-value", "95%",
             "--warrant-fair-value", "0.40/share")
    assert r.exit_code == 0, r.output
    assert "balanced" in r.stdout


@pytest.mark.parametrize("args,message", [
    (("accounting", EXAMPLE, "--note-fair-value", "0", "--warrant-fair-value", "5%"),
     "greater than zero"),
    (("accounting", EXAMPLE, "--note-fair-value", "95%", "--warrant-fair-value", "-3%"),
     "greater than zero"),
    (("accounting", EXAMPLE, "--purchaser", "Purchaser 1", "--note-fair-value", "950000",
      "--warrant-fair-value", "60000", "--commitment-price", "0"), "greater than zero"),
    (("captable", EXAMPLE, "--as-of", "2004-06-01"), "before the first closing"),
    (("captable", EXAMPLE, "--as-of", "13/07/2004"), "--as-of: not a date (YYYY-MM-DD)"),
    (("captable", EXAMPLE, "--prices", "3:1:1"), "--prices"),
    (("captable", EXAMPLE, "--ownership-cap", "150%"), "--ownership-cap"),
])
def test_bad_inputs_exit_2_one_line(args, message):
    r = _run(*args)
    assert r.exit_code == 2
    assert r.stdout == ""
    err = r.stderr.strip().splitlines()
    assert len(err) == 1 and message in err[0]


def test_legacy_without_commitment_price_exit_2(tmp_path):
    import shutil

    deal = tmp_path / "deal"
    shutil.copytree(EXAMPLE, deal)
    (deal / "closes.csv").unlink()
    # conversion prices need the closes; fix them so only the commitment price is missing
    text = (deal / "deal.toml").read_text()
    start = text.index("[note.conversion.price]")
    end = text.index("\n\n", start)
    text = text[:start] + '[note.conversion.price]\nfixed = "1.53"' + text[end:]
    (deal / "deal.toml").write_text(text)
    args = ("accounting", str(deal), "--purchaser", "Purchaser 1", "--note-fair-value", "950000",
            "--warrant-fair-value", "60000")
    r = _run(*args)
    assert r.exit_code == 2
    err = r.stderr.strip().splitlines()
    assert len(err) == 1 and "commitment-date share price" in err[0]
    assert _run(*args, "--regime", "asu-2020-06").exit_code == 0


def test_book_has_captable_section():
    # on the 10-Q cover date of 2004-07-13 (29,090,390 shares); the book's default date is the
    # last closing here (no ledger), where the count of 2004-04-11 applies
    r = _run("book", EXAMPLE, "--format", "json", "--as-of", "2004-07-13")
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    cap = d["captable"]
    assert cap["as_of"] == "2004-07-13"
    assert cap["shares_outstanding"]["as_of"] == 29_090_390
    assert cap["fully_diluted"] == 31_140_703
    assert cap["twenty_percent_rule"]["verdict"] == "approval not required"
    # legacy-regime accounting for each note, fair values from the valuation engine
    acc = d["accounting"]
    assert acc["regime"] == "legacy"
    assert [n["purchaser"] for n in acc["notes"]] == ["Purchaser 1", "Purchaser 2", "Purchaser 3"]
    for n in acc["notes"]:
        assert n["inputs"]["note_fair_value"]["source"].startswith("valuation engine")
        assert n["entries"][0]["kind"] == "issuance"
        assert n["amortization"]["rows"][-1]["closing"] == n["allocation"]["principal"]
    assert acc["journal"]["balanced"]
    # the book's text renderers for these sections
    from rich.console import Console

    from pipedeal.report.text import text_sections

    console = Console(record=True, width=160)
    for key in ("captable", "accounting"):
        text_sections()[key](d[key], console)
    out = console.export_text()
    assert "Cap table as of 2004-07-13" in out and "APPROVAL NOT REQUIRED" in out
    assert "Purchaser 3: journal entries" in out and "balanced" in out


def test_captable_diluted_eps_json():
    r = _run("captable", EXAMPLE, "--as-of", "2004-07-13", "--net-income", "10000000",
             "--weighted-shares", "29000000", "--average-price", "2", "--tax-rate", "0.35",
             "--format", "json")
    assert r.exit_code == 0, r.output
    e = json.loads(r.stdout)["diluted_eps"]
    assert e["basic_eps"] == "0.34"
    # 10,000,000 + 0.65 × 7.5% × 2,500,000; shares + 1,737,813 note + 86,562 warrant shares
    assert e["diluted_numerator"] == "10121875.00"
    assert e["diluted_shares"] == str(29_000_000 + 1_737_813 + 86_562)
    assert e["diluted_eps"] == "0.33"


@pytest.mark.parametrize("args,message", [
    (("--net-income", "5"), "needs --net-income, --weighted-shares and --average-price"),
    (("--net-income", "5", "--weighted-shares", "0", "--average-price", "1"), "greater than zero"),
    (("--net-income", "x", "--weighted-shares", "1", "--average-price", "1"), "not a number"),
])
def test_captable_eps_bad_inputs(args, message):
    r = _run("captable", EXAMPLE, *args)
    assert r.exit_code == 2 and r.stdout == ""
    assert message in r.stderr


def test_book_section_is_null_without_share_counts(tmp_path):
    import shutil

    from pipedeal.report.book import build_context
    from pipedeal.report.sections import captable_section as book_section

    deal = tmp_path / "deal"
    shutil.copytree(EXAMPLE, deal)
    text = (deal / "deal.toml").read_text()
    text = text.replace("date = 2004-04-11", "date = 2004-12-11").replace(
        "date = 2004-07-13", "date = 2004-12-13").replace("date = 2004-10-08", "date = 2004-12-31")
    (deal / "deal.toml").write_text(text)
    import datetime as dt

    ctx = build_context(deal, as_of=dt.date(2004, 7, 1))
    assert book_section(ctx) is None
    r = _run("captable", str(deal), "--as-of", "2004-07-01")
    assert r.exit_code == 2 and "issuer.shares_outstanding" in r.stderr
