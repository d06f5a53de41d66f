"""The role matrix: every endpoint × every kind of caller, allow or deny; no cross-holder or
cross-deal reads or writes. Runs on SQLite and on PostgreSQL (``backend``)."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from tests.service.conftest import DEAL, P1, P2, P3, Room

WHO = ("issuer", "holder_a", "holder_b", "auditor", "admin", None, "revoked", "expired", "other")
D = "/deals/" + quote(DEAL)

# expected status per caller (None: anonymous); admins and users of another deal see no deal
READ = {"issuer": 200, "holder_a": 200, "holder_b": 200, "auditor": 200, "admin": 404,
        None: 401, "revoked": 401, "expired": 401, "other": 404}
AUDIT_READ = {**READ, "holder_a": 403, "holder_b": 403}
ANY_USER = {"issuer": 200, "holder_a": 200, "holder_b": 200, "auditor": 200, "admin": 200,
            None: 401, "revoked": 401, "expired": 401, "other": 200}
ADMIN_ONLY = {**{k: 403 for k in ANY_USER}, "admin": 200, None: 401, "revoked": 401,
              "expired": 401}

READS = [
    (f"{D}", {}, READ),
    (f"{D}/state", {"as_of": "2004-10-01"}, READ),
    (f"{D}/history", {}, READ),
    (f"{D}/due", {"as_of": "2004-10-01", "days": 60}, READ),
    (f"{D}/notices", {"as_of": "2004-10-01"}, READ),
    (f"{D}/value", {"steps": 40}, READ),
    (f"{D}/verify", {}, AUDIT_READ),
    (f"{D}/book", {"as_of": "2004-10-01"}, AUDIT_READ),
    (f"{D}/export", {"as_of": "2004-10-01"}, AUDIT_READ),
    ("/deals", {}, ANY_USER),
    ("/inbox", {}, ANY_USER),
    ("/me", {}, ANY_USER),
    ("/tokens", {}, ANY_USER),
    ("/admin/audit", {}, ADMIN_ONLY),
]
OTHERS = {"holder_a": (P2, P3), "holder_b": (P1, P3)}


@pytest.mark.parametrize("path,params,expected", READS, ids=[r[0] for r in READS])
def test_reads(room: Room, path: str, params: dict, expected: dict) -> None:
    got = {who: room.get(who, path, params=params).status_code for who in WHO}
    assert got == expected
    for holder, others in OTHERS.items():
        text = room.get(holder, path, params=params).text
        for name in others:  # no cross-holder read, not even a name
            assert name not in text, (holder, path, name)
    # a user of another deal sees only that deal
    assert DEAL not in room.get("other", "/deals").text


def _status(room: Room, who: str | None, body: dict) -> int:
    return room.post(who, f"{D}/events", json=body).status_code


def test_issuer_writes(room: Room) -> None:
    body = {"kind": "interest_paid", "purchaser": P1, "date": "2004-07-01"}
    denied = {"holder_a": 403, "holder_b": 403, "auditor": 403, "admin": 404, None: 401,
              "revoked": 401, "expired": 401, "other": 404}
    assert {w: _status(room, w, body) for w in denied} == denied
    assert _status(room, "issuer", body) == 201
    history = room.get("auditor", f"{D}/history").json()["events"]
    assert [e["recorded_by"] for e in history if e["event"]["kind"] == "interest_paid"] == [
        "issuer"
    ]


def test_holder_writes_own_purchaser_only(room: Room) -> None:
    mine = {"kind": "conversion", "date": "2004-07-20", "principal": "100000"}
    # holder B may not convert holder A's note; the issuer and auditor may not convert at all
    for who, status in (("holder_b", 403), ("issuer", 403), ("auditor", 403), ("other", 404),
                        ("admin", 404), (None, 401), ("revoked", 401)):
        assert _status(room, who, {**mine, "purchaser": P1}) == status, who
    assert _status(room, "holder_a", mine) == 201  # purchaser: its own
    assert _status(room, "holder_b", {**mine, "purchaser": P2}) == 201
    events = room.get("issuer", f"{D}/history").json()["events"]
    conv = [(e["event"]["instrument"], e["recorded_by"]) for e in events
            if e["event"]["kind"] == "conversion"]
    assert conv == [(f"note:{P1}", "holder_a"), (f"note:{P2}", "holder_b")]
    # each holder's state shows its own conversion only
    a = room.get("holder_a", f"{D}/state", params={"as_of": "2004-07-31"}).json()
    assert [n["purchaser"] for n in a["notes"]] == [P1] and a["notes"][0]["shares_issued"] > 0
    assert "totals" not in a


def test_cross_deal_writes_are_refused(room: Room) -> None:
    body = {"kind": "interest_paid", "purchaser": P1, "date": "2004-07-01"}
    other = "/deals/" + quote("Other deal") + "/events"
    assert room.post("issuer", other, json=body).status_code == 404
    assert room.post("other", other, json=body).status_code == 201


def test_admin_endpoints(room: Room) -> None:
    user = {"name": "newcomer", "password": "a long enough password"}
    for who in ("issuer", "holder_a", "auditor", "other"):
        assert room.post(who, "/admin/users", json=user).status_code == 403
    assert room.post(None, "/admin/users", json=user).status_code == 401
    assert room.post("admin", "/admin/users", json=user).status_code == 201
    grant = {"user": "newcomer", "deal": DEAL, "role": "auditor"}
    assert room.post("issuer", "/admin/grants", json=grant).status_code == 403
    assert room.post("admin", "/admin/grants", json=grant).status_code == 201
    bad = {"user": "newcomer", "deal": DEAL, "role": "holder", "purchaser": "Purchaser 9"}
    res = room.post("admin", "/admin/grants", json=bad)
    assert res.status_code == 422 and "Purchaser 9" in res.json()["detail"]
