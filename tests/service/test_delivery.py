"""Share delivery through the API: a holder converts, the shares are owed; past the delivery
deadline (3 SEC business days by default) the due list and the notices show them overdue, the
sweep tells the issuer and that holder (not the other holder); the issuer records the delivery
(holders may not), which settles it and reaches the holder's inbox."""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

from tests.service.conftest import DEAL, P1, Room

D = "/deals/" + quote(DEAL)
CONVERTED, DEADLINE = "2004-10-04", "2004-10-07"


def _kinds(room: Room, who: str) -> list[str]:
    return [i["kind"] for i in room.get(who, "/inbox").json()["items"]]


def test_delivery_overdue_and_confirmed(room: Room) -> None:
    room.clock.set(dt.datetime(2004, 10, 4, 15, 0, tzinfo=dt.UTC))
    conv = room.post("holder_a", f"{D}/events", headers={"Idempotency-Key": "c1"},
                     json={"kind": "conversion", "date": CONVERTED, "principal": "100000"})
    assert conv.status_code == 201, conv.text
    seq, shares = conv.json()["record"]["seq"], conv.json()["effect"]["shares_issued"]
    assert shares > 0

    def due(who: str, day: str) -> list[dict]:
        items = room.get(who, f"{D}/due", params={"as_of": day}).json()["items"]
        return [i for i in items if i["kind"] == "share_delivery"]

    [item] = due("issuer", "2004-10-05")
    assert (item["date"], item["status"], item["shares"]) == (DEADLINE, "due", shares)
    [item] = due("issuer", "2004-10-08")
    assert item["status"] == "overdue" and item["instrument"] == f"note:{P1}"
    assert due("holder_a", "2004-10-08") == [item] and due("holder_b", "2004-10-08") == []
    pending = room.get("holder_a", f"{D}/notices", params={"as_of": "2004-10-08"}).json()
    assert pending["deliveries"] == [{"instrument": f"note:{P1}", "issued_on": CONVERTED,
                                      "shares": shares, "deadline": DEADLINE, "overdue": True}]
    assert room.get("holder_b", f"{D}/notices").json()["deliveries"] == []

    # the sweep after the deadline: the issuer and holder A are told, once
    room.clock.set(dt.datetime(2004, 10, 8, 15, 0, tzinfo=dt.UTC))
    for _ in range(2):
        assert room.post("admin", "/admin/sweep").status_code == 200
    assert _kinds(room, "issuer").count("delivery_overdue") == 1
    assert _kinds(room, "holder_a").count("delivery_overdue") == 1
    assert "delivery_overdue" not in _kinds(room, "holder_b")

    # a holder may not record a delivery; the issuer can, naming the conversion
    body = {"kind": "shares_delivered", "purchaser": P1, "date": "2004-10-08", "settles": seq}
    assert room.post("holder_a", f"{D}/events", json=body).status_code == 403
    wrong = room.post("issuer", f"{D}/events", json={**body, "settles": 1})
    assert wrong.status_code == 422 and wrong.json()["detail"].startswith(
        "shares_delivered.settles:")
    rec = room.post("issuer", f"{D}/events", json=body, headers={"Idempotency-Key": "d1"})
    assert rec.status_code == 201, rec.text
    assert rec.json()["effect"] == {"shares_delivered": shares, "shares_undelivered": 0}
    assert due("issuer", "2004-10-08") == []
    state = room.get("holder_a", f"{D}/state", params={"as_of": "2004-10-08"}).json()
    assert state["notes"][0]["delivery"]["shares_delivered"] == shares
    assert "shares_delivered" in _kinds(room, "holder_a")
    again = room.post("issuer", f"{D}/events", json={**body, "settles": None})
    assert again.status_code == 422 and "nothing to deliver" in again.json()["detail"]
