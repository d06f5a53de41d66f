"""Stored books: the running state after every so many events, so an open reads no more of the
log than it must.

A row names the event it follows (``seq`` and that event's ``hash``), the sequence number from
which the chain carries its terms fingerprint (``terms_seq``), the version of the code that folded
it (``version``) and a digest over all of it; ``book_json`` is the ``Book`` itself. A row that does
not match the chain, the code or its digest is ignored (the log is replayed instead) and
``verify`` compares every row with the book it re-folds. See ``pipedeal.ledger.stored_books``.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ledger_snapshots",
        sa.Column("deal_id", sa.Integer, sa.ForeignKey("ledger_deals.id"), primary_key=True),
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("terms_seq", sa.Integer, nullable=False),
        sa.Column("version", sa.String(64), nullable=False),
        sa.Column("book_json", sa.Text, nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("ledger_snapshots")
