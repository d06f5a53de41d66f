"""Every command's JSON is the public API's ``.to_json()``: the CLI computes nothing itself."""

from __future__ import annotations

import datetime as dt
import json

from typer.testing import CliRunner

import pipedeal
from pipedeal.cli import app
from pipedeal.ledger import events as ev

runner = CliRunner()
DAY = dt.date(2004, 7, 28)


def _cli(*args: str) -> object:
    r = runner.invoke(app, [*args, "--format", "json"])
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def _same(result: object) -> object:
    return json.loads(json.dumps(result))


def test_cli_json_equals_api_json(deal_copy):
    deal = pipedeal.load_deal(deal_copy)
    with pipedeal.open_ledger(deal, create=True) as ledger:
        ledger.record(ev.conversion("Purchaser 2", dt.date(2004, 7, 20), principal="250000"))
    folder = str(deal_copy)
    assert _cli("value", folder, "--steps", "50") == _same(
        pipedeal.value(deal, steps=50).to_json())
    assert _cli("captable", folder, "--as-of", DAY.isoformat()) == _same(
        pipedeal.cap_table(deal, as_of=DAY).to_json())
    assert _cli("accounting", folder, "--note-fair-value", "95%", "--warrant-fair-value",
                "5%") == _same(pipedeal.accounting_report(
                    deal, note_fair_value=pipedeal.FairValue.percent(95),
                    warrant_fair_value=pipedeal.FairValue.percent(5)).to_json())
    assert _cli("ledger", "state", folder, "--as-of", DAY.isoformat()) == _same(
        pipedeal.deal_state(deal, DAY).to_json())
    book = _cli("book", folder, "--as-of", DAY.isoformat())
    assert book == _same(pipedeal.book(deal, as_of=DAY).to_json())
    assert book["ledger"]["totals"]["principal_converted"] == "250000.00"


def test_extract_and_disclose_are_the_api(example_dir):
    filing = str(example_dir / "8-K.txt")
    assert _cli("extract", filing) == _same(pipedeal.extract_filing(filing).to_json())
    r = runner.invoke(app, ["disclose", str(example_dir), "--style", "2004"])
    assert r.exit_code == 0, r.output
    assert r.stdout == pipedeal.disclosure(pipedeal.load_deal(example_dir), style="2004")
