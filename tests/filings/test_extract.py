"""Term extraction: the seed's terms, synthetic filings of the same family, provenance, CLI."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from pipedeal.cli.app import app
from pipedeal.filings.extract import TERM_KEYS, extract_file, extract_text, term_values
from pipedeal.filings.structure import read_text

from .paths import FIXTURES, SEED_8K

SEED_TERMS = {
    "issuer_name": "INNOVO GROUP INC.",
    "event_date": "2004-06-15",
    "num_purchasers": 3,
    "purchaser_names": None,
    "instrument_type": "convertible promissory note",
    "secured": None,
    "principal_amount_usd": 2500000,
    "purchase_price_usd": 2500000,  # "aggregate gross proceeds to us of $2.5 million"
    "net_proceeds_usd": None,
    "oid_pct": None,
    "interest_rate_pct": 7.5,
    "default_interest_rate_pct": None,
    "interest_payment_frequency": None,  # the 8-K says "interest only", not how often
    "maturity_date": None,
    "maturity_term_months": 12,
    "conversion_price_usd": [1.53, 1.41, 1.35],
    "conversion_price_formula": "110% of average close over 5 trading days before issuance",
    "conversion_floor_price_usd": None,
    "warrant_shares": 312500,
    "warrant_coverage_pct": 12.5,
    "warrant_exercise_price_usd": [1.53, 1.41, 1.35],
    "warrant_term_years": 5,
    "warrant_expiration_date": None,
    "registration_rights": True,
    "registration_filing_deadline_days": None,
    "registration_effectiveness_deadline_days": None,
    "beneficial_ownership_cap_pct": None,
    "exemption": ["Rule 506 of Regulation D"],
}

APEX_TERMS = {
    "issuer_name": "APEX MICROFLUIDICS CORP.",
    "event_date": "2021-03-03",
    "num_purchasers": 1,
    "purchaser_names": ["Harborline Capital Partners, LLC"],
    "instrument_type": "senior secured convertible promissory note",
    "secured": True,
    "principal_amount_usd": 1100000,
    "purchase_price_usd": 1000000,
    "net_proceeds_usd": 925000,
    "oid_pct": 10,
    "interest_rate_pct": 8,
    "default_interest_rate_pct": 18,
    "interest_payment_frequency": "quarterly",
    "maturity_date": "2022-03-03",
    "maturity_term_months": None,
    "conversion_price_usd": None,
    "conversion_price_formula":
        "lower of $0.50 and 90% of lowest daily VWAP over 3 trading days before conversion",
    "conversion_floor_price_usd": 0.05,
    "warrant_shares": 1100000,
    "warrant_coverage_pct": None,
    "warrant_exercise_price_usd": 0.6,
    "warrant_term_years": None,
    "warrant_expiration_date": "2026-03-03",
    "registration_rights": True,
    "registration_filing_deadline_days": 30,
    "registration_effectiveness_deadline_days": 90,
    "beneficial_ownership_cap_pct": 4.99,
    "exemption": ["Section 4(a)(2)", "Rule 506(b) of Regulation D"],
}

BLUEWATER_TERMS = {
    "event_date": "2006-11-06",
    "num_purchasers": 2,
    "purchaser_names": ["Ridgefield Opportunity Fund, L.P.", "Carver Street Partners, LLC"],
    "instrument_type": "senior secured convertible note",
    "secured": True,
    "principal_amount_usd": 3000000,
    "purchase_price_usd": None,
    "interest_rate_pct": 8,
    "interest_payment_frequency": "quarterly",
    "maturity_date": "2009-11-06",
    "conversion_price_usd": 1.25,
    "conversion_price_formula": None,
    "warrant_shares": 1200000,
    "warrant_coverage_pct": 50,
    "warrant_exercise_price_usd": 1.5,
    "warrant_term_years": 5,
    "registration_filing_deadline_days": 45,
    "registration_effectiveness_deadline_days": 120,
    "beneficial_ownership_cap_pct": 9.99,
    "exemption": ["Section 4(2)", "Rule 506"],
    "prepayment_terms": None,
}

CARDINAL_TERMS = {
    "event_date": "2003-09-02",
    "num_purchasers": 4,
    "instrument_type": "convertible debenture",
    "secured": False,
    "principal_amount_usd": 750000,
    "interest_rate_pct": 6,
    "interest_payment_frequency": "semi-annually",
    "maturity_date": "2005-09-02",
    "conversion_price_usd": None,
    "conversion_price_formula": "85% of average closing bid over 10 trading days before conversion",
    "warrant_shares": 150000,
    "warrant_exercise_price_usd": 0.9,
    "warrant_term_years": 3,
    "registration_rights": True,
    "registration_filing_deadline_days": 60,
    "registration_effectiveness_deadline_days": None,
    "exemption": ["Section 4(2)"],
}


def test_seed_terms():
    values = term_values(extract_file(SEED_8K))
    assert set(values) == set(TERM_KEYS)
    for key, expected in SEED_TERMS.items():
        assert values[key] == expected, key
    assert "one prepayment" in values["prepayment_terms"]
    assert "within 3 days" in values["prepayment_terms"]


@pytest.mark.parametrize(("name", "expected"), [
    ("apex-2021-current.txt", APEX_TERMS),
    ("bluewater-2006.htm", BLUEWATER_TERMS),
    ("cardinal-2003-submission.txt", CARDINAL_TERMS),
])
def test_synthetic_filings(name, expected):
    values = term_values(extract_file(FIXTURES / name))
    for key, value in expected.items():
        assert values[key] == value, key


@pytest.mark.parametrize("path", [SEED_8K, *sorted(FIXTURES.iterdir())])
def test_provenance_points_into_the_text(path):
    raw = path.read_text(encoding="utf-8")
    text = read_text(raw)[0]
    flat = " ".join(text.split())
    data = extract_text(raw)
    for key, term in data["terms"].items():
        if term["value"] is None:
            assert term["span"] is None and term["sentence"] is None, key
            continue
        start, end = term["span"]
        assert 0 <= start < end <= len(text), key
        quoted = " ".join(text[start:end].split())
        assert quoted in term["sentence"], key
        assert term["sentence"] in flat, key


def test_silence_is_null_not_a_guess():
    data = extract_text("The Company held its annual meeting on May 5, 2010. Shareholders "
                        "elected three directors and ratified the auditors.")
    values = term_values(data)
    assert all(v is None for v in values.values()), {k: v for k, v in values.items() if v}


def test_words_and_digits_in_passage():
    text = ("On July 1, 2008, Northgate Minerals Corp. (the \"Company\") sold to five accredited "
            "investors two million five hundred thousand dollars ($2,500,000) in aggregate "
            "principal amount of convertible notes bearing interest at seven and one half percent "
            "(7.5%) per annum and maturing twenty-four (24) months after issuance. The notes "
            "are convertible at a conversion price of $0.75 per share. The investors received "
            "warrants to purchase 1,000,000 shares at an exercise price of $1.00 per share, which "
            "expire five (5) years from the date of issuance.")
    v = term_values(extract_text(text))
    assert v["issuer_name"] == "Northgate Minerals Corp."
    assert v["event_date"] == "2008-07-01"
    assert v["num_purchasers"] == 5
    assert v["principal_amount_usd"] == 2500000
    assert v["interest_rate_pct"] == 7.5
    assert v["maturity_term_months"] == 24
    assert v["conversion_price_usd"] == 0.75
    assert v["warrant_shares"] == 1000000
    assert v["warrant_exercise_price_usd"] == 1
    assert v["warrant_term_years"] == 5


def test_cli_extract_json():
    result = CliRunner().invoke(app, ["extract", str(SEED_8K), "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) >= {"filing", "registrant", "terms"}
    assert data["registrant"]["commission_file_number"] == "0-18926"
    assert data["terms"]["principal_amount_usd"]["value"] == 2500000
    assert data["filing"]["items"][0]["number"] == "5"


def test_cli_extract_text_and_missing_file(tmp_path):
    runner = CliRunner()
    result = runner.invoke(app, ["extract", str(SEED_8K)])
    assert result.exit_code == 0
    assert "INNOVO GROUP INC." in result.stdout and "312500" in result.stdout
    result = runner.invoke(app, ["extract", str(tmp_path / "none.txt")])
    assert result.exit_code == 2
    assert "cannot read" in result.stderr
