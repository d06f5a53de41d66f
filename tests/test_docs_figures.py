"""Figures quoted in docs/ are recomputed here from the library: a docs page that drifts from
what the code computes fails the suite. (Reference figures from published sources are checked
by the tests each page names.)"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from tests.conftest import EXAMPLE, ROOT

from pipedeal import api


def _page(name: str) -> str:
    """The page's text with line breaks and repeated spaces folded (figures wrap across lines)."""
    return re.sub(r"\s+", " ", (ROOT / "docs" / name).read_text())


def _money(v: str) -> str:
    return f"{Decimal(v):,.2f}"


def test_accounting_page_innovo_allocation():
    page = _page("accounting.md")
    notes = api.accounting_report(EXAMPLE).to_json()["notes"]
    alloc = [n["allocation"] for n in notes]
    source = notes[0]["inputs"]["note_fair_value"]["source"]
    model, steps = re.search(r"valuation engine \((\w+), (\d+) steps", source).groups()
    assert f"{model} model, {steps} steps" in page
    assert "notes " + " / ".join(_money(a["note_fair_value"]) for a in alloc) in page
    assert "warrants " + " / ".join(_money(a["warrant_fair_value"]) for a in alloc) in page
    assert "Allocated to the notes " + " / ".join(
        _money(a["allocated_to_note"]) for a in alloc) in page
    assert "(" + " / ".join(a["effective_conversion_price"] for a in alloc) + ")" in page
    assert all(Decimal(a["bcf"]) == 0 for a in alloc) and "No BCF" in page
    assert "(" + ", ".join(f"${a['commitment_price']}" for a in alloc) + ")" in page


def test_captable_page_innovo_as_of_july_13():
    page = _page("captable.md")
    c = api.cap_table(EXAMPLE, as_of=dt.date(2004, 7, 13)).to_json()
    pot, rule = c["potential"], c["twenty_percent_rule"]
    holders = c["holders"]
    assert f"{c['shares_outstanding']['as_of']:,} shares outstanding" in page
    assert f"potential {pot['note_shares_principal']:,} conversion shares on principal (" + \
        " + ".join(f"{h['note_shares_principal']:,}" for h in holders) + ")" in page
    assert f"+ {pot['note_shares_interest']:,} for July 1–13 accrued interest" in page
    assert f"+ {pot['warrant_shares']:,} warrant shares" in page
    assert f"fully diluted {c['fully_diluted']:,}" in page
    assert "Fully diluted ownership " + " / ".join(
        f"{h['fully_diluted_pct']}%" for h in holders) in page
    assert "(beneficial " + " / ".join(f"{h['beneficial_pct']}%" for h in holders) + ")" in page
    assert (f"{rule['shares_issuable']:,} shares issuable = {rule['percent']}% of "
            f"{rule['pre_deal_outstanding']:,}") in page
    assert rule["verdict"] in page


def test_conventions_page_interest_total():
    page = _page("conventions.md")
    schedule = api.load_deal(EXAMPLE).schedules[0]
    assert (schedule.principal, schedule.issue_date) == (Decimal(1_000_000), dt.date(2004, 6, 15))
    assert f"${schedule.total_interest:,.2f} in all" in page
