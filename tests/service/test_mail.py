"""E-mail delivery of the outbox, against a real SMTP server (aiosmtpd) on 127.0.0.1.

A notice reaches each affected holder exactly once even when two workers deliver at the same
moment (SQLite and PostgreSQL); a server that refuses and then accepts gets the message again
after the backoff, and once; without ``--smtp`` the inbox is all there is; ``pipedeal serve``'s
worker thread delivers by itself; no log line carries the SMTP password.
"""

from __future__ import annotations

import datetime as dt
import email
import logging
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from email.message import Message
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from tests.service.conftest import DEAL, P1, P2, Clock, Room, make_room, populate

from pipedeal.service import create_app
from pipedeal.service.mailer import SmtpConfig, backoff, deliver_pending
from pipedeal.service.store import Store, outbox, users

aiosmtpd = pytest.importorskip("aiosmtpd")
from aiosmtpd.controller import Controller  # noqa: E402

D = "/deals/" + quote(DEAL)
NOTICE = "2004-10-04"


class Sink:
    """An SMTP handler that keeps what it accepts; refuses the first ``refuse`` DATA commands
    with a temporary error (451)."""

    def __init__(self, refuse: int = 0) -> None:
        self.refuse = refuse
        self.refused = 0
        self.messages: list[Message] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:  # noqa: N802
        with self.lock:
            if self.refused < self.refuse:
                self.refused += 1
                return "451 4.3.0 try again later"
            self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"

    def to(self) -> list[str]:
        return sorted(str(m["To"]) for m in self.messages)


@pytest.fixture
def smtp_server() -> Iterator[tuple[Sink, Controller]]:
    sink = Sink()
    with socket.socket() as probe:  # a free port (aiosmtpd's controller cannot take port 0)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    ctl = Controller(sink, hostname="127.0.0.1", port=port)
    ctl.start()
    try:
        yield sink, ctl
    finally:
        ctl.stop()


def _port(ctl: Controller) -> int:
    return int(ctl.port)


def _cfg(ctl: Controller) -> SmtpConfig:
    return SmtpConfig.parse(f"smtp://127.0.0.1:{_port(ctl)}", "room@example.test")


def _set_emails(store: Store) -> None:
    with store.engine.begin() as conn:
        for name in ("admin", "issuer", "holder_a", "holder_b", "auditor", "other"):
            conn.execute(users.update().where(users.c.name == name)
                         .values(email=f"{name}@example.test"))


def _notices(room: Room) -> None:
    room.clock.set(dt.datetime(2004, 10, 4, 14, 0, tzinfo=dt.UTC))
    for p in (P1, P2):
        res = room.post("issuer", f"{D}/events",
                        json={"kind": "prepayment_notice", "purchaser": p, "date": NOTICE})
        assert res.status_code == 201, res.text
    res = room.post("holder_a", f"{D}/events",
                    json={"kind": "conversion_election", "date": "2004-10-06"})
    assert res.status_code == 201, res.text


def test_two_workers_send_each_message_once(
    room: Room, smtp_server: tuple[Sink, Controller]
) -> None:
    sink, ctl = smtp_server
    assert room.store is not None
    store = room.store
    _set_emails(store)
    _notices(room)
    cfg = _cfg(ctl)
    now = room.clock()
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def work(name: str) -> None:
        try:
            barrier.wait()
            for _ in range(5):
                deliver_pending(store, cfg, now, worker=name, limit=1)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    # holder A: its notice; holder B: its notice; the issuer: holder A's election
    assert sink.to() == ["holder_a@example.test", "holder_b@example.test",
                         "issuer@example.test"]
    ids = [str(m["Message-ID"]) for m in sink.messages]
    assert len(set(ids)) == len(ids)
    a = next(m for m in sink.messages if m["To"] == "holder_a@example.test")
    assert "prepayment notice" in str(a["Subject"])
    assert "2004-10-07" in a.get_payload()  # type: ignore[operator]
    # the inbox says delivered; another round sends nothing
    for who in ("holder_a", "holder_b", "issuer"):
        items = room.get(who, "/inbox").json()["items"]  # type: ignore[attr-defined]
        assert items and all(i["delivered_at"] for i in items)
    assert deliver_pending(store, cfg, now + dt.timedelta(hours=1)).sent == 0
    assert len(sink.messages) == 3


def test_refused_then_accepted_is_retried_with_backoff(
    sqlite_room: Room, smtp_server: tuple[Sink, Controller]
) -> None:
    sink, ctl = smtp_server
    sink.refuse = 2
    room = sqlite_room
    assert room.store is not None
    store = room.store
    with store.engine.begin() as conn:
        conn.execute(users.update().where(users.c.name == "holder_a")
                     .values(email="holder_a@example.test"))
    room.clock.set(dt.datetime(2004, 10, 4, 14, 0, tzinfo=dt.UTC))
    res = room.post("issuer", f"{D}/events",
                    json={"kind": "prepayment_notice", "purchaser": P1, "date": NOTICE})
    assert res.status_code == 201
    cfg = _cfg(ctl)
    base = dt.timedelta(seconds=30)
    t0 = room.clock()
    first = deliver_pending(store, cfg, t0, base_backoff=base)
    assert (first.sent, first.failed) == (0, 1)
    # not again before the backoff has passed
    assert deliver_pending(store, cfg, t0 + base - dt.timedelta(seconds=1)).failed == 0
    second = deliver_pending(store, cfg, t0 + base, base_backoff=base)
    assert (second.sent, second.failed) == (0, 1)
    # the second wait is twice the first
    assert deliver_pending(store, cfg, t0 + base + base).failed == 0
    third = deliver_pending(store, cfg, t0 + 3 * base, base_backoff=base)
    assert (third.sent, third.failed) == (1, 0)
    assert sink.to() == ["holder_a@example.test"]
    with store.engine.connect() as conn:
        row = conn.execute(sa.select(outbox).where(outbox.c.kind == "prepayment_notice")).one()
    assert row.attempts == 3 and row.delivered_at is not None and row.last_error is None
    assert deliver_pending(store, cfg, t0 + dt.timedelta(days=1)).sent == 0
    assert len(sink.messages) == 1
    assert backoff(1, base, dt.timedelta(hours=6)) == base
    assert backoff(20, base, dt.timedelta(hours=6)) == dt.timedelta(hours=6)


def test_server_down_is_retried(sqlite_room: Room) -> None:
    room = sqlite_room
    assert room.store is not None
    _set_emails(room.store)
    _notices(room)
    down = SmtpConfig.parse("smtp://127.0.0.1:9", "room@example.test")  # nothing listens
    res = deliver_pending(room.store, down, room.clock())
    assert (res.sent, res.failed) == (0, 3)
    items = room.get("holder_a", "/inbox").json()["items"]  # type: ignore[attr-defined]
    assert items and items[0]["delivered_at"] is None


def test_no_smtp_inbox_only(sqlite_room: Room) -> None:
    room = sqlite_room
    assert room.store is not None
    _set_emails(room.store)
    _notices(room)
    assert room.client.app.state.settings.smtp_url is None  # type: ignore[attr-defined]
    items = room.get("holder_a", "/inbox").json()["items"]  # type: ignore[attr-defined]
    assert [i["kind"] for i in items] == ["prepayment_notice"]
    assert items[0]["delivered_at"] is None


def test_serve_worker_delivers_and_logs_no_password(
    tmp_path: Path, smtp_server: tuple[Sink, Controller], caplog: pytest.LogCaptureFixture
) -> None:
    sink, ctl = smtp_server
    base = make_room(tmp_path / "room", None, Clock(dt.datetime(2004, 10, 4, 14, tzinfo=dt.UTC)))
    secret = "s3cret-smtp-pw"
    settings = replace(base.settings, smtp_url=f"smtp://127.0.0.1:{_port(ctl)}",
                       smtp_from="room@example.test", mail_interval_s=0.05)
    assert secret not in repr(settings)
    assert secret not in repr(SmtpConfig.parse(f"smtp://u:{secret}@127.0.0.1:25"))
    from fastapi.testclient import TestClient

    base.store.close() if base.store else None  # type: ignore[func-returns-value]
    app = create_app(settings, clock=base.clock)
    room = Room(TestClient(app), settings, base.clock, store=app.state.store)
    caplog.set_level(logging.DEBUG)
    with room.client:
        populate(room)
        assert room.store is not None
        _set_emails(room.store)
        _notices(room)
        deadline = time.monotonic() + 30
        while len(sink.messages) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)
    assert sink.to() == ["holder_a@example.test", "holder_b@example.test",
                         "issuer@example.test"]
    assert all(secret not in r.getMessage() for r in caplog.records)


def test_serve_rejects_a_bad_smtp_url(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from pipedeal.cli import app as cli_app

    res = CliRunner().invoke(cli_app, ["serve", "--data", str(tmp_path / "r"),
                                       "--smtp", "http://u:pw@127.0.0.1:25"])
    assert res.exit_code != 0
    assert "--smtp: not an smtp://HOST:PORT" in res.output and "pw" not in res.output
