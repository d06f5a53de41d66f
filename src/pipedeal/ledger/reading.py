"""Read-only access to a deal's ledger for the packages that report on it (cap table, accounting).

``ledger_view`` is the deal's ``DealRecord`` (``pipedeal.ledger.record``) when its ledger holds
events: the log is read once and folded once; ``state(as_of)``, ``event_dates()`` and
``steps(as_of)`` answer from that fold. It never creates a database.
"""

from __future__ import annotations

from pathlib import Path

from pipedeal.ledger.record import DealRecord, deal_record


def ledger_view(deal_dir: Path | str, db: str | None = None) -> DealRecord | None:
    """The deal's record (``db``, ``PIPEDEAL_DB`` or the deal folder's SQLite file), or None when
    the deal has no ledger or it holds no events.

    A ledger that exists but cannot be read (an old schema, changed terms...) is the user's to
    fix: its ``UserError`` propagates rather than the reports silently ignoring the ledger.
    """
    record = deal_record(deal_dir, db, verify=False)
    return record if record.recorded else None
