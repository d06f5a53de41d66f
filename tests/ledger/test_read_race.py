"""A read that sees an append committed between its head and its rows reads again instead of
calling the ledger broken (PostgreSQL read committed; simulated here with a stale head)."""

from __future__ import annotations

import datetime as dt

import pytest

import pipedeal
from pipedeal.ledger import events as ev
from pipedeal.ledger.ledger import LedgerBroken

P1 = "Purchaser 1"


def test_an_append_between_head_and_rows_is_not_tampering(backend):
    deal = pipedeal.load_deal(backend.deal_dir)
    args = {"db": backend.db, "deal_key": backend.deal_key}
    with pipedeal.open_ledger(deal, create=True, **args) as writer, \
            pipedeal.open_ledger(deal, **args) as reader:
        reader.refresh()
        stale = reader._read_head
        calls = {"n": 0}

        def head_then_append(conn, lock=False):  # type: ignore[no-untyped-def]
            head = stale(conn, lock=lock)
            if calls["n"] == 0:  # another process appends right after our head read
                writer.record(ev.interest_paid(P1, dt.date(2004, 7, 1), "3287.67",
                                               dt.date(2004, 6, 30)))
            calls["n"] += 1
            return head

        reader._read_head = head_then_append  # type: ignore[method-assign]
        reader.refresh()  # PostgreSQL sees the new row beyond the head and reads again;
        # SQLite's read transaction is a snapshot and does not see it yet
        assert calls["n"] == (2 if backend.name == "postgres" else 1)
        assert reader.events()[-1].event.kind.value == "interest_paid"


def test_a_row_beyond_the_head_that_stays_is_still_refused(deal_copy):
    deal = pipedeal.load_deal(deal_copy)
    with pipedeal.open_ledger(deal, create=True) as ledger:
        real = ledger._read_head

        def always_behind(conn, lock=False):  # type: ignore[no-untyped-def]
            head = real(conn, lock=lock)
            return head._replace(head_seq=head.head_seq - 1)

        ledger._seq = 0  # a fresh reader
        ledger._records.clear()
        ledger._read_head = always_behind  # type: ignore[method-assign]
        with pytest.raises(LedgerBroken):
            ledger.refresh()
