"""`pipedeal ledger due --ics`: the due list as an iCalendar file, read back with icalendar."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from icalendar import Calendar
from typer.testing import CliRunner

from pipedeal.cli import app

runner = CliRunner()


def invoke(*argv: str) -> str:
    result = runner.invoke(app, list(argv))
    assert result.exit_code == 0, result.output
    return result.stdout


def events(path: Path) -> list:
    cal = Calendar.from_ical(path.read_bytes())
    return list(cal.walk("VEVENT"))


def kind(event) -> str:
    return str(event.get("categories").cats[0])


def purchaser(event) -> str:
    return str(event.get("summary")).split(": ", 1)[1].split(" $")[0].split(" (")[0]


def amount(event) -> Decimal:
    line = next(x for x in str(event.get("description")).splitlines() if x.startswith("amount: "))
    return Decimal(line.removeprefix("amount: "))


def test_the_year_of_innovo_payments(deal_copy: Path, tmp_path: Path):
    invoke("ledger", "init", str(deal_copy))
    out = tmp_path / "due.ics"
    argv = ("ledger", "due", str(deal_copy), "--as-of", "2004-06-22", "--days", "366")
    assert invoke(*argv, "--ics", str(out)) == ""  # the file instead of the list
    got = events(out)
    due = json.loads(invoke(*argv, "--format", "json"))["items"]
    assert len(got) == len(due)  # the same items as `ledger due`
    schedule = json.loads(invoke("schedule", str(deal_copy), "--format", "json"))["rows"]
    # every monthly interest payment of the three notes in the year, on its day, to the cent
    interest = sorted(
        (e.decoded("dtstart"), purchaser(e), amount(e))
        for e in got
        if kind(e) == "interest_payment"
    )
    maturity = {r["purchaser"]: r for r in schedule if r["kind"] == "principal"}
    expected = sorted(
        (dt.date.fromisoformat(r["pay_date"]), r["purchaser"], Decimal(r["amount"]))
        for r in schedule
        if r["kind"] == "interest" and r["pay_date"] != maturity[r["purchaser"]]["pay_date"]
    )
    assert interest == expected
    assert len(interest) == 36  # 12 a note
    # each an all-day event
    for e in got:
        if kind(e) == "interest_payment":
            assert e.decoded("dtend") - e.decoded("dtstart") == dt.timedelta(days=1)
    # the maturities: principal plus the final stub of interest, on the maturity pay date
    maturities = sorted(
        (e.decoded("dtstart"), purchaser(e), amount(e)) for e in got
        if kind(e) == "maturity_repayment"
    )  # fmt: skip
    expected_maturities = sorted(
        (
            dt.date.fromisoformat(m["pay_date"]),
            name,
            Decimal(m["amount"]) + sum(Decimal(r["amount"]) for r in schedule
                                       if r["purchaser"] == name and r["kind"] == "interest"
                                       and r["pay_date"] == m["pay_date"]),
        )
        for name, m in maturity.items()
    )  # fmt: skip
    assert maturities == expected_maturities
    # stable UIDs, one per event: a newer file updates a calendar instead of doubling it
    uids = [str(e.get("uid")) for e in got]
    assert len(set(uids)) == len(uids)
    out2 = tmp_path / "again.ics"
    invoke(*argv, "--ics", str(out2))
    assert [str(e.get("uid")) for e in events(out2)] == uids


def test_window_deadline_and_warrant_expiry_carry_their_time_zones(
    deal_copy: Path, tmp_path: Path
):
    toml = deal_copy / "deal.toml"
    text = toml.read_text()
    anchor = 'business_day_calendar = "SEC"           # "Business Day": a weekday the SEC is open\n'
    assert anchor in text
    toml.write_text(text.replace(anchor, anchor + "filing_deadline_days = 30\n", 1))
    invoke("ledger", "init", str(deal_copy))
    invoke("ledger", "record", str(deal_copy), "prepayment-notice", "-p", "Purchaser 1",
           "-d", "2004-09-20")  # fmt: skip
    out = tmp_path / "due.ics"
    invoke("ledger", "due", str(deal_copy), "--as-of", "2004-09-20", "--days", "2000",
           "--ics", str(out))  # fmt: skip
    cal = Calendar.from_ical(out.read_bytes())
    zones = {str(tz.get("tzid")) for tz in cal.walk("VTIMEZONE")}
    assert {"America/New_York", "America/Los_Angeles"} <= zones
    by_kind: dict[str, list] = {}
    for e in cal.walk("VEVENT"):
        by_kind.setdefault(kind(e), []).append(e)
    (window,) = by_kind["election_window_closes"]
    start, end = window.decoded("dtstart"), window.decoded("dtend")
    new_york = ZoneInfo("America/New_York")
    # the holder's last day (3 business days after the notice of Monday 2004-09-20), to midnight
    assert start == dt.datetime(2004, 9, 23, tzinfo=new_york)
    assert end == dt.datetime(2004, 9, 24, tzinfo=new_york)
    assert str(end.tzinfo) == "America/New_York" and end.utcoffset() == dt.timedelta(hours=-4)
    assert window["dtend"].params["TZID"] == "America/New_York"
    expiries = sorted(e.decoded("dtstart") for e in by_kind["warrant_expiry"])
    los_angeles = ZoneInfo("America/Los_Angeles")
    assert expiries == [dt.datetime(2009, 6, d, 17, 0, tzinfo=los_angeles) for d in (15, 18, 22)]
    assert all(e["dtstart"].params["TZID"] == "America/Los_Angeles"
               for e in by_kind["warrant_expiry"])  # fmt: skip
    (filing,) = by_kind["registration_filing_deadline"]
    assert filing.decoded("dtstart") == dt.date(2004, 7, 22)  # all day
    assert "30 calendar days after the last closing (2004-06-22)" in str(filing.get("description"))
    assert str(filing.get("summary")).endswith("(OVERDUE)")  # missed: no filing recorded
    assert "prepayment_settlement" in by_kind


def test_ics_never_overwrites_the_ledger(deal_copy: Path):
    invoke("ledger", "init", str(deal_copy))
    before = (deal_copy / "ledger.sqlite").read_bytes()
    result = runner.invoke(app, ["ledger", "due", str(deal_copy), "--as-of", "2004-06-22",
                                 "--ics", str(deal_copy / "ledger.sqlite")])  # fmt: skip
    assert result.exit_code == 2 and "--ics" in result.output
    assert (deal_copy / "ledger.sqlite").read_bytes() == before


def test_every_kind_of_due_item_has_a_calendar_title():
    import re

    from pipedeal.interop.ics import _TITLES
    from pipedeal.ledger import due

    source = Path(due.__file__).read_text()
    kinds = set(re.findall(r'^\s+"([a-z]+(?:_[a-z]+)+)",$', source, re.M))
    assert "share_delivery" in kinds and "interest_payment" in kinds
    assert kinds <= set(_TITLES), kinds - set(_TITLES)
