"""Ledger schema: one row per deal (with the chain head) and one row per event.

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ledger_deals",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("deal_key", sa.String(300), nullable=False),
        sa.Column("deal_name", sa.Text, nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("head_seq", sa.Integer, nullable=False),
        sa.Column("head_hash", sa.String(64), nullable=False),
        sa.UniqueConstraint("deal_key", name="uq_ledger_deals_key"),
    )
    op.create_table(
        "ledger_events",
        sa.Column("deal_id", sa.Integer, sa.ForeignKey("ledger_deals.id"), primary_key=True),
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("event_date", sa.Date, nullable=False),
        sa.Column("instrument", sa.String(300), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("idempotency_key", sa.String(200), nullable=False),
        sa.Column("recorded_by", sa.String(200), nullable=False),
        sa.Column("recorded_at", sa.String(40), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.UniqueConstraint("deal_id", "seq", name="uq_ledger_events_seq"),
        sa.UniqueConstraint("deal_id", "idempotency_key", name="uq_ledger_events_key"),
        sa.CheckConstraint("seq >= 1", name="ck_ledger_events_seq_positive"),
    )


def downgrade() -> None:
    op.drop_table("ledger_events")
    op.drop_table("ledger_deals")
