"""The ledger's database: where it is, how to connect, and its schema revision.

Owns the URL rules (``--db`` / ``$PIPEDEAL_DB`` / the deal folder's ``ledger.sqlite``), the
engine settings (SQLite in WAL mode with ``synchronous=FULL`` and writers that ``BEGIN
IMMEDIATE``; PostgreSQL with pre-ping), the Alembic upgrade and revision checks over
``migrations/``, and which database errors are worth a retry. Knows nothing of events or the
hash chain; the tables themselves are in ``schema``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from pipedeal.errors import UserError

if TYPE_CHECKING:
    from alembic.config import Config

DB_ENV = "PIPEDEAL_DB"
SQLITE_FILE = "ledger.sqlite"
MIGRATIONS = Path(__file__).with_name("migrations")


def resolve_url(deal_dir: Path | str, db: str | None = None) -> str:
    """``db`` or ``$PIPEDEAL_DB`` (a URL or a SQLite file path), else ``DEAL_DIR/ledger.sqlite``."""
    db = db or os.environ.get(DB_ENV) or None
    if db is None:
        return f"sqlite:///{Path(deal_dir).resolve() / SQLITE_FILE}"
    if "://" in db:
        return db
    return f"sqlite:///{Path(db).resolve()}"


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL, or None for another backend; an in-memory URL is an error."""
    u = sa.make_url(url)
    if u.get_backend_name() != "sqlite":
        return None
    if not u.database or u.database == ":memory:":
        raise UserError(f"--db {url}: an in-memory SQLite database cannot hold a ledger")
    return Path(u.database)


def shown_url(url: str) -> str:
    """The URL as messages show it (password hidden)."""
    return sa.make_url(url).render_as_string(hide_password=True)


def make_engine(url: str) -> Engine:
    """An engine for ``url``. On SQLite, a connection run with the execution option
    ``pipedeal_write=True`` begins with ``BEGIN IMMEDIATE`` (it takes the write lock at once)."""
    try:
        u = sa.make_url(url)
    except sa.exc.ArgumentError:
        raise UserError(f"--db: not a database URL or file: {url!r}") from None
    if u.get_backend_name() == "sqlite":
        engine = sa.create_engine(u, connect_args={"timeout": 60})

        @sa.event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute("PRAGMA busy_timeout=60000")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        @sa.event.listens_for(engine, "begin")
        def _begin(conn: Connection) -> None:
            immediate = conn.get_execution_options().get("pipedeal_write", False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine
    try:
        return sa.create_engine(u, pool_pre_ping=True)
    except ModuleNotFoundError as exc:
        raise UserError(f"--db {u.render_as_string()}: database driver missing: {exc}") from None
    except sa.exc.NoSuchModuleError:
        raise UserError(
            f"--db {shown_url(url)}: unknown database kind {u.get_backend_name()!r} (give a "
            "SQLite file or a postgresql+psycopg://USER@HOST/DB URL)"
        ) from None


def connect_error(url: str, exc: Exception) -> UserError:
    """One line for a database that cannot be reached (password hidden)."""
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return UserError(f"ledger database {shown_url(url)}: cannot connect: {first}")


def is_transient(exc: Exception) -> bool:
    """Whether a failed write may succeed if retried: a unique-key race (someone appended the same
    sequence number first), a locked database, a serialisation failure or a deadlock."""
    if isinstance(exc, IntegrityError):
        return True
    text = str(getattr(exc, "orig", exc)).lower()
    return any(
        s in text
        for s in (
            "database is locked",
            "database table is locked",
            "busy",
            "could not serialize",
            "deadlock",
            "lock not available",
        )
    )


# --- migrations --------------------------------------------------------------------------------


def alembic_config(conn: Connection | None = None) -> Config:
    """An Alembic configuration over ``migrations/`` that runs on ``conn``."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = conn
    return cfg


def head_revision() -> str:
    """The newest schema revision this version of pipedeal knows."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:  # pragma: no cover - the package always ships its revisions
        raise RuntimeError(f"no ledger schema revisions in {MIGRATIONS}")
    return head


def current_revision(conn: Connection) -> str | None:
    """The database's schema revision (None: never migrated)."""
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(conn).get_current_revision()


def check_known_revision(rev: str | None, shown: str) -> None:
    """A ``UserError`` when the database's schema revision is one this pipedeal does not know:
    it was written by a newer version, which must not be downgraded by guesswork."""
    from alembic.script import ScriptDirectory

    if rev is None:
        return
    known = {r.revision for r in ScriptDirectory.from_config(alembic_config()).walk_revisions()}
    if rev not in known:
        raise UserError(
            f"ledger {shown} has schema revision {rev}, newer than this pipedeal knows "
            f"({head_revision()}); upgrade pipedeal to open it"
        )


# pg_advisory_lock key of schema migrations (any constant; "pipedeal" in ASCII)
MIGRATION_LOCK = 0x7069706564656164


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest Alembic revision (idempotent). On PostgreSQL under an
    advisory lock, so that concurrent ``ledger init`` runs create the tables once (SQLite's
    ``BEGIN IMMEDIATE`` serialises them already)."""
    from alembic import command

    with engine.connect() as conn:
        conn = conn.execution_options(pipedeal_write=True)
        postgres = conn.dialect.name == "postgresql"
        if postgres:
            conn.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATION_LOCK})
            conn.commit()
        try:
            check_known_revision(current_revision(conn), shown_url(str(engine.url)))
            command.upgrade(alembic_config(conn), "head")
            if conn.in_transaction():
                conn.commit()
        finally:
            if postgres:
                if conn.in_transaction():
                    conn.rollback()
                conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATION_LOCK})
                conn.commit()
