"""Share delivery: shares issued on conversion or exercise against those the transfer agent
delivered, the delivery deadline (a contract term answered by the instrument) and the due list's
share_delivery items; the CLI command."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from typer.testing import CliRunner

from pipedeal.cli.app import app
from pipedeal.errors import UserError
from pipedeal.ledger import RuleViolation, due_items, replay
from pipedeal.ledger import events as ev
from pipedeal.ledger.corrections import Numbered
from pipedeal.ledger.delivery_rules import check_settles

from .test_paths import ISSUES, P1, P2, with_terms

CONVERTED = dt.date(2004, 10, 4)  # a Monday
CONVERSION = ev.conversion(P1, CONVERTED, 100_000)


def test_conversion_owes_its_shares_until_delivered(contract):
    s = replay(contract, [*ISSUES, CONVERSION], dt.date(2004, 10, 5))
    d = s.notes[P1].delivery
    assert d.shares_issued == s.notes[P1].shares_issued > 0
    assert d.shares_delivered == 0 and d.undelivered == d.shares_issued
    [pending] = d.pending
    # 3 business days after Monday 4 October 2004 (the default term)
    assert (pending.issued_on, pending.deadline, pending.overdue) == (
        CONVERTED, dt.date(2004, 10, 7), False
    )
    issued = d.shares_issued
    log = [*ISSUES, CONVERSION, ev.shares_delivered(f"note:{P1}", dt.date(2004, 10, 6), 1000)]
    d = replay(contract, log, dt.date(2004, 10, 6)).notes[P1].delivery
    assert (d.shares_delivered, d.pending[0].shares) == (1000, issued - 1000)
    log.append(ev.shares_delivered(f"note:{P1}", dt.date(2004, 10, 7), issued - 1000))
    s = replay(contract, log, dt.date(2004, 10, 20))
    assert s.notes[P1].delivery.pending == () and s.notes[P1].delivery.undelivered == 0
    assert s.to_json()["notes"][0]["delivery"] == {
        "shares_issued": issued, "shares_delivered": issued, "shares_undelivered": 0,
        "pending": [],
    }
    assert not [i for i in due_items(contract, s, 30) if i.kind == "share_delivery"]


def test_undelivered_past_the_deadline_is_overdue_in_the_due_list(contract):
    s = replay(contract, [*ISSUES, CONVERSION], dt.date(2004, 10, 8))
    [item] = [i for i in due_items(contract, s, 30) if i.kind == "share_delivery"]
    assert (item.date, item.status) == (dt.date(2004, 10, 7), "overdue")
    assert item.instrument == f"note:{P1}"
    assert item.shares == s.notes[P1].shares_issued
    assert s.to_json()["notes"][0]["delivery"]["pending"][0]["overdue"] is True
    # on the deadline itself it is due, not overdue
    s = replay(contract, [*ISSUES, CONVERSION], dt.date(2004, 10, 7))
    [item] = [i for i in due_items(contract, s, 30) if i.kind == "share_delivery"]
    assert item.status == "due"


def test_the_deadline_is_the_contract_term_on_the_business_calendar(contract):
    c = with_terms(contract, **{"note.conversion.delivery_business_days": 5})
    # Monday 11 October 2004 was Columbus Day (a federal holiday: the SEC was closed)
    assert c.note(P1).delivery_deadline(CONVERTED) == dt.date(2004, 10, 12)
    # Friday 8 October 2004 + 1 business day skips the weekend and the holiday
    c1 = with_terms(contract, **{"warrant.delivery_business_days": 1})
    assert c1.delivery_deadline(f"warrant:{P1}", dt.date(2004, 10, 8)) == dt.date(2004, 10, 12)
    assert contract.fingerprint() == c.fingerprint() == c1.fingerprint()  # not a ledger rule


def test_warrant_exercise_owes_the_delivered_shares(contract):
    log = [*ISSUES, ev.warrant_exercised(P2, dt.date(2005, 3, 10), 62_500)]
    s = replay(contract, log, dt.date(2005, 3, 31))
    d = s.warrants[P2].delivery
    assert d.shares_issued == 62_500 and d.pending[0].overdue
    log.append(ev.shares_delivered(f"warrant:{P2}", dt.date(2005, 3, 31), 62_500, settles=4))
    assert replay(contract, log, dt.date(2005, 3, 31)).warrants[P2].delivery.pending == ()


@pytest.mark.parametrize(
    ("extra", "term"),
    [
        (ev.shares_delivered(f"note:{P2}", dt.date(2004, 10, 6), 1), "shares_delivered.shares"),
        (ev.shares_delivered(f"note:{P1}", dt.date(2004, 10, 6), 10**9), "shares_delivered.shares"),
    ],
)
def test_more_than_owed_is_refused(contract, extra, term):
    with pytest.raises(RuleViolation, match=term):
        replay(contract, [*ISSUES, CONVERSION, extra], dt.date(2004, 12, 31))


def test_a_delivery_is_about_a_note_or_a_warrant():
    with pytest.raises(ValueError, match="not 'deal'"):
        ev.shares_delivered("deal", dt.date(2004, 10, 6), 10)


def test_settles_must_name_a_conversion_or_exercise_on_the_instrument():
    log = [Numbered(i + 1, e) for i, e in enumerate([*ISSUES, CONVERSION])]
    ok = ev.shares_delivered(f"note:{P1}", dt.date(2004, 10, 6), 10, settles=4)
    check_settles(log, ok)
    for settles, match in ((1, "note_issued"), (9, "no event 9")):
        bad = ev.shares_delivered(f"note:{P1}", dt.date(2004, 10, 6), 10, settles=settles)
        with pytest.raises(UserError, match=match):
            check_settles(log, bad)


def test_cli_records_a_delivery_and_due_lists_it(sqlite_backend):
    runner = CliRunner()
    d = str(sqlite_backend.deal_dir)
    assert runner.invoke(app, ["ledger", "init", d]).exit_code == 0
    conv = runner.invoke(
        app, ["ledger", "record", d, "conversion", "--purchaser", P1, "--date", "2004-10-04",
              "--principal", "100000", "--interest", "0", "--format", "json"],
    )
    assert conv.exit_code == 0, conv.output
    seq = json.loads(conv.stdout)["record"]["seq"]
    due = runner.invoke(app, ["ledger", "due", d, "--as-of", "2004-10-08", "--format", "json"])
    kinds = [(i["kind"], i["status"]) for i in json.loads(due.stdout)["items"]]
    assert ("share_delivery", "overdue") in kinds
    bad = runner.invoke(
        app, ["ledger", "record", d, "shares-delivered", "--instrument", f"note:{P1}",
              "--date", "2004-10-08", "--settles", "1"],
    )
    assert bad.exit_code == 2 and "settles" in bad.output
    rec = runner.invoke(
        app, ["ledger", "record", d, "shares-delivered", "--instrument", f"note:{P1}",
              "--date", "2004-10-08", "--settles", str(seq), "--format", "json"],
    )
    assert rec.exit_code == 0, rec.output
    assert json.loads(rec.stdout)["effect"]["shares_undelivered"] == 0
    due = runner.invoke(app, ["ledger", "due", d, "--as-of", "2004-10-08", "--format", "json"])
    assert "share_delivery" not in due.stdout
    again = runner.invoke(
        app, ["ledger", "record", d, "shares-delivered", "--instrument", f"note:{P1}",
              "--date", "2004-10-09"],
    )
    assert again.exit_code == 2 and "nothing to deliver" in again.output
