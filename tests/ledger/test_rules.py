"""Every rejection rule: the clause-citing message, exit status 2 from the CLI, nothing written.

Each case sets up a ledger through the CLI, then runs one command the contract forbids. The
database (every stored event, the chain head) and the deal folder's files must be unchanged.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipedeal.cli import app
from pipedeal.errors import UserError
from pipedeal.ledger import events as ev
from pipedeal.ledger import init_ledger, open_ledger

P1, P2, P3 = "Purchaser 1", "Purchaser 2", "Purchaser 3"

NOTICE = [["prepayment-notice", "-p", P1, "-d", "2004-10-04"]]  # window closes 2004-10-07

# id: (deal.toml edits, setup commands, forbidden command, expected message regex)
CASES = {
    "convert more than outstanding": (
        {},
        [],
        ["conversion", "-p", P2, "-d", "2004-12-15", "--principal", "1000000.01"],
        r"note\.conversion: converting \$1,000,000\.01 of principal but only "
        r"\$1,000,000\.00 is outstanding \(Purchaser 2\)",
    ),
    "convert after a full conversion": (
        {},
        [["conversion", "-p", P2, "-d", "2004-12-15", "--principal", "all"]],
        ["conversion", "-p", P2, "-d", "2004-12-16", "--principal", "1"],
        r"note\.conversion: converting \$1\.00 of principal but only \$0\.00 is outstanding",
    ),
    "convert more interest than accrued": (
        {},
        [],
        ["conversion", "-p", P3, "-d", "2004-07-01", "--interest", "925.00"],
        r"note\.conversion\.unpaid_interest_convertible: converting \$925\.00 of interest but "
        r"only \$924\.66 is accrued and unpaid on 2004-07-01",
    ),
    "interest not convertible": (
        {"unpaid_interest_convertible = true": "unpaid_interest_convertible = false"},
        [],
        ["conversion", "-p", P3, "-d", "2004-07-01", "--principal", "1000", "--interest", "1"],
        r"note\.conversion\.unpaid_interest_convertible: accrued interest does not convert",
    ),
    "second prepayment notice": (
        {},
        NOTICE + [["prepayment-settled", "-p", P1, "-d", "2004-10-08"]],
        ["prepayment-notice", "-p", P1, "-d", "2004-10-20", "--principal", "1"],
        r"note\.prepayment\.max_notices: a second prepayment notice is not allowed \(the "
        r"company gave Purchaser 1 notice on 2004-10-04\); max_notices = 1",
    ),
    "notice before the earliest prepayment date": (
        {},
        [],
        ["prepayment-notice", "-p", P1, "-d", "2004-09-15"],
        r"note\.prepayment\.earliest_months_after_issue: a prepayment notice on 2004-09-15 is "
        r"too early: the company may prepay only after 3 months from issue \(first allowed day "
        r"2004-09-16\)",
    ),
    "prepayment not allowed": (
        {"allowed = true": "allowed = false"},
        [],
        ["prepayment-notice", "-p", P1, "-d", "2004-10-04"],
        r"note\.prepayment\.allowed: this note may not be prepaid",
    ),
    "partial prepayment not allowed": (
        {"partial_allowed = true": "partial_allowed = false"},
        [],
        ["prepayment-notice", "-p", P1, "-d", "2004-10-04", "--principal", "500000"],
        r"note\.prepayment\.partial_allowed: the note may be prepaid only in whole",
    ),
    "settle while the election window is open": (
        {},
        NOTICE,
        ["prepayment-settled", "-p", P1, "-d", "2004-10-07"],
        r"note\.prepayment\.settlement: the holder's election window is open until 2004-10-07; "
        r"the prepayment noticed on 2004-10-04 may settle from 2004-10-08, not 2004-10-07",
    ),
    "settle a different amount": (
        {},
        NOTICE,
        ["prepayment-settled", "-p", P1, "-d", "2004-10-08", "--principal", "10"],
        r"note\.prepayment: the settlement prepays the noticed principal \$1,000,000\.00",
    ),
    "settle without a notice": (
        {},
        [],
        ["prepayment-settled", "-p", P1, "-d", "2004-10-08", "--principal", "10"],
        r"note\.prepayment: there is no pending prepayment notice on this note",
    ),
    "election after the window": (
        {},
        NOTICE,
        ["conversion-election", "-p", P1, "-d", "2004-10-08"],
        r"note\.prepayment\.holder_election_days: the election window closed on 2004-10-07 "
        r"\(3 business days after the notice of 2004-10-04\); an election on 2004-10-08 is late",
    ),
    "window lapsing while still open": (
        {},
        NOTICE,
        ["election-lapsed", "-p", P1, "-d", "2004-10-07"],
        r"note\.prepayment\.holder_election_days: the holder may still elect until 2004-10-07",
    ),
    "exercise at 5:00 p.m. Pacific on the expiry date": (
        {},
        [],
        ["warrant-exercised", "-p", P3, "-d", "2009-06-22", "--at", "17:00", "--shares", "10"],
        r"warrant\.expiry_time: exercise at 17:00 PDT on the expiry date is not before 5:00 PM "
        r"America/Los_Angeles: the warrant expired at 2009-06-22 17:00 America/Los_Angeles",
    ),
    "exercise after 5:00 p.m. Pacific given in UTC": (
        {},
        [],
        ["warrant-exercised", "-p", P3, "-d", "2009-06-22", "--at", "2009-06-23T00:30:00+00:00"],
        r"warrant\.expiry_time: exercise at 17:30 PDT on the expiry date is not before",
    ),
    "exercise on the expiry date without a time": (
        {},
        [],
        ["warrant-exercised", "-p", P3, "-d", "2009-06-22"],
        r"warrant\.expiry_time: an exercise on the expiry date must carry its time \(at\)",
    ),
    "exercise after the expiry date": (
        {},
        [],
        ["warrant-exercised", "-p", P3, "-d", "2009-06-23"],
        r"warrant\.term_years: the warrant expired at 2009-06-22 17:00 America/Los_Angeles; an "
        r"exercise on 2009-06-23 is late",
    ),
    "exercise more shares than outstanding": (
        {},
        [],
        ["warrant-exercised", "-p", P3, "-d", "2005-01-03", "--shares", "62501"],
        r"warrant: exercising 62,501 shares but only 62,500 are outstanding \(Purchaser 3\)",
    ),
    "partial exercise not allowed": (
        {"partial_exercise = true": "partial_exercise = false"},
        [],
        ["warrant-exercised", "-p", P3, "-d", "2005-01-03", "--shares", "100"],
        r"warrant\.partial_exercise: the warrant is exercised in whole only \(62,500 shares\)",
    ),
    "cashless exercise not allowed": (
        {},
        [],
        ["warrant-exercised", "-p", P3, "-d", "2005-01-03", "--cashless", "--fmv", "3.00"],
        r"warrant\.cashless_exercise: this warrant does not allow cashless exercise",
    ),
    "exercise after the warrant expired": (
        {},
        [["warrant-expired", "-p", P3]],
        ["warrant-exercised", "-p", P3, "-d", "2009-06-22", "--at", "09:00", "--shares", "10"],
        r"warrant\.term_years: the warrant expired \(2009-06-22\)",
    ),
    "expiry recorded early": (
        {},
        [],
        ["warrant-expired", "-p", P3, "-d", "2009-06-21"],
        r"warrant\.term_years: the warrant expires at 2009-06-22T17:00:00-07:00",
    ),
    "event dated before the previous one on the instrument": (
        {},
        [["memo", "-d", "2004-08-02", "--text", "call", "--instrument", "note:" + P2]],
        ["interest-paid", "-p", P2, "-d", "2004-07-01"],
        r"ledger\.order: interest_paid dated 2004-07-01 is before an event on note:Purchaser 2 "
        r"dated 2004-08-02",
    ),
    "split dated before recorded events": (
        {},
        [["interest-paid", "-p", P2, "-d", "2004-08-02"]],
        ["stock-split", "-d", "2004-08-01", "--ratio", "2-for-1"],
        r"ledger\.order: a stock split adjusts every instrument, so it cannot be dated "
        r"2004-08-01, before events already recorded on 2004-08-02",
    ),
    "instrument event dated before a split": (
        {},
        [["stock-split", "-d", "2004-09-01", "--ratio", "3-for-2"]],
        ["conversion", "-p", P2, "-d", "2004-08-31", "--principal", "1000"],
        r"ledger\.order: conversion dated 2004-08-31 is before a stock split or stock dividend "
        r"dated 2004-09-01",
    ),
    "interest paid beyond what accrued": (
        {},
        [],
        ["interest-paid", "-p", P1, "-d", "2004-07-01", "--amount", "3287.68"],
        r"note\.interest: paying \$3,287\.68 of interest but only \$3,287\.67 accrued through "
        r"2004-06-30 is unpaid \(Purchaser 1\)",
    ),
    "interest paid for days not yet ended": (
        {},
        [],
        ["interest-paid", "-p", P1, "-d", "2004-07-01", "--through", "2004-07-01", "--amount", "1"],
        r"note\.interest: a payment on 2004-07-01 can only cover days that have ended",
    ),
    "maturity repayment before maturity": (
        {},
        [],
        ["maturity-repayment", "-p", P3, "-d", "2005-06-21"],
        r"note\.maturity\.months_after_issue: the note matures on 2005-06-22 \(payable "
        r"2005-06-22\); a repayment on 2005-06-21 is a prepayment",
    ),
    "maturity repayment of part of the principal": (
        {},
        [],
        ["maturity-repayment", "-p", P3, "--principal", "100"],
        r"note\.maturity: at maturity the outstanding principal \$500,000\.00 is repaid",
    ),
    "note issued twice": (
        {},
        [],
        ["note-issued", "-p", P1],
        r"purchasers: the note of Purchaser 1 was already issued on 2004-06-15",
    ),
    "note issued at the wrong principal": (
        {},
        None,  # init --no-issue
        ["note-issued", "-p", P1, "--principal", "999999"],
        r"purchasers\.principal: the note of Purchaser 1 has principal \$1,000,000\.00",
    ),
    "event on a note not yet issued": (
        {},
        None,
        ["conversion", "-p", P1, "-d", "2004-07-01", "--principal", "1000"],
        r"purchasers: the note of Purchaser 1 has not been issued yet",
    ),
    "unknown purchaser": (
        {},
        [],
        ["conversion", "-p", "Purchaser 9", "-d", "2004-07-01", "--principal", "1000"],
        r"purchasers: no purchaser named 'Purchaser 9' \(have: Purchaser 1, Purchaser 2, "
        r"Purchaser 3\)",
    ),
    "registration effective before any filing": (
        {},
        [],
        ["registration-effective", "-d", "2004-08-06"],
        r"registration_rights: no registration statement has been filed",
    ),
    "idempotency key reused for another event": (
        {},
        [["memo", "-d", "2004-07-01", "--text", "first", "--key", "k-1"]],
        ["memo", "-d", "2004-07-01", "--text", "second", "--key", "k-1"],
        r"idempotency key 'k-1' is already used by event 4 for a different event",
    ),
    "bad amount": (
        {},
        [],
        ["conversion", "-p", P2, "-d", "2004-12-15", "--principal", "12.345"],
        r"--principal: amounts are in cents \(at most 2 decimals\): '12\.345'",
    ),
}


def _edit(deal_dir: Path, edits: dict[str, str]) -> None:
    path = deal_dir / "deal.toml"
    text = path.read_text()
    for old, new in edits.items():
        assert old in text, old
        text = text.replace(old, new, 1)
    path.write_text(text)


def _files(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _db_state(backend) -> tuple:
    with open_ledger(backend.deal_dir, backend.db, **backend.open_args()) as ledger:
        report = ledger.verify()
        return report.ok, report.head_seq, report.head_hash, ledger.events()


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_rejection(case, backend):
    edits, setup, command, message = CASES[case]
    _edit(backend.deal_dir, edits)
    runner = CliRunner()
    d = str(backend.deal_dir)
    init = ["ledger", "init", d, *backend.cli_args()]
    if setup is None:
        init.append("--no-issue")
    result = runner.invoke(app, init)
    assert result.exit_code == 0, result.output
    for cmd in setup or []:
        result = runner.invoke(app, ["ledger", "record", cmd[0], d, *cmd[1:], *backend.cli_args()])
        assert result.exit_code == 0, result.output

    before_db, before_files = _db_state(backend), _files(backend.deal_dir)
    result = runner.invoke(app, ["ledger", "record", command[0], d, *command[1:],
                                 *backend.cli_args()])  # fmt: skip
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert re.search(message, lines[0]), lines[0]
    assert lines[0].startswith("pipedeal: error: ")
    assert result.stdout == ""
    assert _db_state(backend) == before_db
    assert before_db[0]  # the chain verifies
    if backend.name == "sqlite":
        assert _files(backend.deal_dir) == before_files


def test_api_raises_rule_violation_and_stores_nothing(sqlite_backend):
    """The Python API raises ``RuleViolation`` (a ``UserError``) naming the term."""
    import datetime as dt

    from pipedeal.ledger import RuleViolation

    with init_ledger(sqlite_backend.deal_dir) as ledger:
        ledger.record(ev.prepayment_notice(P1, dt.date(2004, 10, 4), 1_000_000))
        with pytest.raises(RuleViolation) as info:
            ledger.record(ev.prepayment_notice(P1, dt.date(2004, 10, 5), 1_000_000))
        assert info.value.term == "note.prepayment.max_notices"
        assert isinstance(info.value, UserError)
        assert len(ledger.events()) == 4
    with open_ledger(sqlite_backend.deal_dir) as again:
        assert [r.event.kind.value for r in again.events()][-1] == "prepayment_notice"
        assert len(again.events()) == 4


def test_commands_without_a_ledger_create_nothing(sqlite_backend):
    runner = CliRunner()
    d = str(sqlite_backend.deal_dir)
    before = _files(sqlite_backend.deal_dir)
    for args in (
        ["ledger", "state", d, "--as-of", "2005-01-01"],
        ["ledger", "record", "memo", d, "-d", "2004-07-01", "--text", "x"],
        ["ledger", "verify", d],
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == 2, result.output
        assert "no ledger at" in result.stderr and "run pipedeal ledger init" in result.stderr
    assert _files(sqlite_backend.deal_dir) == before
