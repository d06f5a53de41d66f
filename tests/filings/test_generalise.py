"""The kinds of miss issue 19 lists, each in at least three wordings (written for these tests;
every company, fund, figure and date is invented).

Each test runs the whole extractor (rules, mentions, the shipped model) on a short passage and
checks the term it is about, and where a look-alike figure sits next to it, that the look-alike
is not taken.
"""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from pipedeal.cli.app import app
from pipedeal.filings.extract import extract_text, term_values
from pipedeal.filings.plaintext import normalise


def terms(text: str) -> dict:
    return term_values(extract_text(text))


# --- one purchaser named, or purchasers listed by name ---------------------------------------

@pytest.mark.parametrize("text", [
    'On May 3, 2019, Larkspur Devices, Inc. (the "Company") entered into a Securities Purchase '
    "Agreement with an institutional investor, under which it sold a convertible promissory note "
    "in the principal amount of $550,000.",
    'Quillon Therapeutics Corp. (the "Company") issued a 10% convertible note in the principal '
    'amount of $220,000 to Redwater Opportunity Fund, LLC (the "Holder") on June 1, 2020.',
    'On March 9, 2018, Talbot Mining Corp. (the "Company") sold a convertible debenture in the '
    'principal amount of $1,000,000 to Fernhill Capital Partners, L.P. (the "Investor").',
    'For value received, OSPREY GRID CORP., a Nevada corporation (the "Borrower"), promises to '
    'pay to Canyon Crest Lending LLC (the "Lender") the principal sum of $150,000 under this '
    "convertible promissory note.",
])
def test_a_single_named_buyer_is_one_purchaser(text):
    assert terms(text)["num_purchasers"] == 1


@pytest.mark.parametrize("text, names", [
    ('On July 1, 2021, Brightwater Labs, Inc. (the "Company") sold convertible notes in the '
     "aggregate principal amount of $2,000,000 to Alder Point Capital, LLC and Harrow Fund, L.P. "
     '(each a "Purchaser").', ["Alder Point Capital, LLC", "Harrow Fund, L.P."]),
    ('Mesa Verde Corp. (the "Company") issued its 8% convertible debentures to Ironbark '
     "Partners, L.P., Southgate Master Fund, Ltd. and Penrose Capital LLC.",
     ["Ironbark Partners, L.P.", "Southgate Master Fund, Ltd.", "Penrose Capital LLC"]),
    ('The convertible notes were purchased by Corbel Trust and Waymark Capital, L.P. (the '
     '"Investors") on April 2, 2016.', ["Corbel Trust", "Waymark Capital, L.P."]),
])
def test_purchasers_listed_by_name(text, names):
    assert terms(text)["purchaser_names"] == names


def test_purchasers_listed_in_one_definition_are_counted():
    text = ('On July 1, 2021, Brightwater Labs, Inc. (the "Company") sold convertible notes in the '
            "aggregate principal amount of $2,000,000 to Alder Point Capital, LLC, Harrow Fund, "
            'L.P. and Quarry Lane Partners, LP (each a "Purchaser" and together the "Purchasers").')
    assert terms(text)["num_purchasers"] == 3


# --- the principal ------------------------------------------------------------------------------

def test_principal_stated_in_thousands():
    text = ("NOTE 6 - CONVERTIBLE NOTES (in thousands, except per share amounts) On March 1, 2020 "
            "the Company issued convertible notes with an aggregate principal amount of $4,500.")
    assert terms(text)["principal_amount_usd"] == 4500000


def test_principal_in_thousands_said_in_a_table_heading():
    text = ("Convertible notes payable (dollars in thousands)\n\nIn June 2019 the Company sold "
            "8% convertible debentures in the aggregate principal amount of $12,000 to two "
            "investors.")
    assert terms(text)["principal_amount_usd"] == 12000000


def test_exact_dollars_are_not_scaled_without_the_words_in_thousands():
    text = ("In June 2019 the Company sold 8% convertible debentures in the aggregate principal "
            "amount of $12,000 to two investors.")
    assert terms(text)["principal_amount_usd"] == 12000


def test_a_per_1000_denomination_next_to_the_principal_is_not_the_principal():
    text = ("The Company sold $25,000,000 aggregate principal amount of 5% convertible senior "
            "notes. The notes are convertible at a rate of 80 shares per $1,000 principal amount "
            "of notes.")
    assert terms(text)["principal_amount_usd"] == 25000000


def test_a_denomination_stated_first_is_not_the_principal():
    text = ("The debentures are issuable in denominations of $1,000 principal amount and "
            "integral multiples thereof. The Company issued convertible debentures in an "
            "aggregate principal amount of $3,000,000.")
    assert terms(text)["principal_amount_usd"] == 3000000


def test_a_non_convertible_note_nearby_is_not_the_principal():
    text = ("On May 5, 2017 the Company issued a non-convertible promissory note in the principal "
            "amount of $100,000 to its chief executive. On the same day it sold convertible "
            "notes in the aggregate principal amount of $2,000,000 to three accredited investors.")
    assert terms(text)["principal_amount_usd"] == 2000000


def test_accrued_interest_next_to_the_principal_is_not_the_principal():
    text = ("The Company issued a convertible note in the principal amount of $300,000. Accrued "
            "interest of $14,250 on the note was outstanding at year end.")
    assert terms(text)["principal_amount_usd"] == 300000


def test_several_closings_give_the_aggregate():
    text = ("At the first closing on February 2, 2021 the Company sold convertible notes in the "
            "principal amount of $1,000,000, and at the second closing on March 2, 2021 notes in "
            "the principal amount of $500,000, for convertible notes in an aggregate principal "
            "amount of $1,500,000.")
    assert terms(text)["principal_amount_usd"] == 1500000


# --- years in defined names are not quantities ------------------------------------------------

@pytest.mark.parametrize("text, key, want", [
    ('Under the 2021 Purchase Agreement, Dunmore Corp. (the "Company") sold convertible notes '
     "in the aggregate principal amount of $800,000 to two accredited investors.",
     "num_purchasers", 2),
    ("The holders of the March 2021 Warrants may buy 500,000 shares of common stock; the "
     "convertible notes were sold with warrants to purchase 250,000 shares.",
     "warrant_shares", 250000),
    ("The 2019 Notes and the 2020 Investors Agreement are described below. The Company sold "
     "convertible notes to three institutional investors.", "num_purchasers", 3),
    ("Holders of the 2018 Debentures converted them; the 2018 Warrants expire in 2023.",
     "warrant_shares", None),
])
def test_years_inside_defined_names_are_not_quantities(text, key, want):
    assert terms(text)[key] == want


# --- conversion prices, amended prices, default rates -----------------------------------------

@pytest.mark.parametrize("text, want", [
    ("The notes are convertible into common stock at a rate of $0.85 per share.", 0.85),
    ("The debentures may be converted at US$0.40 per common share at any time.", 0.40),
    ("The note converts at the lower of (i) $12.40 and (ii) the price per share in the next "
     "equity financing.", 12.40),
    ("Each note is convertible at a conversion rate of $2.25 per share of common stock.", 2.25),
])
def test_conversion_price_wordings(text, want):
    assert terms(text)["conversion_price_usd"] == want


@pytest.mark.parametrize("text, want", [
    ("The notes were convertible at a conversion price of $1.00 per share. In 2020 the "
     "conversion price was amended to $0.50.", 1.00),
    ("The debentures were convertible at $2.00 per share; on June 1, 2019 the holders agreed to "
     "reduce the conversion price to $1.25 per share.", 2.00),
    ("The note is convertible at a conversion price of $0.30 per share, which the Company later "
     "lowered to $0.20 per share.", 0.30),
])
def test_the_original_conversion_price_not_the_amended_one(text, want):
    assert terms(text)["conversion_price_usd"] == want


@pytest.mark.parametrize("text, want", [
    ("The notes bear interest at 10% per annum, or 18% upon an event of default.", 18),
    ("Interest accrues at 8% per annum and becomes 12% following an Event of Default.", 12),
    ("The debentures carry 6% interest, increasing to 15% per annum if there is a default.", 15),
    ("The note bears interest at 5% per annum (22% while an event of default continues).", 22),
])
def test_default_rate_wordings(text, want):
    got = terms(text)
    assert got["default_interest_rate_pct"] == want
    assert got["interest_rate_pct"] not in (None, want)


# --- terms in words -------------------------------------------------------------------------------

@pytest.mark.parametrize("text, key, want", [
    ("The Company sold two-year 9% convertible notes to four investors.",
     "maturity_term_months", 24),
    ("The Company issued eighteen-month senior convertible debentures.",
     "maturity_term_months", 18),
    ("The notes have three-year terms and may be converted at any time.",
     "maturity_term_months", 36),
    ("Investors received seven-year, fully vested warrants with the convertible notes.",
     "warrant_term_years", 7),
    ("Each purchaser also received five-year warrants to purchase common stock.",
     "warrant_term_years", 5),
    ("The warrants have a term of three years from the date of issuance.",
     "warrant_term_years", 3),
])
def test_terms_in_words(text, key, want):
    assert terms(text)[key] == want


# --- registration stated as an obligation to file ------------------------------------------------

@pytest.mark.parametrize("text, days", [
    ("The Company agreed to file a registration statement covering the resale of the conversion "
     "shares within 30 days after the closing of the convertible note financing.", 30),
    ("The Company is obligated to file a shelf registration statement for the shares underlying "
     "the convertible debentures no later than 45 days after the closing.", 45),
    ("Under the purchase agreement for the convertible notes, the Company must file a resale "
     "registration statement within 60 calendar days of the closing.", 60),
])
def test_registration_as_an_obligation_to_file(text, days):
    got = terms(text)
    assert got["registration_rights"] is True
    assert got["registration_filing_deadline_days"] == days


# --- numbers glued to words ---------------------------------------------------------------

@pytest.mark.parametrize("text, key, want", [
    ("On June 1, 2015 the Company issued a convertible note in the principal amount of "
     "$245,000and a warrant.", "principal_amount_usd", 245000),
    ("The investors received warrants to purchase 1,500,000shares of common stock with the "
     "convertible notes.", "warrant_shares", 1500000),
    ("The convertible notes bear interest at 12%per annum.", "interest_rate_pct", 12),
    ("The Company sold convertible debentures with an aggregate principal amount of$750,000.",
     "principal_amount_usd", 750000),
])
def test_numbers_glued_to_words(text, key, want):
    assert terms(text)[key] == want


def test_unglue_leaves_ordinals_and_form_names():
    assert normalise("the 21st day, Form 10-K, Rule 506(b), 4.1") == \
        "the 21st day, Form 10-K, Rule 506(b), 4.1"
    assert normalise("$245,000and 1,500,000shares of$2.5") == \
        "$245,000 and 1,500,000 shares of $2.5"


# --- several financings, explain -----------------------------------------------------------------

def test_several_financings_are_listed_apart():
    text = ("On January 14, 2019, the Company issued to Bayside Lending LLC a convertible note in "
            "the principal amount of $65,000 bearing interest at 10%. On March 2, 2019, the "
            "Company issued to Bayside Lending LLC a second convertible note in the principal "
            "amount of $53,000 bearing interest at 12%.")
    data = extract_text(text)
    fins = data["financings"]
    assert [f["terms"]["principal_amount_usd"]["value"] for f in fins] == [65000, 53000]
    assert [f["terms"]["interest_rate_pct"]["value"] for f in fins] == [10, 12]
    assert data["terms"]["principal_amount_usd"]["value"] == 65000  # the single keys stay


def test_one_financing_has_no_list():
    text = ("On January 14, 2019, the Company sold convertible notes in the principal amount of "
            "$65,000. The notes were issued on January 14, 2019 for $65,000.")
    assert extract_text(text)["financings"] == []


def test_explain_lists_candidates_and_the_reason(tmp_path):
    path = tmp_path / "f.txt"
    path.write_text("The notes bear interest at 10% per annum, or 18% upon an event of default. "
                    "The convertible notes have an aggregate principal amount of $1,000,000.",
                    encoding="utf-8")
    r = CliRunner().invoke(app, ["extract", str(path), "--explain", "--format", "json"])
    assert r.exit_code == 0, r.output
    e = json.loads(r.output)["explain"]
    rate = e["default_interest_rate_pct"]
    assert rate["by"] in ("rule", "model") and rate["reason"]
    assert {c["value"] for c in rate["candidates"]} >= {10, 18}
    assert all(set(c) == {"value", "span", "score", "rule"} for c in rate["candidates"])
    r = CliRunner().invoke(app, ["extract", str(path), "--explain"])
    assert r.exit_code == 0, r.output
    assert "Why each value" in r.output and "default_interest_rate_pct" in r.output


def test_rules_only_is_the_extractor_without_the_model():
    text = "Nothing about a deal here."
    assert extract_text(text, rules_only=True)["terms"] == extract_text(text)["terms"]


# --- forms: an 8-K submission's press release, a 10-K's Item 7 ---------------------------------

_SGML = """<SEC-DOCUMENT>0000000000-21-000001.txt
<SEC-HEADER>
CONFORMED SUBMISSION TYPE:\t8-K
FILED AS OF DATE:\t20210305
COMPANY DATA:
\t\tCOMPANY CONFORMED NAME:\tPELLUCID ROBOTICS INC
</SEC-HEADER>
<DOCUMENT>
<TYPE>8-K
<SEQUENCE>1
<TEXT>
FORM 8-K

Item 1.01 Entry into a Material Definitive Agreement.

On March 3, 2021 the Company entered into the agreements described in the press release filed
as Exhibit 99.1, which is incorporated here by reference.

Item 9.01 Financial Statements and Exhibits.

99.1 Press release dated March 3, 2021
</TEXT>
</DOCUMENT>
<DOCUMENT>
<TYPE>EX-99.1
<SEQUENCE>2
<TEXT>
<html><body><p>Pellucid Robotics Inc. announced today that it sold 6% senior convertible notes
in the aggregate principal amount of $7,500,000 to two institutional investors. The notes are
convertible at $3.20 per share.</p></body></html>
</TEXT>
</DOCUMENT>
<DOCUMENT>
<TYPE>EX-10.1
<SEQUENCE>3
<TEXT>
Form of Note. The principal amount of this Note is $1,000.
</TEXT>
</DOCUMENT>
</SEC-DOCUMENT>
"""


def test_an_8k_submission_reads_its_press_release():
    data = extract_text(_SGML, explain=True)
    terms_ = term_values(data)
    assert terms_["principal_amount_usd"] == 7500000  # from EX-99.1, not the EX-10 form
    assert terms_["conversion_price_usd"] == 3.2
    assert terms_["num_purchasers"] == 2
    (kind, span), = [(a["type"], a["span"]) for a in data["filing"]["attached"]]
    assert kind == "EX-99.1"
    from pipedeal.filings.structure import parse_filing

    text = parse_filing(_SGML).text
    start, end = data["terms"]["principal_amount_usd"]["span"]
    assert span[0] <= start < end <= span[1]
    assert text[start:end] == "$7,500,000"


def test_a_10k_item_7_is_read_not_skipped_as_exhibits():
    text = ("FORM 10-K\n\nItem 7. Management's Discussion and Analysis\n\nIn May 2019 the Company "
            "sold 8% convertible notes in the aggregate principal amount of $3,000,000 to three "
            "accredited investors.\n\nItem 8. Financial Statements\n")
    got = terms(text)
    assert got["principal_amount_usd"] == 3000000
    assert got["num_purchasers"] == 3


# --- note faces and formulas (issue 19's forms) --------------------------------------------------

_FACE = """THIS NOTE HAS NOT BEEN REGISTERED UNDER THE SECURITIES ACT OF 1933.

WILLOWBROOK TELEMETRY, INC.
10% SECURED CONVERTIBLE PROMISSORY NOTE

Issue Date: SEPTEMBER 14TH, 2021
Principal Amount: $US275,000.00
Purchase Price: $US250,000.00
Maturity Date: September 14, 2022
Conversion Price (subject to adjustment herein):

$0.45

FOR VALUE RECEIVED, Willowbrook Telemetry, Inc., a Nevada corporation (the "Borrower"), promises
to pay to the order of

Cobalt Ridge Lending LLC (the "Holder")

the principal sum of $275,000 with interest at 10% per annum.
"""


def test_a_note_face_is_read_from_its_captions_across_blank_lines():
    got = terms(_FACE)
    assert got["event_date"] == "2021-09-14"
    assert got["principal_amount_usd"] == 275000
    assert got["purchase_price_usd"] == 250000
    assert got["maturity_date"] == "2022-09-14"
    assert got["conversion_price_usd"] == 0.45
    assert got["purchaser_names"] == ["Cobalt Ridge Lending LLC"]
    assert got["issuer_name"].lower() == "willowbrook telemetry, inc."


@pytest.mark.parametrize("text, want", [
    ("The note converts at 65% multiplied by the lowest trading price of the common stock during "
     "the 10 trading days prior to the conversion date.",
     "65% of lowest trading price over 10 trading days before conversion"),
    ("The note will convert at 85% of the closing bid price of the common stock for the trading "
     "day just before the conversion.", "85% of average closing bid over 1 trading days before "
     "conversion"),
    ("The holder may convert the note at 90% of the 5-day VWAP before the date of the notice of "
     "conversion.", "90% of VWAP over 5 trading days before conversion"),
])
def test_conversion_formula_wordings(text, want):
    assert terms(text)["conversion_price_formula"] == want


@pytest.mark.parametrize("text, want", [
    ("The Company sold $20 million of debentures together with Warrants for 16 million shares.",
     16000000),
    ("Investors also got warrants for 1.5 million shares, exercisable for five years at $1.50.",
     1500000),
    ("The notes came with warrants to purchase up to 2,250,000 shares of common stock.", 2250000),
])
def test_warrant_share_counts_with_scale_words(text, want):
    assert terms(text)["warrant_shares"] == want
