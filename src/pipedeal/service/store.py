"""The workspace database: users, grants, API tokens, sessions, deals, the audit log, the outbox.

Tables are SQLAlchemy Core, prefixed ``room_``, created on first start next to the ledger's own
tables (one database: SQLite in the data folder or PostgreSQL by URL; each deal's events are in
the ledger's ``ledger_events`` under the deal's key). Times are ISO 8601 UTC strings (they sort
as they compare). Secrets are never stored: passwords as argon2id hashes, tokens and session ids
as SHA-256 digests. The audit log is append-only: nothing here updates or deletes its rows.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from pipedeal.ledger.db import make_engine

ROLES = ("issuer", "holder", "auditor")
TOKEN_SCOPES = (*ROLES, "admin")

metadata = sa.MetaData()

users = sa.Table(
    "room_users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(200), nullable=False, unique=True),
    sa.Column("password_hash", sa.String(300), nullable=False),
    sa.Column("is_admin", sa.Boolean, nullable=False, default=False),
    sa.Column("created_at", sa.String(40), nullable=False),
    sa.Column("disabled", sa.Boolean, nullable=False, default=False),
    # added later (``Store._add_missing_columns`` adds them to an older workspace)
    sa.Column("email", sa.String(320), nullable=True),  # where the SMTP worker sends mail
    sa.Column("tz", sa.String(64), nullable=True),  # IANA zone deadlines are shown in
)

deals = sa.Table(
    "room_deals",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    # the ledger's deal key (the deal's name: the public API opens ledgers by it)
    sa.Column("deal_key", sa.String(300), nullable=False, unique=True),
    sa.Column("folder", sa.String(300), nullable=False),  # under the data folder's deals/
    sa.Column("created_at", sa.String(40), nullable=False),
    sa.Column("created_by", sa.String(200), nullable=False),
)

grants = sa.Table(
    "room_grants",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("room_users.id"), nullable=False),
    sa.Column("deal_key", sa.String(300), nullable=False),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("purchaser", sa.String(300), nullable=True),  # holders only
    sa.Column("created_at", sa.String(40), nullable=False),
    sa.Column("created_by", sa.String(200), nullable=False),
    sa.UniqueConstraint("user_id", "deal_key", name="uq_room_grants_user_deal"),
)

tokens = sa.Table(
    "room_tokens",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("room_users.id"), nullable=False),
    sa.Column("digest", sa.String(64), nullable=False, unique=True),
    sa.Column("label", sa.String(200), nullable=False),
    sa.Column("scope", sa.String(20), nullable=False),
    sa.Column("created_at", sa.String(40), nullable=False),
    sa.Column("expires_at", sa.String(40), nullable=False),
    sa.Column("revoked_at", sa.String(40), nullable=True),
    sa.Column("last_used_at", sa.String(40), nullable=True),
)

sessions = sa.Table(
    "room_sessions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("digest", sa.String(64), nullable=False, unique=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("room_users.id"), nullable=False),
    sa.Column("csrf", sa.String(100), nullable=False),
    sa.Column("created_at", sa.String(40), nullable=False),
    sa.Column("expires_at", sa.String(40), nullable=False),
    sa.Column("revoked_at", sa.String(40), nullable=True),
)

audit = sa.Table(
    "room_audit",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.String(40), nullable=False),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("actor", sa.String(200), nullable=True),
    sa.Column("subject", sa.String(300), nullable=True),
    sa.Column("deal_key", sa.String(300), nullable=True),
    sa.Column("client", sa.String(100), nullable=True),
    sa.Column("detail", sa.Text, nullable=True),
    sa.Index("ix_room_audit_kind_subject_at", "kind", "subject", "at"),
    sa.Index("ix_room_audit_kind_client_at", "kind", "client", "at"),
)

outbox = sa.Table(
    "room_outbox",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    # one message per (deal, ledger event, recipient, kind): writing it twice is a no-op
    sa.Column("dedupe", sa.String(500), nullable=False, unique=True),
    sa.Column("created_at", sa.String(40), nullable=False),
    sa.Column("deal_key", sa.String(300), nullable=False),
    sa.Column("recipient_id", sa.Integer, sa.ForeignKey("room_users.id"), nullable=False),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("seq", sa.Integer, nullable=True),
    sa.Column("body", sa.Text, nullable=False),  # JSON
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("delivered_at", sa.String(40), nullable=True),  # by the SMTP worker
    sa.Column("read_at", sa.String(40), nullable=True),
    # added later (``Store._add_missing_columns``): the SMTP worker's lease and retries
    sa.Column("next_attempt_at", sa.String(40), nullable=True),
    sa.Column("claimed_by", sa.String(100), nullable=True),
    sa.Column("claimed_until", sa.String(40), nullable=True),
    sa.Column("last_error", sa.String(200), nullable=True),
    sa.Index("ix_room_outbox_recipient", "recipient_id", "id"),
)


def iso(moment: dt.datetime) -> str:
    """A stored time: ISO 8601 in UTC with microseconds."""
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds")


@dataclass(frozen=True)
class User:
    id: int
    name: str
    is_admin: bool


@dataclass(frozen=True)
class Grant:
    id: int
    user_id: int
    deal_key: str
    role: str
    purchaser: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "deal": self.deal_key,
            "role": self.role,
            "purchaser": self.purchaser,
        }


class Store:
    """The workspace tables in one database (created if missing)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine: Engine = make_engine(url)
        metadata.create_all(self.engine)
        self._add_missing_columns()

    def _add_missing_columns(self) -> None:
        """A workspace created by an older version lacks the columns added since (all nullable):
        add them (``ALTER TABLE ... ADD COLUMN``; a second process adding the same one at the
        same moment is fine: its error is ignored and the column checked again)."""
        for table in (users, outbox):
            have = {c["name"] for c in sa.inspect(self.engine).get_columns(table.name)}
            for col in table.columns:
                if col.name in have:
                    continue
                assert col.nullable, col.name
                kind = col.type.compile(dialect=self.engine.dialect)
                ddl = f'ALTER TABLE {table.name} ADD COLUMN "{col.name}" {kind}'
                try:
                    with self.engine.begin() as conn:
                        conn.exec_driver_sql(ddl)
                except sa.exc.DBAPIError:
                    now = {c["name"] for c in sa.inspect(self.engine).get_columns(table.name)}
                    if col.name not in now:
                        raise

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def tx(self, write: bool = False) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            if write:  # SQLite: BEGIN IMMEDIATE (take the write lock at once)
                conn = conn.execution_options(pipedeal_write=True)
            with conn.begin():
                yield conn

    # --- users and grants ----------------------------------------------------------------------

    def add_user(
        self,
        name: str,
        password_hash: str,
        is_admin: bool,
        at: dt.datetime,
        *,
        email: str | None = None,
        tz: str | None = None,
    ) -> User:
        with self.tx(write=True) as conn:
            res = conn.execute(
                users.insert().values(
                    name=name,
                    password_hash=password_hash,
                    is_admin=is_admin,
                    created_at=iso(at),
                    disabled=False,
                    email=email,
                    tz=tz,
                )
            )
            key = res.inserted_primary_key
            assert key is not None
            return User(int(key[0]), name, is_admin)

    def user_row(self, name: str) -> sa.Row[Any] | None:
        with self.tx() as conn:
            return conn.execute(sa.select(users).where(users.c.name == name)).first()

    def user_by_id(self, user_id: int) -> User | None:
        with self.tx() as conn:
            row = conn.execute(sa.select(users).where(users.c.id == user_id)).first()
        if row is None or row.disabled:
            return None
        return User(row.id, row.name, bool(row.is_admin))

    def zones_of(self, user_ids: list[int]) -> dict[int, str | None]:
        """Each user's time zone (None: the deal's default)."""
        if not user_ids:
            return {}
        with self.tx() as conn:
            rows = conn.execute(
                sa.select(users.c.id, users.c.tz).where(users.c.id.in_(user_ids))
            ).all()
        return {r.id: r.tz for r in rows}

    def set_password_hash(self, user_id: int, password_hash: str) -> None:
        with self.tx(write=True) as conn:
            conn.execute(
                users.update().where(users.c.id == user_id).values(password_hash=password_hash)
            )

    def grants_of(self, user_id: int) -> list[Grant]:
        with self.tx() as conn:
            rows = conn.execute(
                sa.select(grants).where(grants.c.user_id == user_id).order_by(grants.c.id)
            ).all()
        return [Grant(r.id, r.user_id, r.deal_key, r.role, r.purchaser) for r in rows]

    def grant_for(self, user_id: int, deal_key: str) -> Grant | None:
        with self.tx() as conn:
            r = conn.execute(
                sa.select(grants).where(grants.c.user_id == user_id, grants.c.deal_key == deal_key)
            ).first()
        return None if r is None else Grant(r.id, r.user_id, r.deal_key, r.role, r.purchaser)

    def grants_on(self, deal_key: str) -> list[Grant]:
        with self.tx() as conn:
            rows = conn.execute(
                sa.select(grants).where(grants.c.deal_key == deal_key).order_by(grants.c.id)
            ).all()
        return [Grant(r.id, r.user_id, r.deal_key, r.role, r.purchaser) for r in rows]

    def add_grant(
        self,
        user_id: int,
        deal_key: str,
        role: str,
        purchaser: str | None,
        by: str,
        at: dt.datetime,
    ) -> Grant:
        with self.tx(write=True) as conn:
            conn.execute(
                grants.delete().where(grants.c.user_id == user_id, grants.c.deal_key == deal_key)
            )
            res = conn.execute(
                grants.insert().values(
                    user_id=user_id,
                    deal_key=deal_key,
                    role=role,
                    purchaser=purchaser,
                    created_at=iso(at),
                    created_by=by,
                )
            )
            key = res.inserted_primary_key
            assert key is not None
        return Grant(int(key[0]), user_id, deal_key, role, purchaser)

    def remove_grant(self, grant_id: int) -> Grant | None:
        with self.tx(write=True) as conn:
            r = conn.execute(sa.select(grants).where(grants.c.id == grant_id)).first()
            if r is None:
                return None
            conn.execute(grants.delete().where(grants.c.id == grant_id))
        return Grant(r.id, r.user_id, r.deal_key, r.role, r.purchaser)

    # --- deals ---------------------------------------------------------------------------------

    def deal_folder(self, deal_key: str) -> str | None:
        with self.tx() as conn:
            row = conn.execute(
                sa.select(deals.c.folder).where(deals.c.deal_key == deal_key)
            ).first()
        return None if row is None else str(row.folder)

    def deal_keys(self) -> list[str]:
        with self.tx() as conn:
            rows = conn.execute(sa.select(deals.c.deal_key).order_by(deals.c.id)).all()
        return [str(r.deal_key) for r in rows]

    def add_deal(self, deal_key: str, folder: str, by: str, at: dt.datetime) -> None:
        with self.tx(write=True) as conn:
            conn.execute(
                deals.insert().values(
                    deal_key=deal_key, folder=folder, created_at=iso(at), created_by=by
                )
            )

    # --- tokens and sessions -------------------------------------------------------------------

    def add_token(
        self,
        user_id: int,
        digest: str,
        label: str,
        scope: str,
        at: dt.datetime,
        expires: dt.datetime,
    ) -> int:
        with self.tx(write=True) as conn:
            res = conn.execute(
                tokens.insert().values(
                    user_id=user_id,
                    digest=digest,
                    label=label,
                    scope=scope,
                    created_at=iso(at),
                    expires_at=iso(expires),
                )
            )
            key = res.inserted_primary_key
            assert key is not None
            return int(key[0])

    def token_row(self, digest: str) -> sa.Row[Any] | None:
        with self.tx() as conn:
            return conn.execute(sa.select(tokens).where(tokens.c.digest == digest)).first()

    def token_by_id(self, token_id: int) -> sa.Row[Any] | None:
        with self.tx() as conn:
            return conn.execute(sa.select(tokens).where(tokens.c.id == token_id)).first()

    def tokens_of(self, user_id: int) -> list[sa.Row[Any]]:
        with self.tx() as conn:
            return list(
                conn.execute(
                    sa.select(tokens).where(tokens.c.user_id == user_id).order_by(tokens.c.id)
                ).all()
            )

    def revoke_token(self, token_id: int, at: dt.datetime) -> None:
        with self.tx(write=True) as conn:
            conn.execute(
                tokens.update()
                .where(tokens.c.id == token_id, tokens.c.revoked_at.is_(None))
                .values(revoked_at=iso(at))
            )

    def touch_token(self, token_id: int, at: dt.datetime) -> None:
        with self.tx(write=True) as conn:
            conn.execute(
                tokens.update().where(tokens.c.id == token_id).values(last_used_at=iso(at))
            )

    def add_session(
        self, digest: str, user_id: int, csrf: str, at: dt.datetime, expires: dt.datetime
    ) -> None:
        with self.tx(write=True) as conn:
            conn.execute(
                sessions.insert().values(
                    digest=digest,
                    user_id=user_id,
                    csrf=csrf,
                    created_at=iso(at),
                    expires_at=iso(expires),
                )
            )

    def session_row(self, digest: str) -> sa.Row[Any] | None:
        with self.tx() as conn:
            return conn.execute(sa.select(sessions).where(sessions.c.digest == digest)).first()

    def revoke_session(self, digest: str, at: dt.datetime) -> None:
        with self.tx(write=True) as conn:
            conn.execute(
                sessions.update()
                .where(sessions.c.digest == digest, sessions.c.revoked_at.is_(None))
                .values(revoked_at=iso(at))
            )

    # --- audit log -----------------------------------------------------------------------------

    def audit(
        self,
        kind: str,
        at: dt.datetime,
        *,
        actor: str | None = None,
        subject: str | None = None,
        deal_key: str | None = None,
        client: str | None = None,
        detail: str | None = None,
    ) -> None:
        with self.tx(write=True) as conn:
            conn.execute(
                audit.insert().values(
                    at=iso(at),
                    kind=kind,
                    actor=actor,
                    subject=subject,
                    deal_key=deal_key,
                    client=client,
                    detail=detail,
                )
            )

    def count_audit(
        self, kind: str, since: dt.datetime, *, subject: str | None = None,
        client: str | None = None,
    ) -> int:
        q = sa.select(sa.func.count()).select_from(audit).where(
            audit.c.kind == kind, audit.c.at >= iso(since)
        )
        if subject is not None:
            q = q.where(audit.c.subject == subject)
        if client is not None:
            q = q.where(audit.c.client == client)
        with self.tx() as conn:
            return int(conn.execute(q).scalar_one())

    def audit_rows(self, limit: int = 500, deal_key: str | None = None) -> list[dict[str, Any]]:
        q = sa.select(audit).order_by(audit.c.id.desc()).limit(limit)
        if deal_key is not None:
            q = q.where(audit.c.deal_key == deal_key)
        with self.tx() as conn:
            rows = conn.execute(q).all()
        return [
            {
                "id": r.id,
                "at": r.at,
                "kind": r.kind,
                "actor": r.actor,
                "subject": r.subject,
                "deal": r.deal_key,
                "client": r.client,
                "detail": r.detail,
            }
            for r in reversed(rows)
        ]

    # --- outbox --------------------------------------------------------------------------------

    def enqueue(
        self,
        dedupe: str,
        deal_key: str,
        recipient_id: int,
        kind: str,
        seq: int | None,
        body: dict[str, Any],
        at: dt.datetime,
    ) -> bool:
        """Add one message unless its ``dedupe`` key is already there; whether it was added."""
        with self.tx(write=True) as conn:
            found = conn.execute(
                sa.select(outbox.c.id).where(outbox.c.dedupe == dedupe)
            ).first()
            if found is not None:
                return False
            try:
                with conn.begin_nested():
                    conn.execute(
                        outbox.insert().values(
                            dedupe=dedupe,
                            created_at=iso(at),
                            deal_key=deal_key,
                            recipient_id=recipient_id,
                            kind=kind,
                            seq=seq,
                            body=json.dumps(body, sort_keys=True),
                            attempts=0,
                        )
                    )
            except IntegrityError:  # another process wrote it first
                return False
            return True

    def inbox(self, recipient_id: int, unread_only: bool = False) -> list[dict[str, Any]]:
        q = sa.select(outbox).where(outbox.c.recipient_id == recipient_id).order_by(outbox.c.id)
        if unread_only:
            q = q.where(outbox.c.read_at.is_(None))
        with self.tx() as conn:
            rows = conn.execute(q).all()
        return [
            {
                "id": r.id,
                "created_at": r.created_at,
                "deal": r.deal_key,
                "kind": r.kind,
                "seq": r.seq,
                "read_at": r.read_at,
                "delivered_at": r.delivered_at,
                **json.loads(r.body),
            }
            for r in rows
        ]

    def mark_read(self, recipient_id: int, item_id: int, at: dt.datetime) -> bool:
        with self.tx(write=True) as conn:
            res = conn.execute(
                outbox.update()
                .where(outbox.c.id == item_id, outbox.c.recipient_id == recipient_id)
                .values(read_at=iso(at))
            )
            return bool(res.rowcount)

    # --- e-mail delivery (the SMTP worker) -----------------------------------------------------

    def claim_mail(
        self, worker: str, now: dt.datetime, lease: dt.timedelta, max_attempts: int, limit: int
    ) -> list[Mail]:
        """Lease up to ``limit`` undelivered messages whose recipient has an e-mail address and
        whose next attempt is due, to ``worker`` until ``now + lease``. Each row is taken by a
        conditional UPDATE (``delivered_at IS NULL`` and no live lease), so two workers never
        hold one message at once."""
        t = iso(now)
        free = sa.or_(outbox.c.claimed_until.is_(None), outbox.c.claimed_until <= t)
        due = sa.or_(outbox.c.next_attempt_at.is_(None), outbox.c.next_attempt_at <= t)
        q = (
            sa.select(outbox.c.id)
            .select_from(outbox.join(users, users.c.id == outbox.c.recipient_id))
            .where(
                outbox.c.delivered_at.is_(None),
                outbox.c.attempts < max_attempts,
                users.c.email.is_not(None),
                users.c.disabled.is_(False),
                free,
                due,
            )
            .order_by(outbox.c.id)
            .limit(limit)
        )
        out: list[Mail] = []
        with self.tx(write=True) as conn:
            ids = [r.id for r in conn.execute(q).all()]
            for item_id in ids:
                res = conn.execute(
                    outbox.update()
                    .where(outbox.c.id == item_id, outbox.c.delivered_at.is_(None), free)
                    .values(claimed_by=worker, claimed_until=iso(now + lease))
                )
                if res.rowcount != 1:
                    continue  # another worker took it between the select and the update
                r = conn.execute(
                    sa.select(outbox, users.c.email)
                    .select_from(outbox.join(users, users.c.id == outbox.c.recipient_id))
                    .where(outbox.c.id == item_id)
                ).one()
                out.append(Mail(r.id, r.email, r.deal_key, r.kind, json.loads(r.body),
                                int(r.attempts or 0)))
        return out

    def mail_delivered(self, item_id: int, worker: str, at: dt.datetime) -> bool:
        """Mark a leased message delivered (only while ``worker`` holds it)."""
        with self.tx(write=True) as conn:
            res = conn.execute(
                outbox.update()
                .where(outbox.c.id == item_id, outbox.c.claimed_by == worker,
                       outbox.c.delivered_at.is_(None))
                .values(delivered_at=iso(at), claimed_by=None, claimed_until=None,
                        attempts=outbox.c.attempts + 1, last_error=None)
            )
            return bool(res.rowcount)

    def mail_failed(
        self, item_id: int, worker: str, next_attempt: dt.datetime, error: str
    ) -> None:
        """Release a leased message after a failed attempt; it is tried again at
        ``next_attempt``."""
        with self.tx(write=True) as conn:
            conn.execute(
                outbox.update()
                .where(outbox.c.id == item_id, outbox.c.claimed_by == worker,
                       outbox.c.delivered_at.is_(None))
                .values(claimed_by=None, claimed_until=None, attempts=outbox.c.attempts + 1,
                        next_attempt_at=iso(next_attempt), last_error=error[:200])
            )


@dataclass(frozen=True)
class Mail:
    """One leased outbox message for the SMTP worker."""

    id: int
    to: str
    deal_key: str
    kind: str
    body: dict[str, Any]
    attempts: int  # before this one
