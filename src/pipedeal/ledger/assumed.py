"""The state a deal has on its terms alone, when nothing has been recorded.

Without a ledger every view still takes a state: the contract performed as scheduled. The notes
and warrants are issued at each closing with the principal of the deal file, each month's
interest is paid on its pay date and the principal with the last interest on the maturity pay
date (the contractual schedule); nothing is converted, prepaid or exercised, and warrants lapse
at expiry. It is the same fold as a real ledger's (``rules.replay``) over these implied events,
so the two cannot disagree.
"""

from __future__ import annotations

import datetime as dt

from pipedeal.instruments.deal import LoadedDeal
from pipedeal.ledger import events as ev
from pipedeal.ledger.events import Event
from pipedeal.ledger.rules import LedgerState, replay


def assumed_events(deal: LoadedDeal) -> tuple[Event, ...]:
    """Issuance at each closing, the scheduled interest payments and the repayment at maturity."""
    out: list[Event] = []
    for name in deal.names:
        note = deal.notes[name]
        p = note.purchaser
        out.append(ev.note_issued(name, p.closing_date, p.principal, p.funded))
        for period in note.schedule.periods:
            if not period.at_maturity and period.amount > 0:
                out.append(ev.interest_paid(name, period.pay_date, period.amount,
                                            period.period_end))
        out.append(ev.maturity_repayment(name, note.maturity.pay_date, p.principal,
                                         note.schedule.final_interest))
    return tuple(sorted(out, key=lambda e: e.date))


def terms_state(deal: LoadedDeal, as_of: dt.date) -> LedgerState:
    """The deal's state at the end of ``as_of`` on its terms alone (see the module docstring)."""
    return replay(deal, assumed_events(deal), as_of)
