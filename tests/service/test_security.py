"""Security: cookies and CSRF, session fixation, password hashing, token revocation and scope,
login throttling, and no secret in any log line or audit entry. Bad input writes nothing."""

from __future__ import annotations

import datetime as dt
import logging
import stat
from urllib.parse import quote

import pytest
from tests.service.conftest import DEAL, P1, PASSWORD, Room

from pipedeal.service.store import tokens as tokens_table

D = "/deals/" + quote(DEAL)
NOTICE = {"kind": "prepayment_notice", "purchaser": P1, "date": "2004-10-04"}


def _login(room: Room, name: str, password: str = PASSWORD) -> object:
    return room.client.post("/auth/login", json={"name": name, "password": password})


def _events(room: Room) -> int:
    return len(room.get("auditor", f"{D}/history").json()["events"])


def test_session_cookie_and_csrf_on_cookie_writes(sqlite_room: Room) -> None:
    room = sqlite_room
    res = _login(room, "issuer")
    assert res.status_code == 200
    cookies = res.headers.get_list("set-cookie")
    session = next(c for c in cookies if c.startswith("pipedeal_session="))
    csrf_cookie = next(c for c in cookies if c.startswith("pipedeal_csrf="))
    assert "HttpOnly" in session and "samesite=lax" in session.lower()
    assert "HttpOnly" not in csrf_cookie and "Secure" not in session
    csrf = res.json()["csrf_token"]
    assert room.client.get(f"{D}/state", params={"as_of": "2004-10-01"}).status_code == 200
    # a cookie-authenticated write without (or with a wrong) CSRF token is refused
    assert room.client.post(f"{D}/events", json=NOTICE).status_code == 403
    wrong = {"X-CSRF-Token": "x" * len(csrf)}
    assert room.client.post(f"{D}/events", json=NOTICE, headers=wrong).status_code == 403
    assert _events(room) == 3
    ok = room.client.post(f"{D}/events", json=NOTICE, headers={"X-CSRF-Token": csrf})
    assert ok.status_code == 201 and ok.json()["record"]["recorded_by"] == "issuer"
    # logout ends the session
    assert room.client.post("/auth/logout", headers={"X-CSRF-Token": csrf}).status_code == 200
    assert room.client.get("/me").status_code == 401


def _plant(room: Room, value: str) -> None:
    room.client.cookies.clear()
    room.client.cookies.set("pipedeal_session", value, domain="testserver.local")


def test_cookies_are_secure_over_tls(sqlite_room: Room) -> None:
    from fastapi.testclient import TestClient

    tls = TestClient(sqlite_room.client.app, base_url="https://testserver")
    res = tls.post("/auth/login", json={"name": "auditor", "password": PASSWORD})
    assert res.status_code == 200
    assert all("Secure" in c for c in res.headers.get_list("set-cookie"))


def test_session_fixation_and_old_sessions(sqlite_room: Room) -> None:
    room = sqlite_room
    _plant(room, "planted-by-an-attacker")
    assert room.client.get("/me").status_code == 401
    _login(room, "auditor")
    first = room.client.cookies.get("pipedeal_session")
    assert first and first != "planted-by-an-attacker"
    _login(room, "auditor")  # a new login: a new session id; the old one is revoked
    second = room.client.cookies.get("pipedeal_session")
    assert second and second != first
    _plant(room, first)
    assert room.client.get("/me").status_code == 401
    _plant(room, second)
    assert room.client.get("/me").json()["user"] == "auditor"
    # a tampered signature is no session
    _plant(room, second[:-2] + ("xx" if not second.endswith("xx") else "yy"))
    assert room.client.get("/me").status_code == 401


def test_password_hashing_parameters(sqlite_room: Room) -> None:
    room = sqlite_room
    res = room.post("admin", "/admin/users", json={"name": "newcomer",
                                                   "password": "another long password"})
    assert res.status_code == 201
    row = room.store.user_row("newcomer")  # type: ignore[union-attr]
    stored = row.password_hash
    assert stored.startswith("$argon2id$v=19$")
    params = dict(p.split("=") for p in stored.split("$")[3].split(","))
    assert int(params["m"]) >= 19456 and int(params["t"]) >= 2  # OWASP's argon2id minimum
    assert "another long password" not in stored
    short = room.post("admin", "/admin/users", json={"name": "x", "password": "short"})
    assert short.status_code == 422 and short.json()["detail"].startswith("password:")


def test_token_shown_once_scoped_and_revoked_at_once(sqlite_room: Room) -> None:
    room = sqlite_room
    csrf = _login(room, "holder_a").json()["csrf_token"]
    h = {"X-CSRF-Token": csrf}
    res = room.client.post("/tokens", json={"scope": "holder", "label": "script"}, headers=h)
    assert res.status_code == 201
    token, tid = res.json()["token"], res.json()["id"]
    # not shown again, not stored
    assert token not in room.client.get("/tokens").text
    with room.store.tx() as conn:  # type: ignore[union-attr]
        stored = [tuple(r) for r in conn.execute(tokens_table.select())]
    assert all(token not in str(r) for r in stored)
    # a scope the user does not hold is refused; a token cannot mint tokens
    assert room.client.post("/tokens", json={"scope": "issuer"}, headers=h).status_code == 403
    assert room.client.post("/tokens", json={"scope": "admin"}, headers=h).status_code == 403
    room.client.cookies.clear()
    bearer = {"Authorization": f"Bearer {token}"}
    assert room.client.get(f"{D}/state", headers=bearer).status_code == 200
    assert room.client.post("/tokens", json={"scope": "holder"}, headers=bearer).status_code == 403
    # revoked: refused at the very next request
    assert room.client.delete(f"/tokens/{tid}", headers=bearer).status_code == 200
    assert room.client.get(f"{D}/state", headers=bearer).status_code == 401
    # a bad bearer token is refused even with a valid session cookie
    _login(room, "holder_a")
    assert room.client.get("/me", headers={"Authorization": "Bearer nope"}).status_code == 401


def test_token_scope_narrows_the_role(sqlite_room: Room) -> None:
    room = sqlite_room
    # the administrator is also an auditor of the deal
    res = room.post("admin", "/admin/grants", json={"user": "admin", "deal": DEAL,
                                                    "role": "auditor"})
    assert res.status_code == 201
    assert room.get("admin", f"{D}/state").status_code == 403  # an admin-scoped token
    csrf = _login(room, "admin").json()["csrf_token"]
    aud = room.client.post("/tokens", json={"scope": "auditor"},
                           headers={"X-CSRF-Token": csrf}).json()["token"]
    room.client.cookies.clear()
    bearer = {"Authorization": f"Bearer {aud}"}
    assert room.client.get(f"{D}/verify", headers=bearer).status_code == 200
    assert room.client.get("/admin/audit", headers=bearer).status_code == 403


def test_login_throttling(sqlite_room: Room) -> None:
    room = sqlite_room
    for _ in range(5):
        assert _login(room, "auditor", "wrong password!").status_code == 401
    blocked = _login(room, "auditor")  # even the right password, while throttled
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 0
    assert _login(room, "issuer").status_code == 200  # another user is not locked out
    room.clock.set(room.clock() + dt.timedelta(minutes=16))
    assert _login(room, "auditor").status_code == 200
    kinds = [e["kind"] for e in room.get("admin", "/admin/audit").json()["entries"]]
    assert kinds.count("login_failed") == 5 and "login_throttled" in kinds


def test_no_secret_in_logs_or_audit(sqlite_room: Room, caplog: pytest.LogCaptureFixture) -> None:
    room = sqlite_room
    caplog.set_level(logging.DEBUG)
    secret_pw = "a password that must never be logged"
    assert room.post("admin", "/admin/users", json={"name": "carol", "password": secret_pw}
                     ).status_code == 201
    _login(room, "carol", "wrong " + secret_pw)
    csrf = _login(room, "carol", secret_pw).json()["csrf_token"]
    room.post("admin", "/admin/grants", json={"user": "carol", "deal": DEAL, "role": "auditor"})
    token = room.client.post("/tokens", json={"scope": "auditor"},
                             headers={"X-CSRF-Token": csrf}).json()["token"]
    session = room.client.cookies.get("pipedeal_session")
    room.client.cookies.clear()
    room.client.get(f"{D}/state", headers={"Authorization": f"Bearer {token}"})
    room.client.get(f"{D}/state", headers={"Authorization": "Bearer pdt_not-a-token-at-all"})
    lines = [r.getMessage() for r in caplog.records]
    assert any('"path": "/auth/login"' in line for line in lines)  # access logs are there
    secrets = [secret_pw, token, csrf, session, "pdt_not-a-token-at-all", *room.tokens.values()]
    for line in lines:
        for s in secrets:
            assert s not in line
    audit = room.get("admin", "/admin/audit").text
    for s in secrets:
        assert s not in audit


def test_secret_key_file_is_private(sqlite_room: Room) -> None:
    mode = stat.S_IMODE(sqlite_room.settings.secret_file.stat().st_mode)
    assert mode == 0o600


@pytest.mark.parametrize(
    "body,headers,status,detail",
    [
        ("{not json", {}, 422, "body: malformed JSON"),
        ([1, 2], {}, 422, "body: expected a JSON object"),
        ({"kind": "coupon"}, {}, 422, "kind: expected one of"),
        ({**NOTICE, "principal": 1000.5}, {}, 422, "principal"),
        ({**NOTICE, "date": "2004-13-01"}, {}, 422, "date"),
        ({**NOTICE, "purchaser": "Purchaser 9"}, {}, 422, "Purchaser 9"),
        ({**NOTICE, "surprise": 1}, {}, 422, "surprise"),
        ({**NOTICE, "date": "2004-07-01"}, {}, 422, "note.prepayment.earliest_months_after_issue"),
        ({**NOTICE, "principal": "2000000"}, {}, 422, "note.prepayment:"),
        ({"kind": "interest_paid", "date": "2004-07-01"}, {}, 422, "purchaser: required"),
        (NOTICE, {"If-Match": '"2"'}, 409, "If-Match: the ledger is at event 3, not 2"),
        (NOTICE, {"If-Match": "soon"}, 422, "If-Match"),
    ],
)
def test_bad_input_is_refused_and_writes_nothing(
    sqlite_room: Room, body: object, headers: dict, status: int, detail: str
) -> None:
    room = sqlite_room
    h = {**room.auth("issuer"), **headers, "Content-Type": "application/json"}
    content = body if isinstance(body, str) else __import__("json").dumps(body)
    res = room.client.post(f"{D}/events", content=content, headers=h)
    assert res.status_code == status, res.text
    assert detail in res.json()["detail"] and "\n" not in res.json()["detail"]
    assert _events(room) == 3


def test_if_match_and_idempotency_key(sqlite_room: Room) -> None:
    room = sqlite_room
    res = room.post("issuer", f"{D}/events", json=NOTICE,
                    headers={"If-Match": '"3"', "Idempotency-Key": "k1"})
    assert res.status_code == 201 and res.headers["ETag"] == '"4"'
    # the same key for another event is a conflict; the same request again is a no-op
    other = {**NOTICE, "purchaser": "Purchaser 2"}
    assert room.post("issuer", f"{D}/events", json=other,
                     headers={"Idempotency-Key": "k1"}).status_code == 409
    same = room.post("issuer", f"{D}/events", json=NOTICE,
                     headers={"If-Match": '"3"', "Idempotency-Key": "k1"})
    assert same.status_code == 200 and same.json()["already_recorded"] is True
    assert _events(room) == 4
    # a retry of a request whose defaults have moved since (the principal "all" is now
    # converted) still finds its event
    elect = {"kind": "conversion_election", "date": "2004-10-05"}
    first = room.post("holder_a", f"{D}/events", json=elect, headers={"Idempotency-Key": "e"})
    assert first.status_code == 201
    retry = room.post("holder_a", f"{D}/events", json=elect, headers={"Idempotency-Key": "e"})
    assert retry.status_code == 200 and retry.json()["record"] == first.json()["record"]
    # keys are per user: another user's "k1" is a new request
    assert room.post("holder_b", f"{D}/events", json={**elect, "kind": "conversion",
                     "principal": "1000"}, headers={"Idempotency-Key": "k1"}).status_code == 201
    assert _events(room) == 6


def test_a_date_outside_the_calendars_is_a_422_naming_the_field(sqlite_room: Room) -> None:
    room = sqlite_room
    for path in (f"{D}/state?as_of=9999-12-31", f"{D}/due?as_of=0001-01-01"):
        res = room.client.get(path, headers=room.auth("auditor"))
        assert res.status_code == 422, res.text
        assert "as_of" in res.json()["detail"] and "calendars' range" in res.json()["detail"]
