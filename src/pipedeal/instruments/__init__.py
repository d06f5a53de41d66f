"""Instruments: the deal loaded and priced once, and per purchaser the note and the warrant.

Every contract question is answered here, in one function each: accrued interest
(``NoteInstrument.accrued_exact``, on the schedule's one day count), the earliest prepayment date
and the holder's election window (``NoteInstrument.election_window``), conversion price and shares
after adjustments, warrant expiry (time-zone aware) and exercise proceeds. The ledger's rules,
the valuation, the cap table, accounting and the book call these; none re-derives them.

Imports ``terms``, ``market``, ``pricing`` and ``schedule``; nothing above them.
"""

from pipedeal.instruments.deal import LoadedDeal, load
from pipedeal.instruments.note import ElectionWindowDates, NoteInstrument
from pipedeal.instruments.warrant import WarrantInstrument

__all__ = ["ElectionWindowDates", "LoadedDeal", "NoteInstrument", "WarrantInstrument", "load"]
