"""Corrections: a ``correction`` event voids an earlier one; every view replays without it, the
chain keeps both, history shows the pair, and a voiding that breaks a later event is refused."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from typer.testing import CliRunner

from pipedeal import api
from pipedeal.cli import app
from pipedeal.ledger import events as ev
from pipedeal.ledger import init_ledger
from pipedeal.ledger.registry import RuleViolation
from pipedeal.ledger.store import open_ledger

P1 = "Purchaser 1"


def _cli(*args: str) -> tuple[int, str, str]:
    r = CliRunner().invoke(app, list(args))
    return r.exit_code, r.stdout, r.stderr


def test_voided_conversion_is_replayed_away_everywhere(backend):
    ledger = init_ledger(backend.deal_dir, backend.db, **backend.open_args())
    wrong = ledger.record(ev.conversion(P1, dt.date(2004, 8, 2), principal=100_000))
    assert ledger.state(dt.date(2004, 9, 1)).notes[P1].shares_issued > 0
    fix = ledger.record(ev.correction(dt.date(2004, 8, 3), wrong.seq, "typed on the wrong note",
                                      f"note:{P1}"))
    note = ledger.state(dt.date(2004, 9, 1)).notes[P1]
    assert note.shares_issued == 0 and note.outstanding_principal == Decimal("1000000")
    # the chain keeps both and verifies; a fresh reader (another process) folds the same way
    assert ledger.verify().ok
    with open_ledger(backend.deal_dir, backend.db, **backend.open_args()) as again:
        assert [r.seq for r in again.events()][-2:] == [wrong.seq, fix.seq]
        assert again.state(dt.date(2004, 9, 1)).notes[P1].shares_issued == 0
    # the public API's views (state, cap table, journal) count nothing from the voided event
    state = api.deal_state(backend.deal_dir, dt.date(2004, 9, 1), backend.db,
                           deal_key=backend.deal_key)
    assert state.notes[P1].shares_issued == 0
    record = api.deal_record(backend.deal_dir, backend.db, deal_key=backend.deal_key)
    assert [s.recorded.seq for s in record.steps(dt.date(2004, 9, 1))] == [1, 2, 3]
    # the note can be converted again, correctly, after the correction
    ledger.record(ev.conversion(P1, dt.date(2004, 8, 4), principal=50_000))
    assert ledger.state(dt.date(2004, 9, 1)).notes[P1].outstanding_principal == Decimal("950000")
    ledger.close()


def test_history_shows_the_pair(sqlite_backend):
    d = str(sqlite_backend.deal_dir)
    assert _cli("ledger", "init", d)[0] == 0
    assert _cli("ledger", "record", d, "memo", "-d", "2004-07-01", "--text", "typo")[0] == 0
    code, out, err = _cli("ledger", "record", d, "correction", "-d", "2004-07-02",
                          "--voids", "4", "--reason", "entered twice")
    assert code == 0, err
    code, out, _ = _cli("ledger", "history", d, "--format", "json")
    events = json.loads(out)["events"]
    assert events[3]["voided_by"] == 5
    assert events[4]["event"]["kind"] == "correction"
    assert events[4]["event"]["payload"] == {"voids": 4, "reason": "entered twice"}
    # filtered to before the correction, the voided event is still marked
    code, out, _ = _cli("ledger", "history", d, "--as-of", "2004-07-01", "--format", "json")
    assert json.loads(out)["events"][-1]["voided_by"] == 5
    code, out, _ = _cli("ledger", "history", d)
    assert "(voided by 5)" in out


@pytest.mark.parametrize(
    ("voids", "message"),
    [
        ("99", "--voids: there is no event 99"),
        ("5", "event 5 is a correction; corrections are final"),
        ("4", "event 4 was already voided by event 5"),
    ],
)
def test_bad_corrections_are_one_line_and_write_nothing(sqlite_backend, voids, message):
    d = str(sqlite_backend.deal_dir)
    _cli("ledger", "init", d)
    _cli("ledger", "record", d, "memo", "-d", "2004-07-01", "--text", "typo")
    _cli("ledger", "record", d, "correction", "-d", "2004-07-02", "--voids", "4",
         "--reason", "x")
    code, _, err = _cli("ledger", "record", d, "correction", "-d", "2004-07-03",
                        "--voids", voids, "--reason", "again")
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1
    with open_ledger(sqlite_backend.deal_dir) as ledger:
        assert len(ledger.events()) == 5


def test_voiding_what_a_later_event_relied_on_is_refused(sqlite_backend):
    ledger = init_ledger(sqlite_backend.deal_dir)
    conv = ledger.record(ev.conversion(P1, dt.date(2004, 8, 2), principal=1_000_000))
    # the note is fully converted; voiding its issue would leave the conversion without a note
    with pytest.raises(RuleViolation, match=f"event {conv.seq} .*no longer valid"):
        ledger.record(ev.correction(dt.date(2004, 8, 3), 1, "never issued", f"note:{P1}"))
    assert len(ledger.events()) == conv.seq
    # a correction on another instrument than its target's is refused too
    with pytest.raises(RuleViolation, match="correction.instrument"):
        ledger.record(ev.correction(dt.date(2004, 8, 3), conv.seq, "x", "deal"))
    ledger.close()
