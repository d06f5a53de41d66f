"""Alembic migrations of the ledger schema (run programmatically by ``pipedeal.ledger.db``)."""
