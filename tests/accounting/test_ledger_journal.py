"""Journal entries from the ledger's events (conversion, split, exercise, prepayment,
repayment), on a real SQLite ledger in a copy of the example: each scheduled interest payment is
recorded on its pay date (everything accrued and unpaid), then the scenario's events."""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from decimal import Decimal as D
from pathlib import Path

import pytest

from pipedeal.accounting.journal import (
    APIC,
    CASH,
    COMMON_STOCK,
    EXTINGUISHMENT,
    INTEREST_EXPENSE,
    trial_balance,
)
from pipedeal.accounting.report import deal_accounting
from pipedeal.captable import cap_table
from pipedeal.captable.ledger import positions_from_ledger
from pipedeal.ledger import events as ev
from pipedeal.ledger import init_ledger
from pipedeal.ledger.defaults import interest_payable
from pipedeal.ledger.reading import ledger_view
from pipedeal.report.book import build_context

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "innovo-2004"
END = dt.date(2005, 7, 1)


@pytest.fixture(scope="module")
def ctx():
    return build_context(EXAMPLE)


def _event(day, kind, name, kw, ledger):
    contract, book = ledger.contract, ledger.tip()
    if kind == "conversion":
        return ev.conversion(name, day, principal=kw["principal"])
    if kind == "split":
        return ev.stock_split(day, new=kw["new"], old=kw["old"])
    if kind == "exercise":
        return ev.warrant_exercised(name, day, kw["shares"])
    if kind == "notice":
        return ev.prepayment_notice(name, day, kw["principal"])
    interest = interest_payable(contract, book, name, day - dt.timedelta(days=1))
    if kind == "prepayment":
        return ev.prepayment_settled(name, day, kw["principal"], interest)
    assert kind == "repayment"
    return ev.maturity_repayment(name, day, book.notes[name].principal, interest)


def _ledger(ctx, events):
    """A real ledger holding the scheduled interest payments and ``events``; its record."""
    folder = Path(tempfile.mkdtemp()) / "innovo-2004"
    shutil.copytree(EXAMPLE, folder)
    pays = {(p.pay_date, s.purchaser): p.period_end
            for s in ctx.schedules for p in s.periods if not p.at_maturity}
    days = sorted({d for d, _ in pays} | {e[0] for e in events})
    with init_ledger(folder) as ledger:
        for day in days:
            if day > END:
                break
            for (pay, name), through in sorted(pays.items()):
                book = ledger.tip()
                if pay != day or book.notes[name].principal == 0:
                    continue
                amount = interest_payable(ledger.contract, book, name, through)
                if amount > 0:
                    ledger.record(ev.interest_paid(name, day, amount, through))
            for d, kind, name, kw in events:
                if d == day:
                    ledger.record(_event(d, kind, name, kw, ledger))
    view = ledger_view(folder)
    assert view is not None
    return view


SCENARIO = [
    (dt.date(2004, 12, 1), "conversion", "Purchaser 2", {"principal": D("400000")}),
    (dt.date(2005, 1, 18), "split", "", {"new": 2, "old": 1}),
    (dt.date(2005, 3, 1), "exercise", "Purchaser 2", {"shares": 100_000}),
    (dt.date(2005, 6, 15), "repayment", "Purchaser 1", {}),
    (dt.date(2005, 6, 20), "repayment", "Purchaser 2", {}),
    (dt.date(2005, 6, 22), "repayment", "Purchaser 3", {}),
]


def _journal(ctx, view, regime="legacy", as_of=END):
    from pipedeal.accounting.report import accounting_data

    return accounting_data(
        ctx.deal_dir, ctx.deal, ctx.prices, ctx.figures, ctx.schedules, regime=regime,
        note_fair_value="95%", warrant_fair_value="0.45/share", commitment_price="1.60",
        as_of=as_of, view=view)


@pytest.mark.parametrize("regime", ["legacy", "asu-2020-06"])
def test_scenario_journal_balances_and_ties_out(ctx, regime):
    record = _ledger(ctx, SCENARIO)
    data = _journal(ctx, record, regime)
    assert data["source"] == "ledger"
    assert data["journal"]["balanced"]
    for n in data["notes"]:
        rf = n["roll_forward"]
        assert rf["ties_out"], rf
        assert rf["closing_carrying"] == "0.00" and rf["notes_payable"] == "0.00"
    eq = data["equity_roll_forward"]
    assert eq["ties_out"], eq
    assert eq["shares_issued"] == 283_687 + 100_000  # 400,000 / 1.41; 100,000 post-split shares
    assert D(eq["common_stock"]) == D("0.10") * (283_687 + 100_000)
    closing = data["journal"]["closing_balances"]
    assert closing["Debt discount"] == "0.00"
    assert closing["Interest payable"] == "0.00"
    end = record.state(END)
    interest = sum(n.interest_paid for n in end.notes.values())
    # proceeds 2,500,000 + warrant cash 70,500 − principal repaid 2,100,000 − interest paid
    assert D(closing[CASH]) == D("2500000") + D("70500.00") - D("2100000") - interest


def test_conversion_entry_legacy_expenses_unamortized_discount(ctx):
    data = _journal(ctx, _ledger(ctx, SCENARIO), "legacy")
    p2 = next(n for n in data["notes"] if n["purchaser"] == "Purchaser 2")
    conv = next(e for e in p2["entries"] if e["kind"] == "conversion")
    lines = {ln["account"]: ln for ln in conv["lines"]}
    assert lines["Convertible notes payable"]["debit"] == "400000.00"
    assert lines[COMMON_STOCK]["credit"] == "28368.70"  # 283,687 × $0.10
    assert D(lines[APIC]["credit"]) == D("400000.00") - D("28368.70")
    assert D(lines[INTEREST_EXPENSE]["debit"]) > 0  # share of unamortized discount
    exercise = next(e for e in p2["entries"] if e["kind"] == "exercise")
    assert {ln["account"]: ln["debit"] for ln in exercise["lines"]}[CASH] == "70500.00"


def test_asu_conversion_moves_carrying_amount_to_equity(ctx):
    data = _journal(ctx, _ledger(ctx, SCENARIO), "asu-2020-06")
    p2 = next(n for n in data["notes"] if n["purchaser"] == "Purchaser 2")
    conv = next(e for e in p2["entries"] if e["kind"] == "conversion")
    accounts = {ln["account"] for ln in conv["lines"]}
    assert INTEREST_EXPENSE not in accounts and "Debt discount" in accounts


def test_prepayment_loss_is_unamortized_discount(ctx):
    events = [(dt.date(2004, 10, 14), "notice", "Purchaser 1", {"principal": D("1000000")}),
              (dt.date(2004, 10, 20), "prepayment", "Purchaser 1", {"principal": D("1000000")})]
    view = _ledger(ctx, events)
    notes = deal_accounting(ctx.deal_dir, ctx.deal, ctx.prices, ctx.figures, ctx.schedules,
                            purchaser="Purchaser 1", note_fair_value="950000",
                            warrant_fair_value="60000", regime="asu-2020-06")
    data = _journal(ctx, view, "asu-2020-06", as_of=dt.date(2004, 10, 31))
    p1 = next(n for n in data["notes"] if n["purchaser"] == "Purchaser 1")
    pre = next(e for e in p1["entries"] if e["kind"] == "prepayment")
    lines = {ln["account"]: ln for ln in pre["lines"]}
    assert lines[CASH]["credit"] == "1000000.00"
    loss = D(lines[EXTINGUISHMENT]["debit"])
    assert loss == D(lines["Debt discount"]["credit"])
    # loss = discount − amortization booked before 2004-10-20
    amortized = D(p1["roll_forward"]["amortization"])
    assert loss + amortized == D(p1["allocation"]["discount"])
    assert p1["roll_forward"]["ties_out"]
    assert notes  # the held-to-maturity accounting is still there for comparison
    entries = [e for n in notes for e in n.entries]
    assert trial_balance(entries)[0] == trial_balance(entries)[1]


def test_cap_table_after_scenario(ctx):
    """29,189,390 shares on 2004-10-08; then 283,687 conversion shares, a 2-for-1 split and
    100,000 warrant shares: (29,189,390 + 283,687) × 2 + 100,000."""
    view = _ledger(ctx, SCENARIO)
    pos = positions_from_ledger(ctx.deal_dir, ctx.deal, ctx.figures, END, view=view)
    t = cap_table(ctx.deal, pos)
    assert t.shares_outstanding == (29_189_390 + 283_687) * 2 + 100_000
    by = {r.name: r for r in t.holders}
    assert by["Purchaser 2"].shares_held == 283_687 * 2 + 100_000
    assert t.potential_note_shares == 0  # all repaid
    # warrants doubled by the split, less the exercise
    assert [r.warrant_shares for r in t.holders] == [250_000, 150_000, 125_000]
    assert by["Purchaser 2"].exercise_price == D("1.41") / 2
    assert t.fully_diluted == t.shares_outstanding + 525_000


def test_balances_through_a_date(ctx):
    data = _journal(ctx, _ledger(ctx, SCENARIO), "legacy", as_of=dt.date(2005, 1, 31))
    for n in data["notes"]:
        assert n["roll_forward"]["ties_out"], n["roll_forward"]
    assert data["journal"]["balanced"]
    assert data["equity_roll_forward"]["ties_out"]
    bal = data["journal"]["closing_balances"]
    assert D(bal["Convertible notes payable"]) == -(D("2500000") - D("400000"))


def test_captable_data_from_ledger_view(ctx):
    from pipedeal.captable.report import captable_data

    view = _ledger(ctx, SCENARIO)
    d = captable_data(ctx.deal_dir, ctx.deal, ctx.prices, ctx.figures, ctx.schedules,
                      as_of=dt.date(2005, 2, 1), grid_prices=[D("1.00")], view=view)
    assert d["positions_source"] == "ledger"
    by = {h["name"]: h for h in d["holders"]}
    assert by["Purchaser 2"]["shares_held"] == 283_687 * 2  # after the 2-for-1 split
    assert D(by["Purchaser 2"]["note_principal"]) == D("600000")
    assert D(by["Purchaser 2"]["conversion_price"]) == D("0.705")
    assert by["Purchaser 2"]["note_shares_principal"] == 851_063  # 600,000 / 0.705
    assert d["shares_outstanding"]["as_of"] == (29_189_390 + 283_687) * 2


def test_each_event_entry_carries_the_events_sequence_number_and_hash(ctx):
    record = _ledger(ctx, SCENARIO)
    data = _journal(ctx, record, "legacy")
    by_seq = {r.seq: r for r in record.recorded}
    entries = [e for n in data["notes"] for e in n["entries"]]
    booked = [e for e in entries if e["event"] is not None]
    assert {e["kind"] for e in booked} == {
        "interest payment", "conversion", "repayment", "exercise"}
    for e in booked:
        rec = by_seq[e["event"]["seq"]]
        assert rec.hash == e["event"]["hash"] and rec.event.date.isoformat() == e["date"]
    # accruals and the issuance follow time and the terms, not an event
    assert all(e["event"] is None for e in entries if e["kind"] in ("interest", "issuance"))
    # one entry per payment recorded: the journal is built from the events, not from diffs
    payments = [r for r in record.recorded if r.event.kind.value == "interest_paid"]
    assert len([e for e in booked if e["kind"] == "interest payment"]) >= len(payments)
