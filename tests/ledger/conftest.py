"""Ledger fixtures: a scratch deal folder and the two storage backends (SQLite, PostgreSQL)."""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from tests.conftest import EXAMPLE, skip_or_fail

from pipedeal.ledger import Contract

PG_ENV = "PIPEDEAL_TEST_PG_URL"


@dataclass(frozen=True)
class Backend:
    name: str
    deal_dir: Path
    db: str | None  # None: the default SQLite file in the deal folder
    deal_key: str | None

    def open_args(self) -> dict:
        return {"deal_key": self.deal_key}

    def cli_args(self) -> list[str]:
        args = []
        if self.db:
            args += ["--db", self.db]
        if self.deal_key:
            args += ["--deal-key", self.deal_key]
        return args


def _pg_url() -> str:
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
    return url


@pytest.fixture(scope="session")
def contract() -> Contract:
    return Contract.from_deal_dir(EXAMPLE)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request, deal_copy: Path) -> Backend:
    if request.param == "sqlite":
        return Backend("sqlite", deal_copy, None, None)
    url = _pg_url()
    # every test gets its own deal key in the shared test database
    return Backend("postgres", deal_copy, url, f"test-{uuid.uuid4().hex[:12]}")


@pytest.fixture
def sqlite_backend(deal_copy: Path) -> Backend:
    return Backend("sqlite", deal_copy, None, None)


@pytest.fixture
def pg_backend(deal_copy: Path) -> Backend:
    url = _pg_url()
    return Backend("postgres", deal_copy, url, f"test-{uuid.uuid4().hex[:12]}")
