"""Disclosure: the 8-K narrative from a deal reads back to the deal's terms; the book's check."""

from __future__ import annotations

import shutil
import tomllib

import pytest
import tomli_w
from typer.testing import CliRunner

from pipedeal.cli.app import app
from pipedeal.filings.disclose import disclosure_section, disclosure_text
from pipedeal.filings.extract import extract_text, term_values
from pipedeal.market.closes import load_deal_closes
from pipedeal.pricing.figures import deal_figures
from pipedeal.report.book import book_data, build_context
from pipedeal.terms.loader import load_deal

from .paths import EXAMPLE


def _expected(deal_dir):
    deal = load_deal(deal_dir)
    prices = load_deal_closes(deal_dir, deal.market.closes, deal.market.trading_calendar)
    figs = deal_figures(deal, prices)
    return deal, figs


def _as_number(d):
    return float(d) if d != int(d) else int(d)


def _check_round_trip(deal_dir, style):
    deal, figs = _expected(deal_dir)
    text = disclosure_text(deal_dir, style=style)
    data = extract_text(text)
    v = term_values(data)
    items = [i["number"] for i in data["filing"]["items"]]
    assert items == (["5", "7"] if style == "2004" else ["1.01", "2.03", "3.02", "9.01"])
    assert data["registrant"]["commission_file_number"] == deal.issuer.commission_file_number
    assert data["registrant"]["irs_employer_number"] == deal.issuer.irs_employer_number
    assert data["registrant"]["state"] == deal.issuer.state
    assert data["registrant"]["zip"] == deal.issuer.zip
    assert data["filing"]["earliest_event_date"] == min(
        p.closing_date for p in deal.purchasers).isoformat()
    assert [e["number"] for e in data["filing"]["exhibits"]] == sorted(
        deal.offering.documents or ["4.1", "4.2", "4.3"])
    assert v["num_purchasers"] == len(deal.purchasers)
    assert v["principal_amount_usd"] == _as_number(figs.principal)
    assert v["purchase_price_usd"] == _as_number(figs.cash_funded)
    assert v["interest_rate_pct"] == _as_number(deal.note.interest.rate * 100)
    assert v["interest_payment_frequency"] == "monthly"
    assert v["maturity_term_months"] == deal.note.maturity.months_after_issue
    prices = [_as_number(f.conversion_price) for f in figs.purchasers]
    assert v["conversion_price_usd"] == (prices if len(set(prices)) > 1 else prices[0])
    assert v["warrant_shares"] == figs.warrant_shares
    assert v["warrant_coverage_pct"] == _as_number(deal.warrant.coverage_shares_per_dollar * 100)
    ex = [_as_number(f.exercise_price) for f in figs.purchasers]
    assert v["warrant_exercise_price_usd"] == (ex if len(set(ex)) > 1 else ex[0])
    assert v["warrant_term_years"] == deal.warrant.term_years
    assert v["registration_rights"] is True
    assert v["registration_filing_deadline_days"] == deal.registration_rights.filing_deadline_days
    assert v["registration_effectiveness_deadline_days"] == \
        deal.registration_rights.effectiveness_deadline_days
    assert v["exemption"] == list(deal.offering.exemption)
    assert v["secured"] == (True if deal.note.secured else None)
    default = deal.note.default_interest_rate
    assert v["default_interest_rate_pct"] == (None if default is None
                                              else _as_number(default * 100))
    assert ("one prepayment" in v["prepayment_terms"]) == (deal.note.prepayment.max_notices == 1)
    return v


@pytest.mark.parametrize("style", ["2004", "current"])
def test_round_trip_example(style):
    v = _check_round_trip(EXAMPLE, style)
    assert v["conversion_price_formula"] == \
        "110% of average close over 5 trading days before issuance"
    assert v["conversion_price_usd"] == [1.53, 1.41, 1.35]


@pytest.fixture
def variant(tmp_path):
    """The example with other terms: one named purchaser, lower-of price with a floor, secured,
    default rate, registration deadlines, net funding below face."""
    dest = tmp_path / "variant"
    shutil.copytree(EXAMPLE, dest)
    for name in ("8-K.txt",):
        (dest / name).unlink()
    data = tomllib.loads((dest / "deal.toml").read_text())
    data["purchasers"] = [{"name": "Northpoint Capital Partners, LLC",
                           "closing_date": data["purchasers"][1]["closing_date"],
                           "principal": "1500000", "cash_funded": "1350000"}]
    data["note"]["conversion"]["price"] = {
        "statistic": "lowest_close", "window_sessions": 3, "window": "ending_on",
        "multiplier": "0.9", "fixed_price": "1.50", "floor": "0.25"}
    data["note"]["interest"]["rate"] = "0.1"
    data["note"]["maturity"]["months_after_issue"] = 18
    data["note"]["secured"] = True
    data["note"]["default_interest_rate"] = "0.18"
    data["note"]["prepayment"]["max_notices"] = 3
    data["warrant"]["exercise_price"] = {"fixed": "1.75"}
    data["warrant"]["coverage_shares_per_dollar"] = "0.5"
    data["warrant"]["term_years"] = 3
    data["registration_rights"]["filing_deadline_days"] = 30
    data["registration_rights"]["effectiveness_deadline_days"] = 90
    data["offering"]["exemption"] = ["Section 4(a)(2)", "Rule 506(b) of Regulation D"]
    data["offering"]["earliest_event_date"] = data["purchasers"][0]["closing_date"]
    del data["disclosure"]
    (dest / "deal.toml").write_text(tomli_w.dumps(data))
    return dest


@pytest.mark.parametrize("style", ["2004", "current"])
def test_round_trip_variant(variant, style):
    v = _check_round_trip(variant, style)
    assert v["purchaser_names"] == ["Northpoint Capital Partners, LLC"]
    assert v["conversion_price_formula"] == \
        "lower of $1.50 and 90% of lowest close over 3 trading days ending on issuance"
    assert v["conversion_floor_price_usd"] == 0.25
    assert v["purchase_price_usd"] == 1350000


def test_cli_disclose_writes_file(tmp_path):
    out = tmp_path / "8-K.txt"
    result = CliRunner().invoke(app, ["disclose", str(EXAMPLE), "--style", "2004", "--out",
                                      str(out)])
    assert result.exit_code == 0, result.output
    assert "Item 5. Other Events" in out.read_text()
    result = CliRunner().invoke(app, ["disclose", str(EXAMPLE), "--style", "1999"])
    assert result.exit_code == 2


def test_book_filing_check_on_example():
    data = book_data(build_context(EXAMPLE))
    check = data["filing_check"]
    assert check["source"] == "8-K.txt"
    assert check["all_match"] is True
    terms = {line["term"] for line in check["lines"]}
    assert {"principal_amount_usd", "conversion_price_usd", "warrant_shares",
            "conversion_price_formula", "exemption"} <= terms


def test_book_filing_check_finds_a_mismatch(deal_copy):
    path = deal_copy / "deal.toml"
    path.write_text(path.read_text().replace('rate = "0.075"', 'rate = "0.08"'))
    ctx = build_context(deal_copy)
    check = disclosure_section(ctx)
    bad = [line for line in check["lines"] if not line["matches"]]
    assert [line["term"] for line in bad] == ["interest_rate_pct"]
    assert bad[0]["filing"] == 7.5 and bad[0]["deal"] == 8
    assert "7.5% per annum" in bad[0]["sentence"]
    assert check["all_match"] is False


def test_book_filing_check_none_without_filing(deal_copy):
    (deal_copy / "8-K.txt").unlink()
    assert disclosure_section(build_context(deal_copy)) is None
