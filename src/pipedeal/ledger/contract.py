"""What the ledger's rules read of a deal: the loaded deal of ``pipedeal.instruments``.

``Contract`` is the name the ledger has always used for it; every contract question (accrual,
election windows, conversion shares, warrant expiry) is answered by the instruments.
"""

from pipedeal.instruments.deal import LoadedDeal as Contract
from pipedeal.instruments.deal import PurchaserDates

__all__ = ["Contract", "PurchaserDates"]
