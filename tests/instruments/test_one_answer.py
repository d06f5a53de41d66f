"""One answer per contract question: the deal is loaded once per book, the election window and
accrued interest each have one implementation that the ledger and the valuation share."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from typer.testing import CliRunner

import pipedeal
from pipedeal.cli import app
from pipedeal.instruments import deal as instruments_deal
from pipedeal.ledger import events as ev
from pipedeal.ledger.rules import accrued_exact, fold
from pipedeal.valuation.deal import dated_note

runner = CliRunner()
ONE_DAY = dt.timedelta(days=1)


def test_book_and_book_html_load_the_deal_once(deal_copy, tmp_path):
    with pipedeal.open_ledger(pipedeal.load_deal(deal_copy), create=True) as ledger:
        ledger.record(ev.conversion("Purchaser 2", dt.date(2004, 7, 20), principal="1000000"))
    for args in (["book", str(deal_copy), "--format", "json"],
                 ["book", str(deal_copy), "--html", str(tmp_path / "book.html")]):
        before = instruments_deal.LOAD_COUNT[0]
        r = runner.invoke(app, args)
        assert r.exit_code == 0, r.output
        assert instruments_deal.LOAD_COUNT[0] - before == 1, args


@pytest.mark.parametrize("notice", [
    dt.date(2004, 9, 16),  # Thursday: 3 business days end on Tuesday
    dt.date(2004, 10, 8),  # Friday before Columbus Day (an SEC holiday)
    dt.date(2004, 11, 24),  # before Thanksgiving
    dt.date(2004, 12, 23),  # before Christmas
])
def test_ledger_and_valuation_open_the_same_election_window(example_dir, notice):
    deal = pipedeal.load_deal(example_dir)
    note = deal.notes["Purchaser 1"]
    window = note.election_window(notice)
    # the ledger: a notice on that day opens exactly this window
    book = fold(deal, [ev.note_issued("Purchaser 1", note.issue_date, "1000000", "1000000"),
                       ev.prepayment_notice("Purchaser 1", notice, "1000000")])
    recorded = book.notes["Purchaser 1"].window
    assert (recorded.closes, recorded.settle_from) == (window.closes, window.settle_from)
    assert deal.calendar.is_business_day(window.closes)
    assert window.settle_from == deal.calendar.add_business_days(window.closes, 1)
    # the valuation: the lattice's window is the one a notice on the first call date opens
    _, call = dated_note(note)
    first = note.election_window(note.prepayment_from)
    assert call.start == note.prepayment_from
    assert call.election_window_calendar_days == first.calendar_days


def test_schedule_ledger_and_valuation_accrue_the_same_interest(example_dir):
    """On every day of each note's life: the ledger's exact accrual equals the schedule's
    periods summed (to the cent when rounded), and the valuation's accrued interest within the
    running period equals it (float, 1e-9 of a dollar)."""
    deal = pipedeal.load_deal(example_dir)
    for name, inst in deal.notes.items():
        book = fold(deal, [ev.note_issued(name, inst.issue_date, inst.principal,
                                          inst.principal)])
        note_state = book.notes[name]
        dated, _ = dated_note(inst)
        periods = inst.schedule.periods
        ends = [p.period_end for p in periods]
        cumulative = D(0)
        before_period: dict[dt.date, D] = {}
        for p in periods:
            before_period[p.period_start] = cumulative
            cumulative += p.exact
        assert inst.round_interest(cumulative) == inst.schedule.total_interest
        day = inst.issue_date
        start, done = periods[0].period_start, D(0)
        while day <= periods[-1].period_end:
            if day in before_period:
                start, done = day, before_period[day]
            exact = accrued_exact(deal, name, note_state, day + ONE_DAY)
            schedule_exact = done + sum(
                (p.exact for p in periods if p.period_start == start and p.period_end <= day),
                D(0),
            ) if day in ends else None
            if schedule_exact is not None:
                # one computation over the span vs a sum of monthly ones: equal to 1e-20
                assert abs(exact - schedule_exact) < D("1e-20")
                assert inst.round_interest(exact) == inst.round_interest(schedule_exact)
            # valuation (QuantLib's convention): the accrued interest of the next coupon to be
            # paid, accrued linearly over its period: the ledger's exact accrual over the same
            # days, scaled from exact to the cents the coupon pays
            nxt = day + ONE_DAY
            c = next((p for p in periods if p.pay_date > day), None)
            if c is not None:
                upto = min(day, c.period_end + ONE_DAY)
                part = (accrued_exact(deal, name, note_state, upto)
                        - accrued_exact(deal, name, note_state, c.period_start))
                expected = float(part) * float(c.amount) / float(c.exact)
                assert dated.accrued_on(day) == pytest.approx(expected, abs=1e-9)
            day = nxt
