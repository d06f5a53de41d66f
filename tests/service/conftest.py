"""Deal-room fixtures: a workspace with the Innovo deal, its users and their tokens.

``room`` builds the application over a fresh workspace (SQLite in a scratch data folder, or
PostgreSQL: a fresh schema in ``$PIPEDEAL_TEST_PG_URL``'s database, dropped afterwards), imports
the bundled example and creates one user per role with an API token. The clock is a ``Clock``
the test moves.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import sqlalchemy as sa

with warnings.catch_warnings():  # starlette's test client on httpx 0.28: a deprecation note
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient
from tests.conftest import EXAMPLE, skip_or_fail

from pipedeal.service import Settings, create_app, security
from pipedeal.service.store import Store

PG_ENV = "PIPEDEAL_TEST_PG_URL"
DEAL = "Innovo Group 2004 convertible notes and warrants"
P1, P2, P3 = "Purchaser 1", "Purchaser 2", "Purchaser 3"
PASSWORD = "correct horse battery staple"


class Clock:
    """A clock the test sets: ``clock()`` is the current instant."""

    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def set(self, moment: dt.datetime) -> None:
        self.now = moment


@dataclass
class Room:
    client: TestClient
    settings: Settings
    clock: Clock
    tokens: dict[str, str] = field(default_factory=dict)  # who -> bearer token
    store: Store | None = None

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def get(self, who: str | None, path: str, **kw: object) -> object:
        headers = self.auth(who) if who else {}
        return self.client.get(path, headers=headers, **kw)  # type: ignore[arg-type]

    def post(self, who: str | None, path: str, json: object = None,
             headers: dict[str, str] | None = None) -> object:
        h = {**(self.auth(who) if who else {}), **(headers or {})}
        return self.client.post(path, json=json, headers=h)


def pg_url() -> str:
    url = os.environ.get(PG_ENV)
    if not url:
        skip_or_fail(f"{PG_ENV} is not set (bash .ci/services.sh && source .ci/services.env)")
    try:
        engine = sa.create_engine(url)
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # noqa: BLE001 - any failure means no usable server
        skip_or_fail(f"PostgreSQL at {PG_ENV} is not reachable: {str(exc).splitlines()[0]}")
    assert url is not None
    return url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """None: the default SQLite file in the data folder; else a PostgreSQL URL whose
    search_path is a fresh schema (the workspace and ledger tables of this test alone)."""
    if request.param == "sqlite":
        yield None
        return
    url = pg_url()
    schema = f"room_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(url)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in url else "?"
    try:
        yield f"{url}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def make_room(data: Path, db: str | None, clock: Clock) -> Room:
    settings = Settings(data_dir=data, db_url=db, sweep_interval_s=0)
    app = create_app(settings, clock=clock)
    return Room(TestClient(app), settings, clock, store=app.state.store)


USERS = {
    # who: (admin?, role on the Innovo deal, purchaser)
    "admin": (True, None, None),
    "issuer": (False, "issuer", None),
    "holder_a": (False, "holder", P1),
    "holder_b": (False, "holder", P2),
    "auditor": (False, "auditor", None),
    "other": (False, None, None),  # a user of another deal only
}


def populate(room: Room) -> None:
    """The Innovo deal, one user per role, a second deal for ``other``, a token for each."""
    app = room.client.app
    store: Store = app.state.store  # type: ignore[attr-defined]
    deals = app.state.room  # type: ignore[attr-defined]
    now = room.clock()
    deals.import_folder(EXAMPLE, "setup", now)
    # a second deal (same terms, another name) that only "other" may see
    other_files = {p.name: p.read_bytes() for p in EXAMPLE.iterdir() if p.is_file()}
    text = other_files["deal.toml"].decode().replace(f'name = "{DEAL}"', 'name = "Other deal"', 1)
    other_files["deal.toml"] = text.encode()
    deals.import_files(other_files, "setup", now)
    hashed = security.hash_password(PASSWORD)  # one hash for all: argon2 is slow on purpose
    for who, (is_admin, role, purchaser) in USERS.items():
        user = store.add_user(who, hashed, is_admin, now)
        if role is not None:
            store.add_grant(user.id, DEAL, role, purchaser, "setup", now)
        if who == "other":
            store.add_grant(user.id, "Other deal", "issuer", None, "setup", now)
        scope = "admin" if is_admin else (role or "issuer")
        secret = security.new_token()
        store.add_token(user.id, security.digest(secret), "test", scope, now,
                        now + dt.timedelta(days=30))
        room.tokens[who] = secret
    # a revoked token (the issuer's) and an expired one (the auditor's)
    for who, label in (("issuer", "revoked"), ("auditor", "expired")):
        row = store.user_row(who)
        assert row is not None
        secret = security.new_token()
        scope = "issuer" if who == "issuer" else "auditor"
        expires = now + dt.timedelta(days=30) if label == "revoked" else now - dt.timedelta(1)
        tid = store.add_token(row.id, security.digest(secret), label, scope,
                              now - dt.timedelta(days=2), expires)
        if label == "revoked":
            store.revoke_token(tid, now)
        room.tokens[label] = secret


START = dt.datetime(2004, 10, 1, 15, 0, tzinfo=dt.UTC)


@pytest.fixture
def room(tmp_path: Path, backend: str | None) -> Iterator[Room]:
    r = make_room(tmp_path / "room", backend, Clock(START))
    with r.client:
        populate(r)
        yield r


@pytest.fixture
def sqlite_room(tmp_path: Path) -> Iterator[Room]:
    r = make_room(tmp_path / "room", None, Clock(START))
    with r.client:
        populate(r)
        yield r
