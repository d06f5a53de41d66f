"""The election deadline in each user's time zone: inbox messages and the notices endpoint;
``--tz``/``--email`` on ``pipedeal users add`` and the admin API; an older workspace gets the new
columns."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from urllib.parse import quote

import sqlalchemy as sa
from tests.service.conftest import DEAL, P1, Room
from typer.testing import CliRunner

from pipedeal.cli import app as cli_app
from pipedeal.service.store import Store, users

D = "/deals/" + quote(DEAL)
NY_END = "2004-10-08T00:00:00-04:00"  # the end of 2004-10-07 in New York


def _zones(store: Store) -> None:
    with store.engine.begin() as conn:
        conn.execute(users.update().where(users.c.name == "holder_a").values(tz="Europe/London"))
        conn.execute(users.update().where(users.c.name == "issuer").values(tz="Asia/Tokyo"))


def test_deadline_in_each_users_zone(room: Room) -> None:
    assert room.store is not None
    _zones(room.store)
    room.clock.set(dt.datetime(2004, 10, 4, 14, 0, tzinfo=dt.UTC))
    res = room.post("issuer", f"{D}/events",
                    json={"kind": "prepayment_notice", "purchaser": P1, "date": "2004-10-04"})
    assert res.status_code == 201, res.text  # type: ignore[attr-defined]
    item = room.get("holder_a", "/inbox").json()["items"][0]  # type: ignore[attr-defined]
    w = item["election_window"]
    assert w["deadline"] == NY_END
    assert (w["your_zone"], w["deadline_local"]) == ("Europe/London",
                                                     "2004-10-08T05:00:00+01:00")
    assert w["holders"] == [{"zone": "Europe/London", "deadline": "2004-10-08T05:00:00+01:00"}]
    assert w["issuers"] == [{"zone": "Asia/Tokyo", "deadline": "2004-10-08T13:00:00+09:00"}]
    for who, zone, local in (
        ("holder_a", "Europe/London", "2004-10-08T05:00:00+01:00"),
        ("issuer", "Asia/Tokyo", "2004-10-08T13:00:00+09:00"),
        ("auditor", "America/New_York", NY_END),  # no zone: the deal's calendar zone
    ):
        got = room.get(who, f"{D}/notices", params={"as_of": "2004-10-05"})
        [n] = got.json()["notices"]  # type: ignore[attr-defined]
        assert (n["purchaser"], n["deadline"]) == (P1, NY_END)
        assert (n["your_zone"], n["deadline_local"]) == (zone, local)
        assert n["issuers"] == w["issuers"] and n["holders"] == w["holders"]
    # holder B sees no notice of Purchaser 1's
    got = room.get("holder_b", f"{D}/notices", params={"as_of": "2004-10-05"})
    assert got.json()["notices"] == []  # type: ignore[attr-defined]


def test_admin_api_user_with_email_and_zone(sqlite_room: Room) -> None:
    room = sqlite_room
    ok = room.post("admin", "/admin/users", json={
        "name": "h3", "password": "a long enough password", "email": "h3@example.test",
        "tz": "Europe/Zurich"})
    assert ok.status_code == 201, ok.text  # type: ignore[attr-defined]
    bad = room.post("admin", "/admin/users", json={
        "name": "h4", "password": "a long enough password", "tz": "Mars/Olympus"})
    assert bad.status_code == 422
    assert bad.json()["detail"].startswith("tz: not an IANA time zone")  # type: ignore[attr-defined]
    bad = room.post("admin", "/admin/users", json={
        "name": "h5", "password": "a long enough password", "email": "no-at-sign"})
    assert bad.status_code == 422
    assert room.store is not None
    with room.store.engine.connect() as conn:
        row = conn.execute(sa.select(users).where(users.c.name == "h3")).one()
    assert (row.email, row.tz) == ("h3@example.test", "Europe/Zurich")


def test_cli_users_add_email_tz(tmp_path: Path) -> None:
    data = tmp_path / "room"
    env = {"PIPEDEAL_PASSWORD": "a long enough password"}
    runner = CliRunner()
    res = runner.invoke(cli_app, ["users", "add", "h", "--email", "h@example.test",
                                  "--tz", "Europe/Paris", "--data", str(data)], env=env)
    assert res.exit_code == 0, res.output
    res = runner.invoke(cli_app, ["users", "add", "x", "--tz", "Nowhere/City",
                                  "--data", str(data)], env=env)
    assert res.exit_code != 0 and "--tz: not an IANA time zone" in res.output
    store = Store(f"sqlite:///{data / 'room.sqlite'}")
    try:
        with store.engine.connect() as conn:
            row = conn.execute(sa.select(users).where(users.c.name == "h")).one()
        assert (row.email, row.tz) == ("h@example.test", "Europe/Paris")
    finally:
        store.close()


def test_older_workspace_gets_new_columns(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:  # the tables as an older version made them
        conn.exec_driver_sql(
            "CREATE TABLE room_users (id INTEGER PRIMARY KEY, name VARCHAR(200) NOT NULL UNIQUE,"
            " password_hash VARCHAR(300) NOT NULL, is_admin BOOLEAN NOT NULL,"
            " created_at VARCHAR(40) NOT NULL, disabled BOOLEAN NOT NULL)")
        conn.exec_driver_sql(
            "INSERT INTO room_users VALUES (1, 'old', 'x', 0, '2004-01-01', 0)")
        conn.exec_driver_sql(
            "CREATE TABLE room_outbox (id INTEGER PRIMARY KEY, dedupe VARCHAR(500) NOT NULL"
            " UNIQUE, created_at VARCHAR(40) NOT NULL, deal_key VARCHAR(300) NOT NULL,"
            " recipient_id INTEGER NOT NULL, kind VARCHAR(40) NOT NULL, seq INTEGER,"
            " body TEXT NOT NULL, attempts INTEGER NOT NULL, delivered_at VARCHAR(40),"
            " read_at VARCHAR(40))")
    engine.dispose()
    for _ in range(2):  # a second open finds them there
        store = Store(f"sqlite:///{path}")
        cols = {c["name"] for c in sa.inspect(store.engine).get_columns("room_outbox")}
        assert {"next_attempt_at", "claimed_by", "claimed_until", "last_error"} <= cols
        assert store.zones_of([1]) == {1: None}
        store.close()
