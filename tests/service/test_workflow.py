"""The election workflow on the Innovo deal, through the API.

The issuer sends prepayment notices to Purchaser 1 and Purchaser 2 on Monday 2004-10-04 (the
window: three SEC business days, closing 2004-10-07); each holder finds it in its inbox;
Purchaser 1 elects to convert inside the window; Purchaser 2 lets it lapse. The sweeper records
the lapse once: run twice, after a restart, and from two server processes at the same moment.
The ledger then equals the CLI's for the same events.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import quote

from tests.conftest import EXAMPLE
from tests.service.conftest import DEAL, P1, P2, P3, Clock, Room, make_room
from typer.testing import CliRunner

from pipedeal.cli import app as cli_app
from pipedeal.service import sweep_elections

D = "/deals/" + quote(DEAL)
NOTICE, ELECTION, CLOSES = "2004-10-04", "2004-10-06", "2004-10-07"


def _lapses(room: Room) -> list[dict]:
    events = room.get("auditor", f"{D}/history").json()["events"]
    return [e for e in events if e["event"]["kind"] == "election_lapsed"]


def test_notice_election_and_lapse(room: Room, tmp_path: Path) -> None:
    room.clock.set(dt.datetime(2004, 10, 4, 14, 0, tzinfo=dt.UTC))
    for p in (P1, P2):
        res = room.post("issuer", f"{D}/events", headers={"Idempotency-Key": f"notice-{p}"},
                        json={"kind": "prepayment_notice", "purchaser": p, "date": NOTICE})
        assert res.status_code == 201, res.text
        assert res.json()["effect"]["election_window_closes"] == CLOSES
    # a retry with the same key records nothing more
    again = room.post("issuer", f"{D}/events", headers={"Idempotency-Key": f"notice-{P1}"},
                      json={"kind": "prepayment_notice", "purchaser": P1, "date": NOTICE})
    assert again.status_code == 200 and again.json()["already_recorded"] is True

    # each holder's inbox has its own notice, with the window and its deadline instant
    for who, p in (("holder_a", P1), ("holder_b", P2)):
        items = room.get(who, "/inbox").json()["items"]
        assert [i["kind"] for i in items] == ["prepayment_notice"]
        assert items[0]["event"]["instrument"] == f"note:{p}"
        w = items[0]["election_window"]
        assert (w["closes"], w["settle_from"]) == (CLOSES, "2004-10-08")
        assert w["deadline"] == "2004-10-08T00:00:00-04:00"
    assert room.get("auditor", "/inbox").json()["items"] == []
    # an item is marked read by its recipient only
    item = room.get("holder_a", "/inbox").json()["items"][0]["id"]
    assert room.post("holder_b", f"/inbox/{item}/read").status_code == 404
    assert room.post("holder_a", f"/inbox/{item}/read").status_code == 200
    assert room.get("holder_a", "/inbox", params={"unread": "true"}).json()["items"] == []

    # Purchaser 1 elects inside the window (principal and accrued interest, the defaults)
    room.clock.set(dt.datetime(2004, 10, 6, 16, 0, tzinfo=dt.UTC))
    res = room.post("holder_a", f"{D}/events",
                    json={"kind": "conversion_election", "date": ELECTION})
    assert res.status_code == 201, res.text
    assert res.json()["record"]["recorded_by"] == "holder_a"
    issuer_inbox = room.get("issuer", "/inbox").json()["items"]
    assert [i["kind"] for i in issuer_inbox] == ["conversion_election"]

    # before the deadline the sweeper records nothing; Purchaser 2 may still elect, and is
    # reminded (once) within the last day
    room.clock.set(dt.datetime(2004, 10, 8, 3, 59, tzinfo=dt.UTC))  # 23:59 in New York
    assert room.post("admin", "/admin/sweep").json() == {"lapses": []}
    assert room.post("admin", "/admin/sweep").json() == {"lapses": []}
    kinds = [i["kind"] for i in room.get("holder_b", "/inbox").json()["items"]]
    assert kinds == ["prepayment_notice", "window_closing"]
    assert [i["kind"] for i in room.get("holder_a", "/inbox").json()["items"]] == [
        "prepayment_notice"  # Purchaser 1 has elected: its window is no longer open
    ]
    # after it: one lapse, however often it runs
    room.clock.set(dt.datetime(2004, 10, 8, 4, 0, tzinfo=dt.UTC))
    first = room.post("admin", "/admin/sweep").json()["lapses"]
    assert [(x["purchaser"], x["already_recorded"]) for x in first] == [(P2, False)]
    assert room.post("admin", "/admin/sweep").json() == {"lapses": []}
    lapses = _lapses(room)
    assert len(lapses) == 1 and lapses[0]["recorded_by"] == "pipedeal-sweeper"
    assert lapses[0]["event"] == {"kind": "election_lapsed", "date": "2004-10-08",
                                  "instrument": f"note:{P2}", "payload": {}}
    assert lapses[0]["idempotency_key"] == f"sweep:election_lapsed:{P2}:{NOTICE}"
    # the holder and the issuer hear of it; the prepayment is due for settlement
    assert [i["kind"] for i in room.get("holder_b", "/inbox").json()["items"]] == [
        "prepayment_notice", "window_closing", "election_lapsed"
    ]
    # the issuers' inboxes say what falls due (once, however many sweeps)
    dues = [i for i in room.get("issuer", "/inbox").json()["items"] if i["kind"] == "due"]
    assert {(i["due"]["kind"], i["due"]["instrument"]) for i in dues} >= {
        ("prepayment_settlement", f"note:{P2}"), ("interest_payment", f"note:{P3}")
    }
    assert len(dues) == len({(i["due"]["kind"], i["due"]["instrument"], i["due"]["date"])
                             for i in dues})
    # the notices as of a date: a holder sees its own window, with the deadline instant
    own = room.get("holder_b", f"{D}/notices", params={"as_of": "2004-10-08"}).json()
    assert [(n["purchaser"], n["status"], n["deadline"]) for n in own["notices"]] == [
        (P2, "lapsed", "2004-10-08T00:00:00-04:00")
    ]
    every = room.get("issuer", f"{D}/notices", params={"as_of": "2004-10-08"}).json()
    assert [(n["purchaser"], n["status"]) for n in every["notices"]] == [
        (P1, "elected"), (P2, "lapsed")
    ]
    due = room.get("issuer", f"{D}/due", params={"as_of": "2004-10-08", "days": 5}).json()
    settle = [i for i in due["items"] if i["kind"] == "prepayment_settlement"]
    assert [(i["instrument"], i["amount"]) for i in settle] == [(f"note:{P2}", "1000000.00")]
    # a late election is refused, naming the term, and nothing is written
    late = room.post("holder_b", f"{D}/events",
                     json={"kind": "conversion_election", "date": "2004-10-08"})
    assert late.status_code == 422
    assert late.json()["detail"].startswith("note.prepayment.holder_election_days:")
    assert len(room.get("auditor", f"{D}/history").json()["events"]) == 3 + 2 + 1 + 1

    # the ledger equals the CLI's for the same events
    state = room.get("auditor", f"{D}/state", params={"as_of": "2004-10-31"}).json()
    assert state == _cli_state(tmp_path)
    verify = room.get("auditor", f"{D}/verify").json()
    assert verify["ok"] is True and verify["events"] == 7
    # the auditor's export: every event with its hashes, the head, the state on the date
    export = room.get("auditor", f"{D}/export", params={"as_of": "2004-10-31"})
    assert "attachment" in export.headers["content-disposition"]
    doc = export.json()
    assert doc["head"] == {"seq": 7, "hash": verify["head_hash"]}
    assert [e["seq"] for e in doc["events"]] == list(range(1, 8))
    assert doc["events"][-1]["hash"] == verify["head_hash"] and doc["state"] == state


def _cli_state(tmp_path: Path) -> dict:
    d = tmp_path / "cli-deal"
    shutil.copytree(EXAMPLE, d)
    runner = CliRunner()

    def cli(*args: str) -> str:
        result = runner.invoke(cli_app, list(args))
        assert result.exit_code == 0, result.output
        return result.output

    cli("ledger", "init", str(d))
    for p in (P1, P2):
        cli("ledger", "record", "prepayment-notice", str(d), "-p", p, "-d", NOTICE)
    cli("ledger", "record", "conversion-election", str(d), "-p", P1, "-d", ELECTION)
    cli("ledger", "record", "election-lapsed", str(d), "-p", P2, "-d", "2004-10-08")
    return json.loads(cli("ledger", "state", str(d), "--as-of", "2004-10-31", "-f", "json"))


def test_sweeper_once_across_restart_and_two_processes(room: Room) -> None:
    room.clock.set(dt.datetime(2004, 10, 4, 14, 0, tzinfo=dt.UTC))
    for p in (P1, P2):
        res = room.post("issuer", f"{D}/events",
                        json={"kind": "prepayment_notice", "purchaser": p, "date": NOTICE})
        assert res.status_code == 201
    after = dt.datetime(2004, 10, 9, 12, 0, tzinfo=dt.UTC)
    data, db = room.settings.data_dir, room.settings.db_url
    # two more "server processes" on the same workspace, each with its own ledger objects
    rooms = [make_room(data, db, Clock(after)) for _ in range(2)]
    results: list[list] = [[], []]
    barrier = threading.Barrier(2)

    def run(i: int) -> None:
        barrier.wait()
        results[i] = sweep_elections(rooms[i].client.app.state.room, after)  # type: ignore[attr-defined]

    with rooms[0].client, rooms[1].client:
        threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    recorded = sorted((x.purchaser, x.already_recorded) for r in results for x in r)
    fresh = [x for x in recorded if not x[1]]
    assert sorted(p for p, _ in fresh) == [P1, P2]  # each lapse appended by exactly one
    # a restart: a new application on the same data sweeps again; nothing more is recorded
    restarted = make_room(data, db, Clock(after))
    with restarted.client:
        again = sweep_elections(restarted.client.app.state.room, after)  # type: ignore[attr-defined]
        assert all(x.already_recorded for x in again)
    room.clock.set(after)
    assert sorted(e["event"]["instrument"] for e in _lapses(room)) == [f"note:{P1}", f"note:{P2}"]
    assert room.get("auditor", f"{D}/verify").json()["ok"] is True
    # each holder got one lapse message, whoever swept
    for who in ("holder_a", "holder_b"):
        kinds = [i["kind"] for i in room.get(who, "/inbox").json()["items"]]
        assert kinds == ["prepayment_notice", "election_lapsed"]


_SWEEP = """
import datetime as dt, json, sys
from pathlib import Path
from pipedeal.service import Settings, create_app, sweep_elections
data, db, at = Path(sys.argv[1]), sys.argv[2] or None, dt.datetime.fromisoformat(sys.argv[3])
app = create_app(Settings(data_dir=data, db_url=db, sweep_interval_s=0), clock=lambda: at)
print("ready", flush=True)
sys.stdin.readline()  # start together
lapses = sweep_elections(app.state.room, at)
print(json.dumps([[x.purchaser, x.already_recorded] for x in lapses]), flush=True)
"""


def test_sweeper_once_across_two_os_processes(room: Room) -> None:
    """Two real processes sweep the same workspace at the same moment: one lapse each."""
    room.clock.set(dt.datetime(2004, 10, 4, 14, 0, tzinfo=dt.UTC))
    for p in (P1, P2):
        res = room.post("issuer", f"{D}/events",
                        json={"kind": "prepayment_notice", "purchaser": p, "date": NOTICE})
        assert res.status_code == 201
    after = "2004-10-09T12:00:00+00:00"
    args = [str(room.settings.data_dir), room.settings.db_url or "", after]
    procs = [
        subprocess.Popen([sys.executable, "-c", _SWEEP, *args], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    for proc in procs:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    outputs = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        outputs.append(json.loads(out.strip().splitlines()[-1]))
    fresh = sorted(p for out in outputs for p, already in out if not already)
    assert fresh == [P1, P2]  # each lapse appended by exactly one process
    room.clock.set(dt.datetime(2004, 10, 9, 12, 0, tzinfo=dt.UTC))
    assert sorted(e["event"]["instrument"] for e in _lapses(room)) == [f"note:{P1}", f"note:{P2}"]
    assert room.get("auditor", f"{D}/verify").json()["ok"] is True
