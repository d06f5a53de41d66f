"""Alembic environment: migrations run on the connection the ledger hands over."""

from __future__ import annotations

from alembic import context

from pipedeal.ledger.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - the ledger always passes a connection
    raise RuntimeError("pipedeal ledger migrations run through pipedeal.ledger.db.migrate")

context.configure(connection=connection, target_metadata=metadata)
with context.begin_transaction():
    context.run_migrations()
