"""pipedeal: PIPE financings made of convertible notes, warrants and registration rights, as code.

The public API (``pipedeal.api``, documented in ``docs/api.md``)::

    import pipedeal
    deal = pipedeal.load_deal("examples/innovo-2004")          # loaded and priced once
    state = pipedeal.deal_state(deal, datetime.date(2004, 7, 28))
    pipedeal.value(deal, state, steps=200).to_json()

The packages follow the flow in DESIGN.md and import one way, top to bottom:

- ``errors``      — the one exception a user can cause (``UserError``); imports nothing.
- ``terms``       — contract terms as frozen, validated data and the deal-folder loader.
- ``market``      — exchange and business-day calendars, closing-price files, ``market.toml``.
- ``pricing``     — price rules evaluated on market data (with traces) and the derived deal figures.
- ``schedule``    — interest and maturity schedules in exact Decimal money (the one day count).
- ``instruments`` — the deal loaded and priced once; each note's and warrant's contract questions.
- ``ledger``      — immutable lifecycle events, the rules that fold them into state, storage.
- ``valuation``   — fair value of notes and warrants under named models.
- ``captable``    — shares outstanding, potential shares, dilution.
- ``accounting``  — allocation, beneficial conversion feature, amortization, journal entries.
- ``filings``     — reading 8-K text into terms; drafting the disclosure from a deal.
- ``report``      — the deal book (terminal, JSON, HTML) and its sections.
- ``api``         — the public functions below; ``cli`` — the thin ``pipedeal`` command line.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_API = (
    "DealRecord",
    "DealValuation",
    "FairValue",
    "LedgerState",
    "LoadedDeal",
    "Report",
    "accounting_report",
    "book",
    "cap_table",
    "deal_record",
    "deal_state",
    "disclosure",
    "extract_filing",
    "load_deal",
    "open_ledger",
    "value",
)

if TYPE_CHECKING:
    from pipedeal.api import (
        DealRecord,
        DealValuation,
        FairValue,
        LedgerState,
        LoadedDeal,
        Report,
        accounting_report,
        book,
        cap_table,
        deal_record,
        deal_state,
        disclosure,
        extract_filing,
        load_deal,
        open_ledger,
        value,
    )


def __getattr__(name: str) -> Any:
    # imported on first use: `pipedeal --help` and `import pipedeal` stay fast (numba, pandas)
    if name in _API:
        from pipedeal import api

        return getattr(api, name)
    raise AttributeError(f"module 'pipedeal' has no attribute {name!r}")


__all__ = [
    "DealRecord",
    "DealValuation",
    "FairValue",
    "LedgerState",
    "LoadedDeal",
    "Report",
    "__version__",
    "accounting_report",
    "book",
    "cap_table",
    "deal_record",
    "deal_state",
    "disclosure",
    "extract_filing",
    "load_deal",
    "open_ledger",
    "value",
]
