"""The issuer voids an event recorded by mistake through the service; holders cannot."""

from __future__ import annotations

from urllib.parse import quote

from tests.service.conftest import DEAL, P1, Room

D = "/deals/" + quote(DEAL)


def test_issuer_voids_an_event_and_the_holder_sees_the_pair(room: Room) -> None:
    wrong = room.post("issuer", f"{D}/events", json={
        "kind": "interest_paid", "purchaser": P1, "date": "2004-07-01"})
    assert wrong.status_code == 201
    seq = wrong.json()["record"]["seq"]
    body = {"kind": "correction", "date": "2004-07-02", "voids": seq, "reason": "paid twice"}
    assert room.post("holder_a", f"{D}/events", json=body).status_code == 403
    fixed = room.post("issuer", f"{D}/events", json=body)
    assert fixed.status_code == 201, fixed.text
    assert fixed.json()["record"]["event"]["instrument"] == f"note:{P1}"
    state = room.get("holder_a", f"{D}/state", params={"as_of": "2004-07-31"}).json()
    assert state["notes"][0]["interest_paid"] in ("0", "0.00")
    history = room.get("holder_a", f"{D}/history").json()["events"]
    voided = [e for e in history if e["seq"] == seq]
    assert voided and voided[0]["voided_by"] == fixed.json()["record"]["seq"]
    # voiding it again, or an event that does not exist: a 4xx naming the field, nothing written
    again = room.post("issuer", f"{D}/events", json={**body, "reason": "again"})
    assert again.status_code in (409, 422) and "already voided" in again.text
    missing = room.post("issuer", f"{D}/events", json={**body, "voids": 999})
    assert missing.status_code == 422 and "voids" in missing.text
