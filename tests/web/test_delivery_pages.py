"""Share delivery on the pages: holder A's conversion owes shares; past the delivery deadline the
issuer's page shows "delivery overdue" and holder A's page its own pending delivery (holder B's
page nothing of it); the issuer's delivery form refuses a wrong reference inline (nothing
written, what was typed kept) and records the delivery once, even when submitted twice."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from fastapi.testclient import TestClient
from tests.service.conftest import P1, Room

from .conftest import API, ROOM, hidden, text_of

Browser = Callable[[str], TestClient]


def head(room: Room) -> int:
    return int(room.get("issuer", API).json()["head_seq"])  # type: ignore[attr-defined]


def test_delivery_overdue_shown_and_recorded(sqlite_room: Room, browser_for: Browser) -> None:
    sqlite_room.clock.set(dt.datetime(2004, 10, 4, 15, 0, tzinfo=dt.UTC))
    conv = sqlite_room.post("holder_a", f"{API}/events",
                            json={"kind": "conversion", "date": "2004-10-04",
                                  "principal": "100000"})
    assert conv.status_code == 201  # type: ignore[attr-defined]
    shares = conv.json()["effect"]["shares_issued"]  # type: ignore[attr-defined]
    seq = conv.json()["record"]["seq"]  # type: ignore[attr-defined]
    sqlite_room.clock.set(dt.datetime(2004, 10, 8, 15, 0, tzinfo=dt.UTC))

    issuer = browser_for("issuer")
    page = issuer.get(f"{ROOM}/issuer")
    text = text_of(page.text)
    assert page.status_code == 200
    assert f"note:{P1} 2004-10-04 {shares:,} 2004-10-07 delivery overdue" in text, text
    mine = text_of(browser_for("holder_a").get(f"{ROOM}/holder").text)
    assert "Shares to be delivered to me" in mine
    assert f"2004-10-04 {shares:,} 2004-10-07 delivery overdue" in mine
    other = text_of(browser_for("holder_b").get(f"{ROOM}/holder").text)
    assert "Nothing pending" in other and f"{shares:,}" not in other

    csrf = hidden(page.text, "csrf")
    before = head(sqlite_room)
    form = {"csrf": csrf, "action": "delivery", "target": f"note:{P1}", "date": "2004-10-08",
            "shares": "", "settles": "2"}
    bad = issuer.post(f"{ROOM}/issuer", data={**form, "nonce": "d0"})
    assert bad.status_code == 422 and "Refused: shares_delivered.settles" in text_of(bad.text)
    assert 'name="settles" inputmode="numeric" value="2"' in bad.text
    assert head(sqlite_room) == before
    for _ in range(2):  # a double submit records once
        ok = issuer.post(f"{ROOM}/issuer", data={**form, "nonce": "d1", "settles": str(seq)})
        assert ok.status_code == 200, text_of(ok.text)
    assert head(sqlite_room) == before + 1
    assert "Nothing to deliver." in text_of(issuer.get(f"{ROOM}/issuer").text)
    mine = text_of(browser_for("holder_a").get(f"{ROOM}/holder").text)
    assert "Nothing pending" in mine
