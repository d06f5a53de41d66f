"""One date for the whole book, stated at the top; what is past due on it is flagged."""

from __future__ import annotations

import datetime as dt
import json

from typer.testing import CliRunner

import pipedeal
from pipedeal.cli import app
from pipedeal.ledger import events as ev

runner = CliRunner()


def _book(folder, *args):
    r = runner.invoke(app, ["book", str(folder), "--format", "json", *args])
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def test_the_book_defaults_to_the_last_closing_without_a_ledger(example_dir):
    data = _book(example_dir)
    assert data["as_of"] == "2004-06-22" and data["as_of_rule"].startswith("the later of")
    assert data["captable"]["as_of"] == "2004-06-22"
    assert data["overdue"] == []  # on the terms alone the contract is performed as scheduled


def test_the_book_date_follows_the_ledger_and_flags_what_is_past_due(deal_copy):
    deal = pipedeal.load_deal(deal_copy)
    with pipedeal.open_ledger(deal, create=True) as ledger:
        ledger.record(ev.conversion("Purchaser 2", dt.date(2004, 8, 5), principal="100000"))
    data = _book(deal_copy)
    assert data["as_of"] == "2004-08-05"
    assert data["ledger"]["as_of"] == "2004-08-05"
    assert data["captable"]["as_of"] == "2004-08-05"
    assert data["accounting"]["as_of"] == "2004-08-05"
    # June's interest was due on 2004-07-01 and nothing was paid: overdue on every note
    overdue = {(i["instrument"], i["kind"], i["date"]) for i in data["overdue"]}
    for name in ("Purchaser 1", "Purchaser 2", "Purchaser 3"):
        assert (f"note:{name}", "interest_payment", "2004-07-01") in overdue
    given = _book(deal_copy, "--as-of", "2004-07-15")
    assert given["as_of"] == "2004-07-15" and given["as_of_rule"] == "given (--as-of)"
