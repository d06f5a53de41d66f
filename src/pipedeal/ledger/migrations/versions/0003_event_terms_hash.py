"""Each event row carries the terms fingerprint it was recorded under, inside its hash.

Rows written before this revision keep ``terms_hash`` NULL and their six-element hash (they stay
verifiable); every row appended from now on hashes the fingerprint with the rest, so the terms
(and each amendment of them) are part of the chain the head hash and signed checkpoints seal.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("ledger_events", sa.Column("terms_hash", sa.String(64), nullable=True))


def downgrade() -> None:
    op.drop_column("ledger_events", "terms_hash")
