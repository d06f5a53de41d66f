"""Reads are served from the last committed view of the ledger, not under the deal's write lock:
a read answers while a write holds the lock, sees an append by another process (another
``Ledger`` on the same database), sees its own user's write at once, and a correction's
restated figures."""

from __future__ import annotations

import datetime as dt
import threading
from urllib.parse import quote

from tests.service.conftest import DEAL, P1, Room

import pipedeal
from pipedeal.ledger import events as ev

D = "/deals/" + quote(DEAL)


def _seqs(room: Room) -> list[int]:
    return [e["seq"] for e in room.get("auditor", f"{D}/history").json()["events"]]


def test_reads_answer_while_a_write_holds_the_lock(room: Room) -> None:
    deals = room.client.app.state.room  # type: ignore[attr-defined]
    h, _ = deals.reading(DEAL)
    answers: dict[str, int] = {}

    def read() -> None:
        for path in (D, f"{D}/state", f"{D}/due", f"{D}/notices", f"{D}/history"):
            answers[path] = room.get("holder_a", path).status_code

    with h.lock:  # a write in progress
        reader = threading.Thread(target=read)
        reader.start()
        reader.join(timeout=60)
        finished = not reader.is_alive()
    reader.join()
    assert finished, "a read waited for the write lock"
    assert set(answers.values()) == {200}


def test_reads_see_another_process_append_and_their_own_writes(room: Room) -> None:
    before = _seqs(room)
    deals = room.client.app.state.room  # type: ignore[attr-defined]
    h, _ = deals.reading(DEAL)
    # another process's ledger on the same database appends a memo
    with pipedeal.open_ledger(h.loaded, room.settings.url) as other:
        other.record(ev.memo(dt.date(2004, 9, 30), "from another process"), by="elsewhere")
    assert _seqs(room) == [*before, before[-1] + 1]
    assert room.get("issuer", D).json()["head_seq"] == before[-1] + 1
    # this user's write is in the next read
    res = room.post("issuer", f"{D}/events",
                    json={"kind": "memo", "date": "2004-09-30", "text": "here"})
    assert res.status_code == 201, res.text
    assert _seqs(room)[-1] == res.json()["record"]["seq"] == before[-1] + 2


def test_a_correction_restates_the_read_view(room: Room) -> None:
    pay = room.post("issuer", f"{D}/events",
                    json={"kind": "interest_paid", "purchaser": P1, "date": "2004-08-02",
                          "through": "2004-07-31"})
    assert pay.status_code == 201, pay.text

    def paid() -> str:
        state = room.get("issuer", f"{D}/state", params={"as_of": "2004-09-30"}).json()
        return next(n["interest_paid"] for n in state["notes"] if n["purchaser"] == P1)

    assert paid() != "0.00"
    fix = room.post("issuer", f"{D}/events",
                    json={"kind": "correction", "date": "2004-09-30",
                          "voids": pay.json()["record"]["seq"], "reason": "wrong note"})
    assert fix.status_code == 201, fix.text
    assert paid() == "0.00"
