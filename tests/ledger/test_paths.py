"""The pure fold on paths the scenario does not take: partial prepayment, part election, cashless
exercise, stock dividend, cash in lieu, expiry by time, and what is due. No database here."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest

from pipedeal.ledger import RuleViolation, due_items, fold, replay
from pipedeal.ledger import events as ev

D = Decimal
P1, P2, P3 = "Purchaser 1", "Purchaser 2", "Purchaser 3"
ISSUES = [
    ev.note_issued(P1, dt.date(2004, 6, 15), 1_000_000, 1_000_000),
    ev.note_issued(P2, dt.date(2004, 6, 18), 1_000_000, 1_000_000),
    ev.note_issued(P3, dt.date(2004, 6, 22), 500_000, 500_000),
]


def with_terms(contract, **changes):
    """The contract with some terms changed: {"note.prepayment.premium": ...}."""
    deal = contract.deal
    for path, value in changes.items():
        part, field = path.rsplit(".", 1)
        if part == "warrant":
            deal = deal.model_copy(
                update={"warrant": deal.warrant.model_copy(update={field: value})}
            )
        elif part == "registration_rights":
            rr = deal.registration_rights.model_copy(update={field: value})
            deal = deal.model_copy(update={"registration_rights": rr})
        else:
            _, section = part.split(".")
            sub = getattr(deal.note, section).model_copy(update={field: value})
            deal = deal.model_copy(update={"note": deal.note.model_copy(update={section: sub})})
    # the instruments are built from the terms: rebuild them, do not patch the terms in place
    return type(contract).from_figures(deal, contract.figures)


def accrued(principal, days) -> Decimal:
    return (D(principal) * D("0.075") * days / 365).quantize(D("0.01"))


def test_partial_prepayment_lapses_then_settles_with_premium(contract):
    c = with_terms(contract, **{"note.prepayment.premium": D("0.02")})
    log = [
        *ISSUES,
        ev.prepayment_notice(P2, dt.date(2004, 10, 4), 400_000),
        ev.election_lapsed(P2, dt.date(2004, 10, 8)),
    ]
    # interest on the prepaid part: 108 days since issue on $400,000 of $1,000,000
    interest = accrued(1_000_000, (dt.date(2004, 10, 8) - dt.date(2004, 6, 18)).days)
    share = (interest * D("0.4")).quantize(D("0.01"))
    log.append(ev.prepayment_settled(P2, dt.date(2004, 10, 8), 400_000, share))
    s = replay(c, log, dt.date(2004, 10, 31))
    n = s.notes[P2]
    assert n.election_window.status == "settled"
    assert n.principal_prepaid == D(400_000) and n.outstanding_principal == D(600_000)
    assert n.premium_paid == D("8000.00")
    assert n.cash_paid == D(400_000) + D(8_000) + share
    assert n.status == "outstanding"
    # October interest now runs on $600,000 from the settlement day
    assert n.accrued_interest == (
        (D(1_000_000) * D("0.075") * 112 / 365 + D(600_000) * D("0.075") * 24 / 365).quantize(
            D("0.01")
        )
        - share
    )
    with pytest.raises(RuleViolation, match="note.prepayment.max_notices"):
        fold(c, [*log, ev.prepayment_notice(P2, dt.date(2004, 11, 1), 1)])


def test_election_for_part_then_the_rest_settles(contract):
    log = [
        *ISSUES,
        ev.prepayment_notice(P1, dt.date(2004, 10, 4), 1_000_000),
        ev.conversion_election(P1, dt.date(2004, 10, 5), 300_000),
    ]
    with pytest.raises(RuleViolation, match="the settlement prepays the noticed principal "):
        fold(contract, [*log, ev.prepayment_settled(P1, dt.date(2004, 10, 8), 1_000_000)])
    log.append(ev.prepayment_settled(P1, dt.date(2004, 10, 8), 700_000))
    s = replay(contract, log, dt.date(2004, 10, 8))
    n = s.notes[P1]
    assert n.shares_issued == 196_078  # 300,000 / 1.53 = 196,078.43
    assert n.principal_prepaid == D(700_000) and n.outstanding_principal == 0
    assert n.status == "prepaid" and n.election_window.elected_principal == D(300_000)


def test_cashless_exercise_where_allowed(contract):
    c = with_terms(contract, **{"warrant.cashless_exercise": True})
    log = [*ISSUES, ev.warrant_exercised(P1, dt.date(2005, 1, 3), 10_000, method="cashless",
                                         fair_market_value="3.06")]  # fmt: skip
    w = replay(c, log, dt.date(2005, 1, 3)).warrants[P1]
    assert (w.shares_exercised, w.shares_delivered, w.cash_received) == (10_000, 5_000, 0)
    assert w.shares_outstanding == 115_000
    with pytest.raises(RuleViolation, match="not above the exercise price"):
        fold(c, [*ISSUES, ev.warrant_exercised(P1, dt.date(2005, 1, 3), 1, method="cashless",
                                               fair_market_value="1.53")])  # fmt: skip


def test_stock_dividend_and_reverse_split(contract):
    log = [*ISSUES, ev.stock_dividend(dt.date(2004, 12, 1), 10)]
    s = replay(contract, log, dt.date(2004, 12, 1))
    assert s.split_factor == Fraction(11, 10)
    assert s.warrants[P3].shares_outstanding == 68_750
    assert s.warrants[P3].exercise_price == D("1.2272727273")
    conv = ev.conversion(P3, dt.date(2004, 12, 2), 100_000)
    assert replay(contract, [*log, conv], dt.date(2004, 12, 2)).notes[P3].shares_issued == (
        81_481  # 100,000 x 1.1 / 1.35 = 81,481.48
    )
    s = replay(contract, [*log, ev.stock_split(dt.date(2004, 12, 3), 1, 10)], dt.date(2004, 12, 3))
    assert s.split_factor == Fraction(11, 100)
    assert s.warrants[P3].shares_outstanding == 6_875


def test_cash_in_lieu_of_a_fraction(contract):
    c = with_terms(contract, **{"note.conversion.fractional_shares": "cash_in_lieu"})
    s = replay(c, [*ISSUES, ev.conversion(P2, dt.date(2004, 7, 1), 1_000)], dt.date(2004, 7, 1))
    n = s.notes[P2]
    assert n.shares_issued == 709  # 1,000 / 1.41 = 709.22
    assert n.cash_in_lieu == D("0.31") == n.cash_paid  # 0.2199 x 1.41 = 0.31


def test_warrant_expires_at_five_pm_pacific(contract):
    expiry = dt.datetime(2009, 6, 15, 17, tzinfo=ZoneInfo("America/Los_Angeles"))
    before = replay(contract, ISSUES, dt.date(2009, 6, 14)).warrants[P1]
    assert before.expires_at == expiry and not before.expired
    assert before.shares_outstanding == 125_000
    after = replay(contract, ISSUES, dt.date(2009, 6, 15)).warrants[P1]
    assert after.expired and after.shares_outstanding == 0 and after.shares_expired == 125_000
    # 4:59 p.m. Pacific (23:59 UTC) on the expiry date is still in time
    at = dt.datetime(2009, 6, 15, 23, 59, tzinfo=dt.UTC)
    s = replay(contract, [*ISSUES, ev.warrant_exercised(P1, expiry.date(), 125_000, at=at)],
               expiry.date())  # fmt: skip
    assert s.warrants[P1].cash_received == D("191250.00")


def test_due_lists_windows_settlements_and_registration_deadlines(contract):
    c = with_terms(
        contract,
        **{
            "registration_rights.filing_deadline_days": 45,
            "registration_rights.effectiveness_deadline_days": 120,
        },
    )
    log = [*ISSUES, ev.prepayment_notice(P1, dt.date(2004, 10, 4), 1_000_000)]
    items = due_items(c, replay(c, log, dt.date(2004, 10, 4)), days=10)
    got = {(i.kind, i.instrument, i.date, i.status) for i in items}
    assert ("election_window_closes", "note:Purchaser 1", dt.date(2004, 10, 7), "due") in got
    assert ("prepayment_settlement", "note:Purchaser 1", dt.date(2004, 10, 8), "due") in got
    # 45 calendar days after the last closing (2004-06-22): overdue, nothing filed
    assert ("registration_filing_deadline", "deal", dt.date(2004, 8, 6), "overdue") in got
    assert not any(i.kind == "registration_effectiveness_deadline" for i in items)  # 2004-10-20
    filed = [*log, ev.registration_filed(dt.date(2004, 10, 4), "S-3", "333-117756")]
    kinds = {i.kind for i in due_items(c, replay(c, filed, dt.date(2004, 10, 4)), days=30)}
    assert "registration_filing_deadline" not in kinds
    assert "registration_effectiveness_deadline" in kinds
    # the October 1 payments were never recorded: each note's four months are overdue
    overdue = [i for i in items if i.kind == "interest_payment" and i.status == "overdue"]
    assert len(overdue) == 12
    assert sum(i.amount for i in overdue if i.instrument == "note:Purchaser 3") == accrued(
        500_000, 101
    )
