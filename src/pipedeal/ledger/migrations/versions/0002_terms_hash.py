"""Ledger deals remember the fingerprint of the contract terms their events were recorded under.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable: a ledger created before this revision adopts the terms at its next init.
    op.add_column("ledger_deals", sa.Column("terms_hash", sa.String(64), nullable=True))


def downgrade() -> None:
    # plain ALTER TABLE ... DROP COLUMN (SQLite >= 3.35): a batch "move and copy" would trip
    # the events' foreign key to this table
    op.drop_column("ledger_deals", "terms_hash")
