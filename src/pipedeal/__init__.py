"""pipedeal: PIPE financings made of convertible notes, warrants and registration rights, as code.

The packages follow the flow in DESIGN.md and import one way, top to bottom:

- ``errors``     — the one exception a user can cause (``UserError``); imports nothing.
- ``terms``      — contract terms as frozen, validated data and the deal-folder loader.
- ``market``     — exchange and business-day calendars, closing-price files.
- ``pricing``    — price rules evaluated on market data (with traces) and the derived deal figures.
- ``schedule``   — interest and maturity schedules in exact Decimal money.
- ``ledger``     — immutable lifecycle events, the rules that fold them into state, storage.
- ``valuation``  — fair value of notes and warrants under named models.
- ``captable``   — shares outstanding, potential shares, dilution.
- ``accounting`` — allocation, beneficial conversion feature, amortization, journal entries.
- ``filings``    — reading 8-K text into terms; drafting the disclosure from a deal.
- ``report``     — the deal book (terminal, JSON, HTML).
- ``cli``        — the thin ``pipedeal`` command line.
"""

__version__ = "0.1.0"
