"""Every view reads the deal as it stands: the instruments plus the ledger state on its date."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal as D

import pytest
from typer.testing import CliRunner

import pipedeal
from pipedeal.cli import app
from pipedeal.ledger import events as ev

P1, P2, P3 = "Purchaser 1", "Purchaser 2", "Purchaser 3"
VALUED = dt.date(2004, 7, 28)
STEPS = 60
runner = CliRunner()


def _record(deal, *events):
    with pipedeal.open_ledger(deal, create=True) as ledger:
        for e in events:
            ledger.record(e)


def _rows(valuation):
    return {p["name"]: p for p in valuation.to_json()["purchasers"]}


def test_a_converted_note_is_valued_as_converted(deal_copy):
    deal = pipedeal.load_deal(deal_copy)
    before = _rows(pipedeal.value(deal, steps=STEPS))
    assert before[P2]["note"]["value"] > 1_000_000
    _record(deal, ev.conversion(P2, dt.date(2004, 7, 20), principal="1000000"))

    valuation = pipedeal.value(deal, steps=STEPS)
    rows = _rows(valuation)
    assert rows[P2]["status"] == "converted" and "note" not in rows[P2]
    assert rows[P2]["conversion_shares_issued"] == 709_219  # $1,000,000 / $1.41, rounded down
    assert rows[P2]["warrant"]["shares"] == 125_000  # the warrant is still outstanding
    assert rows[P1]["note"]["value"] == before[P1]["note"]["value"]
    assert valuation.to_json()["totals"]["principal"] == 1_500_000
    assert valuation.to_json()["state"] == "ledger"

    # the CLI prints the API's result, and the book's sections agree with it
    r = runner.invoke(app, ["value", str(deal_copy), "--format", "json", "--steps", str(STEPS)])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout) == json.loads(json.dumps(valuation.to_json()))
    book = pipedeal.book(deal, as_of=VALUED, steps=STEPS).to_json()
    assert {p["name"]: p["status"] for p in book["valuation"]["purchasers"]}[P2] == "converted"
    cap = {h["name"]: h for h in book["captable"]["holders"]}
    assert cap[P2]["note_principal"] == "0.00" and cap[P2]["note_shares_principal"] == 0
    assert cap[P2]["shares_held"] == 709_219
    journal = pipedeal.accounting_report(deal, as_of=VALUED).to_json()
    p2 = next(n for n in journal["notes"] if n["purchaser"] == P2)
    assert p2["roll_forward"]["ledger_outstanding_principal"] == "0"


def test_a_partial_conversion_leaves_the_rest_valued(deal_copy):
    deal = pipedeal.load_deal(deal_copy)
    whole = _rows(pipedeal.value(deal, steps=STEPS))[P1]["note"]
    _record(deal, ev.conversion(P1, dt.date(2004, 7, 20), principal="400000"))
    rows = _rows(pipedeal.value(deal, steps=STEPS))
    note = rows[P1]["note"]
    assert rows[P1]["status"] == "outstanding"
    assert rows[P1]["conversion_shares_issued"] == 261_437  # $400,000 / $1.53
    assert D(note["principal_outstanding"]) == D("600000")
    assert note["conversion_shares"] == pytest.approx(600_000 / 1.53)
    # every cash flow and the conversion ratio scale with the principal
    assert note["value"] == pytest.approx(0.6 * whole["value"], rel=1e-6)


def test_after_a_split_prices_and_warrant_shares_are_adjusted(deal_copy):
    deal = pipedeal.load_deal(deal_copy)
    _record(deal, ev.stock_split(dt.date(2004, 7, 21), new=2, old=1))
    rows = _rows(pipedeal.value(deal, steps=STEPS))
    assert rows[P1]["note"]["conversion_price"] == "0.765"
    assert rows[P1]["note"]["conversion_shares"] == pytest.approx(1_000_000 / 0.765)
    assert rows[P1]["warrant"]["shares"] == 250_000
    assert rows[P1]["warrant"]["exercise_price"] == "0.765"
    assert rows[P3]["warrant"]["shares"] == 125_000


def test_an_open_election_window_is_priced_as_open(deal_copy):
    deal = pipedeal.load_deal(deal_copy)
    notice = dt.date(2004, 9, 20)
    _record(deal, ev.prepayment_notice(P1, notice, "1000000"))
    window = deal.notes[P1].election_window(notice)
    valuation = pipedeal.value(deal, as_of=dt.date(2004, 9, 21), steps=STEPS)
    note = _rows(valuation)[P1]["note"]
    pending = note["pending_prepayment"]
    assert pending["election_window_closes"] == window.closes.isoformat()
    assert pending["settles"] == window.settle_from.isoformat()
    assert pending["election_window_status"] == "open"
    # redeemed within days at par (or converted at $1.53 with the stock at $1.32): worth par
    # plus a little interest and option value, far from the 13-month note's value
    assert 1_000_000 <= note["value"] < 1_010_000


def test_one_database_holds_two_deals_of_the_same_name_by_key(deal_copy, tmp_path):
    db = f"sqlite:///{tmp_path / 'workspace.sqlite'}"
    deal = pipedeal.load_deal(deal_copy)
    with pipedeal.open_ledger(deal, db, create=True, deal_key="room-a"):
        pass
    with pipedeal.open_ledger(deal, db, create=True, deal_key="room-b") as ledger:
        ledger.record(ev.conversion(P2, dt.date(2004, 7, 20), principal="1000000"))
    a = _rows(pipedeal.value(deal, db=db, deal_key="room-a", steps=STEPS))
    b = _rows(pipedeal.value(deal, db=db, deal_key="room-b", steps=STEPS))
    assert a[P2]["status"] == "outstanding" and b[P2]["status"] == "converted"
    assert pipedeal.deal_state(deal, VALUED, db, deal_key="room-b").notes[P2].shares_issued \
        == 709_219
    book = pipedeal.book(deal, as_of=VALUED, db=db, deal_key="room-b", steps=STEPS).to_json()
    assert book["ledger"]["totals"]["principal_converted"] == "1000000.00"
