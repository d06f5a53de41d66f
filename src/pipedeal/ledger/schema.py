"""The ledger's tables (SQLAlchemy Core). Alembic revisions in ``migrations/`` create them."""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

deals = sa.Table(
    "ledger_deals",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("deal_key", sa.String(300), nullable=False),
    sa.Column("deal_name", sa.Text, nullable=False),
    sa.Column("created_at", sa.String(40), nullable=False),
    sa.Column("created_by", sa.String(200), nullable=False),
    # the chain head: the last sequence number and its hash, moved in the same transaction as
    # each append (a deleted tail is detected, and appends serialise on this row)
    sa.Column("head_seq", sa.Integer, nullable=False),
    sa.Column("head_hash", sa.String(64), nullable=False),
    # Contract.fingerprint() of the terms the events were recorded under (revision 0002)
    sa.Column("terms_hash", sa.String(64), nullable=True),
    sa.UniqueConstraint("deal_key", name="uq_ledger_deals_key"),
)

events = sa.Table(
    "ledger_events",
    metadata,
    sa.Column("deal_id", sa.Integer, sa.ForeignKey("ledger_deals.id"), primary_key=True),
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("event_date", sa.Date, nullable=False),
    sa.Column("instrument", sa.String(300), nullable=False),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("body", sa.Text, nullable=False),  # the event's canonical JSON (hashed)
    sa.Column("idempotency_key", sa.String(200), nullable=False),
    sa.Column("recorded_by", sa.String(200), nullable=False),
    sa.Column("recorded_at", sa.String(40), nullable=False),  # ISO 8601, UTC
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
    # Contract.fingerprint() of the terms the event was recorded under, hashed into the chain
    # (revision 0003; NULL in rows written before it, which were hashed without it)
    sa.Column("terms_hash", sa.String(64), nullable=True),
    sa.UniqueConstraint("deal_id", "seq", name="uq_ledger_events_seq"),
    sa.UniqueConstraint("deal_id", "idempotency_key", name="uq_ledger_events_key"),
    sa.CheckConstraint("seq >= 1", name="ck_ledger_events_seq_positive"),
)

# the running book after event ``seq`` (revision 0004; ``stored_books``): a shortcut for opening
# a long log, checked against the chain and its own digest, never the record itself
snapshots = sa.Table(
    "ledger_snapshots",
    metadata,
    sa.Column("deal_id", sa.Integer, sa.ForeignKey("ledger_deals.id"), primary_key=True),
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("hash", sa.String(64), nullable=False),  # the hash of event ``seq``
    sa.Column("terms_seq", sa.Integer, nullable=False),  # where the chain's terms took effect
    sa.Column("version", sa.String(64), nullable=False),  # the folding code's digest
    sa.Column("book_json", sa.Text, nullable=False),
    sa.Column("digest", sa.String(64), nullable=False),
)
