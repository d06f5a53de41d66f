"""Stored books (``ledger.stored_books``, table ``ledger_snapshots``): a cold open starts from the
newest stored book and equals a full replay; a stored book that does not match the chain, the
code or its digest is ignored; ``verify`` compares every one with the re-folded log; corrections
before and after a stored book; idempotent retries of events the open did not read."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import sqlalchemy as sa

from pipedeal.errors import UserError
from pipedeal.ledger import corrections, init_ledger, stored_books
from pipedeal.ledger import events as ev
from pipedeal.ledger.schema import snapshots
from pipedeal.ledger.store import open_ledger

P1, P2 = "Purchaser 1", "Purchaser 2"
DAY = dt.date(2004, 7, 1)
EVERY = 5  # a stored book every 5 events in these tests (1,000 in use)


@pytest.fixture(autouse=True)
def _small_interval(monkeypatch):
    monkeypatch.setattr(stored_books, "EVERY", EVERY)


def _event(i: int) -> ev.Event:
    kind = i % 3
    if kind == 0:
        return ev.memo(DAY, f"event {i}")
    if kind == 1:
        return ev.warrant_exercised((P1, P2)[i % 2], DAY, 1)
    return ev.interest_paid(P1, DAY, "0.01", dt.date(2004, 6, 30))


def _filled(backend, n: int = 20):
    ledger = init_ledger(backend.deal_dir, backend.db, **backend.open_args())
    for i in range(n):
        ledger.record(_event(i), key=f"k{i}")
    return ledger


def _rows(ledger) -> list:
    with ledger.engine.connect() as conn:
        return conn.execute(
            sa.select(snapshots)
            .where(snapshots.c.deal_id == ledger.deal_id)
            .order_by(snapshots.c.seq)
        ).all()


def _update(ledger, seq: int, **values) -> None:
    with ledger.engine.begin() as conn:
        conn.execute(
            snapshots.update()
            .where(snapshots.c.deal_id == ledger.deal_id, snapshots.c.seq == seq)
            .values(**values)
        )


def _full_book(ledger):
    """The book a fold of the whole (effective) log gives."""
    return corrections.refold(ledger.contract, ledger.events())


def _reopen(backend):
    return open_ledger(backend.deal_dir, backend.db, **backend.open_args())


def test_cold_open_starts_from_the_stored_book_and_equals_full_replay(backend):
    with _filled(backend) as ledger:  # 3 closings + 20 events: books after 5, 10, 15, 20
        assert [r.seq for r in _rows(ledger)] == [5, 10, 15, 20]
        assert ledger.verify().ok
        full_state = ledger.state(dt.date(2005, 1, 1))
    with _reopen(backend) as cold:
        tip = cold.tip()
        assert cold._base == 20  # started from the book after event 20, read 3 events
        assert stored_books.book_json(tip) == stored_books.book_json(_full_book(cold))
        assert cold._base == 0  # history read the rest when asked for it
        assert cold.state(dt.date(2005, 1, 1)) == full_state
        assert tip.warrants[P1].exercised == 3 and tip.warrants[P2].exercised == 4
        # the next append is checked against that book and chains on
        rec = cold.record(ev.warrant_exercised(P1, DAY, 2))
        assert rec.seq == 24 and cold.verify().ok
    with _reopen(backend) as again:
        assert again.state(dt.date(2005, 1, 1)).warrants[P1].shares_exercised == 5


def test_a_book_roundtrips_exactly(backend):
    with _filled(backend, 4) as ledger:
        ledger.record(ev.stock_split(dt.date(2004, 7, 2), 3, 2))
        ledger.record(ev.registration_filed(dt.date(2004, 7, 2), "S-3", "333-1", 1000))
        book = ledger.tip()
        text = stored_books.book_json(book)
        back = stored_books.read_book(text, ledger.contract)
        assert back == book and stored_books.book_json(back) == text
        assert back.factor == book.factor and back.registrations == book.registrations
        for bad in (
            "[]",
            '{"$obj": "Book", "fields": {}}',
            '{"$obj": "Path", "fields": {}}',
            text.replace('"$dec":"0"', '"$dec":0', 1),
            "{" * 5000,
        ):
            with pytest.raises(ValueError):
                stored_books.read_book(bad, ledger.contract)


def test_a_tampered_book_never_changes_a_state(backend):
    with _filled(backend) as ledger:
        before = ledger.state(dt.date(2005, 1, 1))
        row = _rows(ledger)[-1]
        # 1. the book edited: its digest no longer matches -> ignored on open, verify reports it
        forged = row.book_json.replace('"exercised":3', '"exercised":0', 1)
        assert forged != row.book_json
        _update(ledger, row.seq, book_json=forged)
        with _reopen(backend) as cold:
            assert cold.tip().warrants[P1].exercised == 3 and cold._base == 0
            assert cold.state(dt.date(2005, 1, 1)) == before
            report = cold.verify()
            assert not report.ok and report.first_bad_seq == row.seq
            assert "does not match its digest" in (report.problem or "")
        # 2. ... and the digest recomputed: the open may use it for the running book, but no
        # state reads it (states replay the events) and verify finds it against the log
        digest = stored_books._digest(
            ledger.deal_key, row.seq, row.hash, row.terms_seq, row.version, forged
        )
        _update(ledger, row.seq, digest=digest)
        with _reopen(backend) as cold:
            assert cold.state(dt.date(2005, 1, 1)) == before
            assert cold.events()[-1].seq == 23
            report = cold.verify()
            assert not report.ok and report.first_bad_seq == row.seq
            assert "differs from the book the events give" in (report.problem or "")


@pytest.mark.parametrize(
    ("change", "verify_problem"),
    [
        ({"hash": "0" * 64}, "does not match its digest"),
        ({"version": "f" * 64}, None),  # folded by other code: neither used nor compared
        ({"book_json": "not json"}, "does not match its digest"),
        ({"terms_seq": 0}, "does not match its digest"),
    ],
)
def test_a_book_that_does_not_match_is_ignored_and_rebuilt(backend, change, verify_problem):
    with _filled(backend) as ledger:
        expected = stored_books.book_json(ledger.tip())
        _update(ledger, 20, **change)
    with _reopen(backend) as cold:
        assert stored_books.book_json(cold.tip()) == expected
        assert cold._base == 0  # ignored: the whole log was folded
        report = cold.verify()
        assert report.ok is (verify_problem is None)
        if verify_problem:
            assert verify_problem in (report.problem or "") and report.first_bad_seq == 20
        # rebuilt at the next write: a fresh book after the new event, used by the next open
        cold.record(ev.memo(DAY, "after"))
        assert _rows(cold)[-1].seq == 24 and _rows(cold)[-1].version == stored_books.code_version()
    with _reopen(backend) as again:
        assert again.tip() is not None and again._base == 24
        assert again.verify().ok is (verify_problem is None)


def test_a_book_beyond_the_head_or_for_other_terms_is_not_used(backend):
    with _filled(backend) as ledger:
        row = _rows(ledger)[-1]
        with ledger.engine.begin() as conn:
            conn.execute(snapshots.insert().values(**{**row._asdict(), "seq": 99}))
    with _reopen(backend) as cold:
        assert cold.tip().warrants[P1].exercised == 3 and cold._base == 20
        report = cold.verify()
        assert not report.ok and "beyond the head" in (report.problem or "")
    # the chain's terms at event 20 are not today's deal.toml: the stored book is not used
    toml = backend.deal_dir / "deal.toml"
    text = toml.read_text()
    assert "earliest_months_after_issue = 3 " in text
    toml.write_text(
        text.replace("earliest_months_after_issue = 3 ", "earliest_months_after_issue = 4 ")
    )
    with _reopen(backend) as changed:
        assert changed.tip().warrants[P1].exercised == 3 and changed._base == 0


def test_corrections_before_and_after_a_stored_book(backend):
    _filled(backend).close()
    with _reopen(backend) as cold:
        cold.tip()
        assert cold._base == 20
        # void event 5 (before the book): the whole log is read for the check and the refold
        fix = cold.record(ev.correction(DAY, 5, "entered twice", ev.warrant_of(P2)))
        assert fix.seq == 24 and cold._base == 0
        assert _rows(cold)[-1].seq == 24  # a correction stores the refolded book at once
        assert cold.tip().warrants[P2].exercised == 3
        assert cold.verify().ok
        state = cold.state(dt.date(2005, 1, 1))
    with _reopen(backend) as again:
        assert again.tip().warrants[P2].exercised == 3 and again._base == 24
        assert again.state(dt.date(2005, 1, 1)) == state
        # a correction in the events after the book: another reader catches up through it
        with _reopen(backend) as writer:
            writer.record(ev.correction(DAY, 8, "typo", ev.warrant_of(P1)))
        assert again.tip().warrants[P1].exercised == 2
        assert again.verify().ok


def test_retrying_an_event_from_before_the_book(backend):
    with _filled(backend) as ledger:
        first = ledger.events()[4]
    with _reopen(backend) as cold:
        cold.tip()
        assert cold._base == 20
        again = cold.record(_event(1), key="k1")
        assert again.already_recorded and again.seq == first.seq
        with pytest.raises(UserError, match="already used by event 5"):
            cold.record(ev.memo(DAY, "something else"), key="k1")
        assert cold.head()[0] == 23
        assert cold.tip().notes[P1].interest_paid == Decimal("0.06")


def test_events_before_the_book_are_checked_when_read(backend):
    from pipedeal.ledger.ledger import LedgerBroken
    from pipedeal.ledger.schema import events

    with _filled(backend) as ledger, ledger.engine.begin() as conn:
        conn.execute(
            events.delete().where(events.c.deal_id == ledger.deal_id, events.c.seq == 7)
        )
    with _reopen(backend) as cold:
        cold.tip()  # from the book after event 20: events 1-20 not read yet
        assert cold._base == 20
        with pytest.raises(LedgerBroken, match="event 7 is missing"):
            cold.events()
        report = cold.verify()
        assert not report.ok and report.first_bad_seq == 7


def test_a_book_that_cannot_be_stored_never_stops_an_append(sqlite_backend, monkeypatch):
    def cannot(book):
        raise TypeError("a type stored books cannot encode")

    monkeypatch.setattr(stored_books, "book_json", cannot)
    with _filled(sqlite_backend) as ledger:  # crosses 5, 10, 15, 20: nothing stored, all kept
        assert _rows(ledger) == [] and ledger.head()[0] == 23 and ledger.verify().ok
