"""Read-only access to a deal's ledger for the packages that report on it (cap table, accounting).

``ledger_view`` reads the log once and replays it purely (``rules.replay``) for each date asked,
caching each date's state. It never creates a database.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pipedeal.ledger.ledger import Ledger


@dataclass
class CachedView:
    """A ledger view over ``state_fn`` (e.g. ``Ledger.state``) that replays each date once."""

    state_fn: Callable[[dt.date], Any]
    dates: list[dt.date]
    _cache: dict[dt.date, Any] = field(default_factory=dict)

    def state(self, as_of: dt.date) -> Any:
        if as_of not in self._cache:
            self._cache[as_of] = self.state_fn(as_of)
        return self._cache[as_of]

    def event_dates(self) -> list[dt.date]:
        return sorted(set(self.dates))


def view_of(ledger: Ledger) -> CachedView:
    """A view of an open ledger (``open_ledger(...)``)."""
    return CachedView(ledger.state, [e.event.date for e in ledger.events()])


def ledger_view(deal_dir: Path | str, db: str | None = None) -> CachedView | None:
    """A replaying view of the deal's ledger (``db``, ``PIPEDEAL_DB`` or the deal folder's SQLite
    file), or None when the deal has none or it holds no events.

    A ledger that exists but cannot be read (an old schema, changed terms...) is the user's to
    fix: its ``UserError`` propagates rather than the reports silently ignoring the ledger.
    """
    from pipedeal.ledger.contract import Contract
    from pipedeal.ledger.opening import ledger_exists, open_ledger
    from pipedeal.ledger.rules import replay

    contract = Contract.from_deal_dir(deal_dir)
    if not ledger_exists(deal_dir, db, deal_name=contract.deal.name):
        return None
    with open_ledger(deal_dir, db, contract=contract) as ledger:
        events = tuple(e.event for e in ledger.events())
    if not events:
        return None
    return CachedView(lambda day: replay(contract, events, day), [e.date for e in events])
