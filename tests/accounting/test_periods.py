"""Fiscal period ends: the issuer's quarter ends (month-end or 52-53-week calendars) and the
period-end accruals the journal books at them."""

from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal
from pathlib import Path

from tests.conftest import EXAMPLE

from pipedeal.accounting.journal import INTEREST_EXPENSE
from pipedeal.accounting.periods import fiscal_quarter_ends, fiscal_year_end
from pipedeal.accounting.report import accounting_data
from pipedeal.ledger import init_ledger
from pipedeal.ledger.reading import ledger_view
from pipedeal.report.book import build_context
from pipedeal.terms.models import AccountingTerms

D = dt.date


def test_innovo_quarters_end_on_saturdays():
    terms = AccountingTerms(fiscal_year_end="11-30", fiscal_calendar="52-53-week")
    assert fiscal_year_end(terms, 2004) == D(2004, 11, 27)  # the last Saturday of November
    assert fiscal_year_end(terms, 2005) == D(2005, 11, 26)
    assert fiscal_quarter_ends(terms, D(2004, 6, 15), D(2005, 6, 30)) == [
        D(2004, 8, 28), D(2004, 11, 27), D(2005, 2, 26), D(2005, 5, 28)]


def test_nearest_weekday_rule_and_53_week_years():
    terms = AccountingTerms(fiscal_year_end="11-30", fiscal_calendar="52-53-week",
                            fiscal_week_rule="nearest")
    assert fiscal_year_end(terms, 2005) == D(2005, 12, 3)  # Wednesday 30th: Saturday after
    ends = fiscal_quarter_ends(terms, D(2004, 11, 27), D(2005, 12, 3))
    assert ends[-1] - ends[-2] == dt.timedelta(weeks=14)  # the 53rd week falls in Q4


def test_month_end_calendars():
    dec = AccountingTerms(fiscal_year_end="12-31")
    assert fiscal_quarter_ends(dec, D(2024, 1, 1), D(2024, 12, 31)) == [
        D(2024, 3, 31), D(2024, 6, 30), D(2024, 9, 30), D(2024, 12, 31)]
    nov = AccountingTerms(fiscal_year_end="11-30")
    assert fiscal_quarter_ends(nov, D(2024, 1, 1), D(2024, 12, 31)) == [
        D(2024, 2, 29), D(2024, 5, 31), D(2024, 8, 31), D(2024, 11, 30)]


def _journal(folder: Path, as_of: dt.date) -> dict:
    ctx = build_context(folder)
    view = ledger_view(folder)
    return accounting_data(folder, ctx.deal, ctx.prices, ctx.figures, ctx.schedules,
                           view=view, as_of=as_of)


def test_the_journal_accrues_at_each_fiscal_quarter_end(tmp_path: Path):
    folder = tmp_path / "innovo-2004"
    shutil.copytree(EXAMPLE, folder)
    init_ledger(folder).close()
    data = _journal(folder, D(2004, 12, 31))
    p1 = next(n for n in data["notes"] if n["purchaser"] == "Purchaser 1")
    entries = p1["entries"]
    by_day = {e["date"]: e for e in entries if e["kind"] == "interest"}
    for quarter_end in ("2004-08-28", "2004-11-27"):
        assert "fiscal quarter end" in by_day[quarter_end]["memo"]
    # accruing at quarter ends splits intervals; it does not change what is expensed in total
    expensed = sum(Decimal(line["debit"]) - Decimal(line["credit"])
                   for e in entries for line in e["lines"] if line["account"] == INTEREST_EXPENSE)
    month_end = folder / "deal.toml"
    text = month_end.read_text().replace('fiscal_calendar = "52-53-week"', "")
    month_end.write_text(text)
    again = _journal(folder, D(2004, 12, 31))
    p1b = next(n for n in again["notes"] if n["purchaser"] == "Purchaser 1")
    days = {e["date"] for e in p1b["entries"] if e["kind"] == "interest"}
    assert "2004-08-31" in days and "2004-08-28" not in days
    expensed_b = sum(Decimal(line["debit"]) - Decimal(line["credit"])
                     for e in p1b["entries"] for line in e["lines"]
                     if line["account"] == INTEREST_EXPENSE)
    assert abs(expensed - expensed_b) <= Decimal("0.05")  # cents of pro-rata rounding at most
