"""The figures ``ledger record`` fills in come from ``pipedeal.ledger.defaults``, not the CLI.

Each default is checked against a figure worked out by hand (7.5% on a 365-day year, interest
from the issue day, cumulative half-up cents), then the CLI is checked to record exactly what the
library says. The last tests guard the CLI's shape: the shared options of the 15 ``record``
commands are declared once, and no module under ``cli/`` computes a contract figure itself.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from pipedeal.cli import app
from pipedeal.cli.ledger_record import record_app
from pipedeal.errors import UserError
from pipedeal.ledger import defaults, init_ledger
from pipedeal.ledger.events import EventKind

D = Decimal
P1, P2, P3 = "Purchaser 1", "Purchaser 2", "Purchaser 3"
ISSUE = {P1: dt.date(2004, 6, 15), P2: dt.date(2004, 6, 18), P3: dt.date(2004, 6, 22)}
FACE = {P1: D(1_000_000), P2: D(1_000_000), P3: D(500_000)}


def by_hand(name: str, through: dt.date, principal: Decimal | None = None) -> Decimal:
    """Interest from issue through ``through`` (inclusive), rounded half-up to the cent."""
    days = (through - ISSUE[name]).days + 1
    exact = (principal or FACE[name]) * D("0.075") * days / 365
    return exact.quantize(D("0.01"), rounding=ROUND_HALF_UP)


@pytest.mark.parametrize(
    ("day", "through"),
    [
        (dt.date(2004, 8, 2), dt.date(2004, 7, 31)),
        (dt.date(2004, 8, 31), dt.date(2004, 7, 31)),
        (dt.date(2004, 3, 1), dt.date(2004, 2, 29)),
        (dt.date(2005, 1, 3), dt.date(2004, 12, 31)),
    ],
)
def test_an_interest_payment_covers_through_the_end_of_the_previous_month(day, through):
    assert defaults.default_interest_through(day) == through


def test_the_defaults_on_a_fresh_ledger(sqlite_backend):
    with init_ledger(sqlite_backend.deal_dir) as ledger:
        contract, book = ledger.contract, ledger.tip()
        end = dt.date(2004, 7, 31)
        for name in (P1, P2, P3):
            assert defaults.interest_payable(contract, book, name, end) == by_hand(name, end)
            assert defaults.outstanding_principal(contract, book, name) == FACE[name]
        # a conversion on 2004-08-10 settles the days before it (accrual from the issue day)
        day = dt.date(2004, 8, 10)
        converted = defaults.conversion_interest(contract, book, P2, day)
        assert converted == by_hand(P2, day - dt.timedelta(days=1))
        # no notice yet: nothing to settle, and an election has nothing to convert
        assert defaults.prepayment_to_settle(contract, book, P1) == 0
        with pytest.raises(UserError, match="no pending prepayment notice"):
            defaults.elected_principal(contract, book, P1)
        pay = defaults.maturity_pay_date(contract, P1)
        assert pay.year == 2005 and pay.weekday() < 5
        expiry = contract.dates(P1).warrant_expiry
        assert expiry is not None
        assert defaults.warrant_expiry_date(contract, P1) == expiry.date()
        assert defaults.warrant_shares_outstanding(contract, book, P3) > 0
        with pytest.raises(UserError, match="no purchaser named 'Nobody'"):
            defaults.interest_payable(contract, book, "Nobody", end)


def test_a_partial_prepayment_pays_interest_pro_rata(sqlite_backend):
    from pipedeal.ledger import events as ev

    with init_ledger(sqlite_backend.deal_dir) as ledger:
        ledger.record(ev.prepayment_notice(P1, dt.date(2004, 10, 4), D(400_000)))
        contract, book = ledger.contract, ledger.tip()
        assert defaults.prepayment_to_settle(contract, book, P1) == D(400_000)
        assert defaults.elected_principal(contract, book, P1) == D(400_000)
        day = dt.date(2004, 10, 12)
        all_interest = by_hand(P1, day - dt.timedelta(days=1))
        share = defaults.prepayment_interest(contract, book, P1, day, D(400_000))
        assert share == (all_interest * D("0.4")).quantize(D("0.01"))


def _record(deal_dir: Path, *args: str) -> dict:
    result = CliRunner().invoke(app, ["ledger", "record", str(deal_dir), *args, "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["record"]["event"]["payload"]


def test_the_cli_records_what_the_library_says(sqlite_backend):
    d = sqlite_backend.deal_dir
    assert CliRunner().invoke(app, ["ledger", "init", str(d)]).exit_code == 0
    paid = _record(d, "interest-paid", "-p", P1, "-d", "2004-08-02")
    assert paid["through"] == "2004-07-31"
    assert D(paid["amount"]) == by_hand(P1, dt.date(2004, 7, 31))
    day = dt.date(2004, 8, 10)
    with init_ledger(d) as ledger:
        expected = defaults.conversion_interest(ledger.contract, ledger.tip(), P2, day)
    converted = _record(
        d, "conversion", "-p", P2, "-d", day.isoformat(), "--principal", "all", "--interest", "all"
    )
    assert D(converted["principal"]) == FACE[P2]
    assert D(converted["interest"]) == expected == by_hand(P2, day - dt.timedelta(days=1))


SHARED = {"deal_dir", "db", "deal_key", "key", "by", "format"}


def test_every_record_command_takes_the_shared_options_in_the_same_order():
    group = typer.main.get_group(record_app)
    assert len(group.commands) == len(EventKind)  # one command per event kind
    reference = None
    for name, command in group.commands.items():
        shared = [(p.name, p.opts, p.help) for p in command.params if p.name in SHARED]
        assert [s[0] for s in shared] == ["deal_dir", "db", "deal_key", "key", "by", "format"]
        assert command.params[0].name == "deal_dir", name
        assert [p.name for p in command.params[-5:]] == ["db", "deal_key", "key", "by", "format"]
        reference = reference or shared
        assert shared == reference, name


CLI = Path(__file__).resolve().parents[2] / "src" / "pipedeal" / "cli"


def test_no_cli_module_computes_a_contract_figure():
    """Interest, accrual conventions and state arithmetic belong to the library."""
    forbidden = re.compile(
        r"payable_interest|accrued_exact|accrual_shift|ONE_DAY|ledger\.rules import|timedelta\("
    )
    offenders = [
        f"{path.name}:{n}: {line.strip()}"
        for path in sorted(CLI.glob("*.py"))
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if forbidden.search(line)
    ]
    # ledger_common reads Book only as a type, to print what an event changed
    offenders = [o for o in offenders if not o.startswith("ledger_common.py") or "Book" not in o]
    assert offenders == []
