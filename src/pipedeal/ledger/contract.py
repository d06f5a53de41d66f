"""What the ledger's rules read of a deal: the loaded deal of ``pipedeal.instruments``.

``Contract`` is the name the ledger has always used for it; every contract question (accrual,
election windows, conversion shares, warrant expiry) is answered by the instruments.
``dates_of`` is ``Contract.dates`` remembered per contract and purchaser (the rules ask it on
every event; the answer never changes for a loaded deal).
"""

from __future__ import annotations

import threading

from pipedeal.instruments.deal import LoadedDeal as Contract
from pipedeal.instruments.deal import PurchaserDates

__all__ = ["Contract", "PurchaserDates", "dates_of"]

# id(contract) -> (the contract, kept alive so that its id is not reused; its dates by name)
_DATES: dict[int, tuple[Contract, dict[str, PurchaserDates]]] = {}
_LOCK = threading.Lock()
_MAX_CONTRACTS = 64


def dates_of(contract: Contract, name: str) -> PurchaserDates:
    """``contract.dates(name)``, computed once per loaded contract and purchaser."""
    entry = _DATES.get(id(contract))
    if entry is None or entry[0] is not contract:
        with _LOCK:
            if len(_DATES) >= _MAX_CONTRACTS:
                _DATES.clear()
            entry = (contract, {})
            _DATES[id(contract)] = entry
    cache = entry[1]
    found = cache.get(name)
    if found is None:
        found = cache[name] = contract.dates(name)
    return found
