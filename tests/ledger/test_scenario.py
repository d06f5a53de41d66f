"""The realistic life of the Innovo deal, checked figure by figure.

Monthly interest paid; a prepayment notice to Purchaser 1 in October 2004 answered inside the
window by an election to convert principal plus accrued interest at $1.53; a partial conversion
by Purchaser 2 at $1.41; a 2-for-1 split; Purchaser 3's warrant exercised; the rest repaid at
maturity. Expected figures are derived here by hand (day counts from the calendar, 7.5% on a
365-day year, cumulative half-up cents), not from the ledger's code.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from fractions import Fraction

from typer.testing import CliRunner

from pipedeal.cli import app
from pipedeal.ledger import events as ev
from pipedeal.ledger import init_ledger, open_ledger, replay
from pipedeal.ledger.views import state_json
from pipedeal.schedule import deal_schedules
from pipedeal.terms.loader import load_deal

D = Decimal
RATE = D("0.075")
P1, P2, P3 = "Purchaser 1", "Purchaser 2", "Purchaser 3"
ISSUE = {P1: dt.date(2004, 6, 15), P2: dt.date(2004, 6, 18), P3: dt.date(2004, 6, 22)}
FACE = {P1: D(1_000_000), P2: D(1_000_000), P3: D(500_000)}

NOTICE = dt.date(2004, 10, 4)  # Monday; "after three months" = from 2004-09-16
ELECTION = dt.date(2004, 10, 6)  # window: 3 SEC business days after the notice → 2004-10-07
P2_CONVERSION = dt.date(2004, 12, 15)
SPLIT = dt.date(2005, 1, 14)
EXERCISE = dt.date(2005, 3, 10)


def cents(x: Decimal) -> Decimal:
    return x.quantize(D("0.01"), rounding=ROUND_HALF_UP)


def principal_on(name: str, day: dt.date) -> Decimal:
    """Principal accruing on ``day`` (a change on day D counts from D: issue day accrues)."""
    if name == P1:
        return FACE[P1] if day < ELECTION else D(0)
    if name == P2:
        return FACE[P2] if day < P2_CONVERSION else D(600_000)
    return FACE[P3]


def exact_interest(name: str, through: dt.date) -> Decimal:
    total, day = D(0), ISSUE[name]
    while day <= through:
        total += principal_on(name, day) * RATE / 365
        day += dt.timedelta(days=1)
    return total


def pay_dates() -> dict[str, list[tuple[dt.date, dt.date]]]:
    """(pay date, period end) of each monthly payment before maturity, from the schedule."""
    deal = load_deal(__import__("tests.conftest", fromlist=["EXAMPLE"]).EXAMPLE)
    return {
        s.purchaser: [(p.pay_date, p.period_end) for p in s.periods if not p.at_maturity]
        for s in deal_schedules(deal)
    }


def run_scenario(ledger) -> dict:
    """Record the deal's life through the API; returns the figures the test expects."""
    paid = {n: D(0) for n in FACE}
    schedule = pay_dates()

    def pay_interest(name: str, until: dt.date) -> None:
        for pay, end in schedule[name]:
            if pay <= until and (name != P1 or end < ELECTION):
                amount = cents(exact_interest(name, end)) - paid[name]
                if amount > 0:
                    ledger.record(ev.interest_paid(name, pay, amount, end))
                    paid[name] += amount

    ledger.record(ev.registration_filed(dt.date(2004, 7, 29), "S-3", "333-117756", 5_170_685))
    ledger.record(ev.registration_effective(dt.date(2004, 8, 6), "333-117756"))
    for name in FACE:
        pay_interest(name, dt.date(2004, 10, 1))

    # Purchaser 1: notice, then an election inside the window, principal + accrued interest
    ledger.record(ev.prepayment_notice(P1, NOTICE, FACE[P1]))
    p1_interest = cents(exact_interest(P1, ELECTION - dt.timedelta(days=1))) - paid[P1]
    ledger.record(ev.conversion_election(P1, ELECTION, FACE[P1], p1_interest))

    for name in (P2, P3):
        pay_interest(name, dt.date(2004, 12, 1))
    ledger.record(ev.conversion(P2, P2_CONVERSION, D(400_000)))
    for name in (P2, P3):
        pay_interest(name, dt.date(2005, 1, 3))
    ledger.record(ev.stock_split(SPLIT, 2, 1))
    ledger.record(ev.warrant_exercised(P3, EXERCISE, 125_000))
    for name in (P2, P3):
        pay_interest(name, dt.date(2005, 6, 1))

    final = {}
    for name, pay in ((P2, dt.date(2005, 6, 20)), (P3, dt.date(2005, 6, 22))):
        maturity = {P2: dt.date(2005, 6, 18), P3: dt.date(2005, 6, 22)}[name]
        stub = cents(exact_interest(name, maturity - dt.timedelta(days=1))) - paid[name]
        ledger.record(ev.maturity_repayment(name, pay, principal_on(name, maturity), stub))
        final[name] = stub
        paid[name] += stub
    return {"paid": paid, "p1_interest": p1_interest, "stubs": final}


def test_innovo_life(backend):
    ledger = init_ledger(backend.deal_dir, backend.db, **backend.open_args())
    figures = run_scenario(ledger)

    # --- Purchaser 1's election: 108 days paid in cash, days 109-113 converted -------------
    assert (dt.date(2004, 10, 1) - ISSUE[P1]).days == 108
    assert figures["paid"][P1] == cents(D(1_000_000) * RATE * 108 / 365) == D("22191.78")
    assert figures["p1_interest"] == cents(D(75_000) * 113 / 365) - D("22191.78") == D("1027.40")
    p1_shares = int((D("1001027.40") / D("1.53")).to_integral_value(rounding=ROUND_DOWN))
    assert p1_shares == 654_266

    mid = ledger.state(dt.date(2004, 10, 5))
    w = mid.notes[P1].election_window
    assert (w.notice_date, w.closes, w.settle_from, w.status) == (
        NOTICE,
        dt.date(2004, 10, 7),
        dt.date(2004, 10, 8),
        "open",
    )
    assert mid.notes[P1].outstanding_principal == D(1_000_000)
    # Oct 1-5 accrued since the September payment: 113 days in all, 108 paid
    assert mid.notes[P1].accrued_interest == cents(D(75_000) * 113 / 365) - D("22191.78")

    before_split = ledger.state(SPLIT - dt.timedelta(days=1))
    assert before_split.notes[P2].conversion_price == D("1.41")
    assert before_split.warrants[P2].shares_outstanding == 125_000

    s = ledger.state(dt.date(2005, 6, 30))
    n1, n2, n3 = s.notes[P1], s.notes[P2], s.notes[P3]
    assert s.split_factor == Fraction(2)

    assert n1.status == "converted"
    assert n1.outstanding_principal == 0
    assert n1.principal_converted == D(1_000_000)
    assert n1.interest_converted == D("1027.40")
    assert n1.shares_issued == 654_266
    assert n1.interest_paid == D("22191.78")
    assert n1.cash_paid == D("22191.78")
    assert n1.cash_received == D(1_000_000)
    assert n1.accrued_interest == 0
    assert n1.prepayment_notices == 1 and n1.election_window.status == "elected"
    assert n1.conversion_price == D("0.765")

    # Purchaser 2: $400,000 converted at $1.41 → 283,687 shares; $600,000 repaid 2005-06-20
    assert n2.principal_converted == D(400_000)
    assert n2.shares_issued == 283_687 == int(D(400_000) / D("1.41"))
    assert (P2_CONVERSION - ISSUE[P2]).days == 180
    total2 = cents(D(1_000_000) * RATE * 180 / 365 + D(600_000) * RATE * 185 / 365)
    assert total2 == D("59794.52")
    assert n2.interest_paid == total2
    assert n2.principal_repaid == D(600_000)
    assert n2.outstanding_principal == 0 and n2.status == "repaid"
    assert n2.cash_paid == D(600_000) + total2
    assert n2.accrued_interest == 0
    assert n2.conversion_price == D("0.705")
    assert n2.maturity_pay_date == dt.date(2005, 6, 20)  # 2005-06-18 is a Saturday

    # Purchaser 3: a full year on $500,000 at 7.5% = $37,500.00; warrant exercised after split
    assert n3.interest_paid == D("37500.00")
    assert n3.principal_repaid == D(500_000)
    assert n3.cash_paid == D("537500.00")
    assert n3.conversion_price == D("0.675")

    w1, w2, w3 = s.warrants[P1], s.warrants[P2], s.warrants[P3]
    assert (w1.shares_initial, w1.shares_outstanding, w1.exercise_price) == (
        125_000,
        250_000,
        D("0.765"),
    )
    assert (w2.shares_outstanding, w2.exercise_price) == (250_000, D("0.705"))
    assert (w3.shares_outstanding, w3.shares_exercised, w3.cash_received) == (
        0,
        125_000,
        D("84375.00"),
    )
    assert w3.exercise_price == D("0.675")

    t = s.totals
    assert t.outstanding_principal == 0
    assert t.shares_issued_on_conversion == 654_266 + 283_687
    assert t.warrant_shares_outstanding == 500_000
    assert t.warrant_shares_exercised == 125_000
    assert t.cash_received == D(2_500_000) + D(84_375)
    assert t.interest_paid == D("22191.78") + total2 + D("37500.00")
    assert t.cash_paid == t.interest_paid + D(1_100_000)
    assert [(r.file_number, r.filed, r.effective) for r in s.registrations] == [
        ("333-117756", dt.date(2004, 7, 29), dt.date(2004, 8, 6))
    ]

    # replaying the log gives the same state every time, from the database or purely
    assert ledger.verify().ok
    reopened = open_ledger(backend.deal_dir, backend.db, **backend.open_args())
    again = reopened.state(dt.date(2005, 6, 30))
    pure = replay(ledger.contract, [r.event for r in reopened.events()], dt.date(2005, 6, 30))
    assert state_json(again) == state_json(s) == state_json(pure)
    reopened.close()
    ledger.close()


def test_same_life_through_the_cli(sqlite_backend, tmp_path):
    """The CLI with its defaults ('all' interest, the schedule's amounts) gives the same state."""
    api_dir = tmp_path / "api"
    import shutil

    shutil.copytree(sqlite_backend.deal_dir, api_dir)
    with init_ledger(api_dir) as ledger:
        run_scenario(ledger)
        expected = state_json(ledger.state(dt.date(2005, 6, 30)))

    d = str(sqlite_backend.deal_dir)
    runner = CliRunner()

    def cli(*args: str) -> str:
        result = runner.invoke(app, list(args))
        assert result.exit_code == 0, result.output
        return result.output

    cli("ledger", "init", d)
    cli("ledger", "record", "registration-filed", d, "-d", "2004-07-29", "--file-number",
        "333-117756", "--shares", "5170685")  # fmt: skip
    # the documented order, DEAL_DIR before the event kind (both orders are accepted)
    cli("ledger", "record", d, "registration-effective", "-d", "2004-08-06")
    schedule = pay_dates()

    done: set[tuple[str, dt.date]] = set()

    def pay(name: str, until: dt.date) -> None:
        for pay_date, end in schedule[name]:
            if (name, pay_date) in done or pay_date > until:
                continue
            done.add((name, pay_date))
            if name != P1 or end < ELECTION:
                cli("ledger", "record", "interest-paid", d, "-p", name, "-d", pay_date.isoformat(),
                    "--through", end.isoformat())  # fmt: skip

    for name in FACE:
        pay(name, dt.date(2004, 10, 1))
    cli("ledger", "record", "prepayment-notice", d, "-p", P1, "-d", NOTICE.isoformat())
    out = cli("ledger", "record", "conversion-election", d, "-p", P1, "-d", ELECTION.isoformat())
    assert "shares issued 654266" in out
    for name in (P2, P3):
        pay(name, dt.date(2004, 12, 1))
    cli("ledger", "record", "conversion", d, "-p", P2, "-d", P2_CONVERSION.isoformat(),
        "--principal", "400000")  # fmt: skip
    for name in (P2, P3):
        pay(name, dt.date(2005, 1, 3))
    cli("ledger", "record", "stock-split", d, "-d", SPLIT.isoformat(), "--ratio", "2-for-1")
    cli("ledger", "record", "warrant-exercised", d, "-p", P3, "-d", EXERCISE.isoformat())
    for name in (P2, P3):
        pay(name, dt.date(2005, 6, 1))
    cli("ledger", "record", "maturity-repayment", d, "-p", P2)
    cli("ledger", "record", "maturity-repayment", d, "-p", P3)

    got = json.loads(cli("ledger", "state", d, "--as-of", "2005-06-30", "--format", "json"))
    assert got == json.loads(json.dumps(expected, default=str))
    verify = json.loads(cli("ledger", "verify", d, "--format", "json"))
    assert verify["ok"] and verify["events"] == got["events_applied"]

    due = json.loads(cli("ledger", "due", d, "--as-of", "2005-06-30", "--days", "3660",
                         "--format", "json"))  # fmt: skip
    # the scenario records no share deliveries: every conversion's and exercise's shares are
    # overdue from the transfer agent (pipedeal.ledger.delivery_rules)
    late = [i for i in due["items"] if i["kind"] == "share_delivery"]
    assert late and all(i["status"] == "overdue" for i in late)
    # besides those, only the outstanding warrants' expiry remains: 2009-06-15 and 2009-06-18
    rest = [i for i in due["items"] if i["kind"] != "share_delivery"]
    assert [(i["kind"], i["instrument"], i["date"], i["shares"]) for i in rest] == [
        ("warrant_expiry", "warrant:Purchaser 1", "2009-06-15", 250_000),
        ("warrant_expiry", "warrant:Purchaser 2", "2009-06-18", 250_000),
    ]
    history = json.loads(cli("ledger", "history", d, "--format", "json"))
    assert [e["seq"] for e in history["events"]] == list(range(1, got["events_applied"] + 1))
