"""Input bounds (issue 12, defects 3, 7, 8 and the bounds of "what to build" 3).

An event is a fact that has happened: its dates may not be after the moment of recording (the
clock is injected) nor before the calendars; amounts, shares and text are bounded; every refusal
is one line naming the field, exit status 2, nothing written; ``ledger init`` is one transaction.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
import sqlalchemy as sa
from pydantic import ValidationError
from typer.testing import CliRunner

from pipedeal.cli import app
from pipedeal.ledger import RuleViolation, init_ledger, open_ledger
from pipedeal.ledger import events as ev
from pipedeal.ledger.schema import deals
from pipedeal.ledger.store import make_engine, resolve_url

P1 = "Purchaser 1"
runner = CliRunner()


def _cli(*args: str):
    return runner.invoke(app, list(args))


def _history(backend) -> str:
    result = _cli("ledger", "history", str(backend.deal_dir), "-f", "json", *backend.cli_args())
    assert result.exit_code == 0, result.output
    return result.stdout


def _one_line_refusal(result, *needles: str) -> None:
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


def _clock(moment: dt.datetime):
    return lambda: moment


# --- defect 3: a typo'd future date -------------------------------------------------------------


def test_a_future_date_is_refused_and_does_not_block_later_events(backend):
    d, extra = str(backend.deal_dir), backend.cli_args()
    assert _cli("ledger", "init", d, *extra).exit_code == 0
    before = _history(backend)
    typo = _cli("ledger", "record", d, "memo", "-d", "2040-01-01", "--text", "typo", *extra)
    _one_line_refusal(typo, "date: 2040-01-01 is in the future")
    assert _history(backend) == before  # nothing written
    # the interest payment the typo used to block is accepted
    paid = _cli(
        "ledger", "record", d, "interest-paid", "-p", P1, "-d", "2004-07-01",
        "--through", "2004-06-30", *extra,
    )  # fmt: skip
    assert paid.exit_code == 0, paid.output
    far = _cli("ledger", "record", d, "conversion", "-p", P1, "-d", "9999-12-31",
               "--principal", "1000", *extra)  # fmt: skip
    _one_line_refusal(far, "--date", "9999-12-31")


def test_the_clock_is_injected(sqlite_backend):
    noon = dt.datetime(2004, 7, 1, 12, 0, tzinfo=dt.UTC)
    with init_ledger(sqlite_backend.deal_dir, clock=_clock(noon)) as ledger:
        rec = ledger.record(ev.memo(dt.date(2004, 7, 1), "today"))
        assert rec.recorded_at.startswith("2004-07-01T12:00:00")
        # today somewhere on earth (UTC+14) is still allowed; the day after is not
        ledger.record(ev.memo(dt.date(2004, 7, 2), "Kiribati"))
        with pytest.raises(RuleViolation, match=r"^date: 2004-07-03 is in the future"):
            ledger.record(ev.memo(dt.date(2004, 7, 3), "tomorrow"))
        late = dt.datetime(2004, 7, 1, 13, 0, tzinfo=dt.UTC)
        exercise = ev.warrant_exercised(P1, dt.date(2004, 7, 1), 1, at=late)
        with pytest.raises(RuleViolation, match=r"^at: .* is in the future"):
            ledger.record(exercise)
        n = len(ledger.events())
    with open_ledger(sqlite_backend.deal_dir, clock=_clock(noon)) as ledger:
        with pytest.raises(RuleViolation, match=r"^through: 2005-01-01 is in the future"):
            ledger.record(ev.interest_paid(P1, dt.date(2004, 7, 1), "1.00", dt.date(2005, 1, 1)))
        assert len(ledger.events()) == n


def test_dates_before_the_calendars_are_refused(sqlite_backend):
    with init_ledger(sqlite_backend.deal_dir) as ledger:
        with pytest.raises(RuleViolation, match=r"^date: 1989-12-31 is before 1990-01-02"):
            ledger.record(ev.memo(dt.date(1989, 12, 31), "old"))
        with pytest.raises(RuleViolation, match=r"^date: 0001-01-01 is before"):
            ledger.record(ev.memo(dt.date(1, 1, 1), "year one"))
    result = _cli("ledger", "record", str(sqlite_backend.deal_dir), "memo", "-d", "0001-01-01",
                  "--text", "x")  # fmt: skip
    _one_line_refusal(result, "--date", "0001-01-01")


# --- amounts, shares, text -----------------------------------------------------------------------


@pytest.mark.parametrize("amount", ["1e30", "1e999999", "1000000000000000000", "NaN", "-5"])
def test_amounts_beyond_the_digit_limits_are_one_line(sqlite_backend, amount):
    d = str(sqlite_backend.deal_dir)
    assert _cli("ledger", "init", d).exit_code == 0
    before = _history(sqlite_backend)
    result = _cli("ledger", "record", d, "interest-paid", "-p", P1, "-d", "2004-07-01",
                  "--through", "2004-06-30", "--amount", amount)  # fmt: skip
    _one_line_refusal(result, "--amount")
    assert _history(sqlite_backend) == before


def test_payload_limits_hold_through_the_api(sqlite_backend):
    with pytest.raises(ValidationError):
        ev.interest_paid(P1, dt.date(2004, 7, 1), Decimal("1e30"), dt.date(2004, 6, 30))
    with pytest.raises(ValidationError):
        ev.warrant_exercised(P1, dt.date(2004, 7, 1), 10**16)
    with pytest.raises(ValidationError):
        ev.warrant_exercised(P1, dt.date(2004, 7, 1), 1, method="cashless",
                             fair_market_value=Decimal("1e30"))  # fmt: skip
    d = str(sqlite_backend.deal_dir)
    assert _cli("ledger", "init", d).exit_code == 0
    fmv = _cli("ledger", "record", d, "warrant-exercised", "-p", P1, "-d", "2004-07-01",
               "--shares", "1", "--cashless", "--fmv", "1e999999")  # fmt: skip
    assert fmv.exit_code == 2 and len(fmv.stderr.strip().splitlines()) == 1
    shares = _cli("ledger", "record", d, "warrant-exercised", "-p", P1, "-d", "2004-07-01",
                  "--shares", "9" * 5000)  # fmt: skip
    _one_line_refusal(shares, "--shares")


def test_keys_and_names_have_the_same_limits_on_both_databases(backend):
    """Defect 10: a key over 200 characters failed only on PostgreSQL; NUL only there."""
    with init_ledger(backend.deal_dir, backend.db, **backend.open_args()) as ledger:
        n = len(ledger.events())
        day = dt.date(2004, 7, 1)
        with pytest.raises(RuleViolation, match=r"^idempotency key: at most 200 characters"):
            ledger.record(ev.memo(day, "x"), key="k" * 201)
        with pytest.raises(RuleViolation, match=r"^recorded_by: at most 200 characters"):
            ledger.record(ev.memo(day, "x"), by="b" * 201)
        with pytest.raises(RuleViolation, match=r"^text: may not contain a NUL"):
            ledger.record(ev.memo(day, "a\x00b"))
        with pytest.raises(RuleViolation, match=r"^idempotency key: may not contain a NUL"):
            ledger.record(ev.memo(day, "x"), key="a\x00b")
        assert ledger.record(ev.memo(day, "x"), key="k" * 200).seq == n + 1
        assert len(ledger.events()) == n + 1


# --- defect 8: a negative split ratio -------------------------------------------------------------


@pytest.mark.parametrize("ratio", ["-1-for-10", "1-for--10", "-1:10", "1-for-0", "0-for-1", "x"])
def test_a_bad_split_ratio_is_refused_not_made_positive(sqlite_backend, ratio):
    d = str(sqlite_backend.deal_dir)
    assert _cli("ledger", "init", d).exit_code == 0
    before = _history(sqlite_backend)
    result = _cli("ledger", "record", d, "stock-split", "-d", "2004-08-01", f"--ratio={ratio}")
    _one_line_refusal(result, "--ratio")
    assert _history(sqlite_backend) == before


@pytest.mark.parametrize("ratio, new, old", [("1-for-10", 1, 10), ("2 for 1", 2, 1), ("3:2", 3, 2)])
def test_split_ratios_that_parse(sqlite_backend, ratio, new, old):
    d = str(sqlite_backend.deal_dir)
    assert _cli("ledger", "init", d).exit_code == 0
    result = _cli("ledger", "record", d, "stock-split", "-d", "2004-08-01", "--ratio", ratio)
    assert result.exit_code == 0, result.output
    last = json.loads(_history(sqlite_backend))["events"][-1]["event"]
    assert last["payload"] == {"new": new, "old": old}


# --- defect 7: ledger init is one transaction ----------------------------------------------------


def _edit(path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def _deal_rows(backend) -> int:
    engine = make_engine(resolve_url(backend.deal_dir, backend.db))
    try:
        with engine.connect() as conn:
            if not sa.inspect(conn).has_table("ledger_deals"):
                return 0
            key = backend.deal_key or "Innovo Group 2004 convertible notes and warrants"
            q = sa.select(sa.func.count()).select_from(deals).where(deals.c.deal_key == key)
            return int(conn.execute(q).scalar_one())
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    "old, new, needle",
    [
        ('principal = "500000"', 'principal = "500000.125"', "purchasers[2]"),
        ('name = "Purchaser 3"', 'name = "' + "P" * 1_000_000 + '"', "purchasers[2]"),
        ('name = "Purchaser 3"', 'name = "Purchaser\\u00003"', "purchasers[2]"),
    ],
    ids=["three-decimals", "1MB-name", "NUL-name"],
)
def test_init_leaves_nothing_half_built(backend, old, new, needle):
    _edit(backend.deal_dir / "deal.toml", old, new)
    result = _cli("ledger", "init", str(backend.deal_dir), *backend.cli_args())
    if result.exit_code != 2:  # the deal loader may refuse the file itself: also fine
        pytest.fail(result.output[-500:])
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr[-500:]
    assert needle in result.stderr
    if backend.db is None:  # no file left behind
        assert not [p for p in backend.deal_dir.iterdir() if p.name.startswith("ledger")]
    else:
        assert _deal_rows(backend) == 0


def test_init_refuses_a_closing_after_the_moment_of_recording(backend):
    before_third = dt.datetime(2004, 6, 20, 12, 0, tzinfo=dt.UTC)  # Purchaser 3 closes 06-22
    with pytest.raises(RuleViolation, match=r"purchasers\[2\].*2004-06-22 is in the future"):
        init_ledger(backend.deal_dir, backend.db, clock=_clock(before_third), **backend.open_args())
    if backend.db is None:
        assert not (backend.deal_dir / "ledger.sqlite").exists()
    else:
        assert _deal_rows(backend) == 0


def test_init_failing_on_an_existing_database_writes_nothing(sqlite_backend):
    d = sqlite_backend.deal_dir
    with init_ledger(d, deal_key="first") as ledger:
        assert len(ledger.events()) == 3
    size = (d / "ledger.sqlite").stat().st_size
    _edit(d / "deal.toml", 'principal = "500000"', 'principal = "500000.125"')
    result = _cli("ledger", "init", str(d), "--deal-key", "second")
    assert result.exit_code == 2 and "purchasers[2]" in result.stderr
    _edit(d / "deal.toml", 'principal = "500000.125"', 'principal = "500000"')
    with init_ledger(d, deal_key="first") as ledger:  # the first deal is untouched
        assert len(ledger.events()) == 3 and ledger.verify().ok
    engine = make_engine(resolve_url(d))
    with engine.connect() as conn:
        keys = conn.execute(sa.select(deals.c.deal_key)).scalars().all()
    engine.dispose()
    assert keys == ["first"]
    assert (d / "ledger.sqlite").exists() and size > 0
