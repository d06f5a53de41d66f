"""Filing structure: cover page, items in both numberings, exhibits, signatures; three formats."""

from __future__ import annotations

import datetime as dt

import pytest

from pipedeal.errors import UserError
from pipedeal.filings.extract import read_filing_file
from pipedeal.filings.structure import html_to_text, normalise, parse_filing

from .paths import FIXTURES, SEED_8K


def _parse(path):
    return parse_filing(read_filing_file(path))


def test_seed_structure_is_complete():
    f = _parse(SEED_8K)
    assert f.source_format == "text"
    assert f.form_type == "8-K"
    assert f.report_date == dt.date(2004, 6, 23)
    assert f.earliest_event_date == dt.date(2004, 6, 15)
    assert f.registrant == {
        "name": "INNOVO GROUP INC.",
        "state": "Delaware",
        "commission_file_number": "0-18926",
        "irs_employer_number": "11-2928178",
        "address": "5804 East Slauson Avenue, Commerce, California",
        "zip": "90040",
        "phone": "(323) 725-5516",
    }
    assert [(i.number, i.numbering) for i in f.items] == [("5", "2004"), ("7", "2004")]
    assert f.items[0].title == "Other Events and Required FD Disclosure"
    assert f.items[0].text.startswith("Financing Transactions")
    assert f.items[0].text.rstrip().endswith("the Securities Act.")
    assert f.text[f.items[0].span[0]: f.items[0].span[1]] == f.items[0].text
    assert "SIGNATURES" not in f.items[1].text
    assert [(e.number, e.description) for e in f.exhibits] == [
        ("4.1", "Form of Convertible Promissory Note"),
        ("4.2", "Form of Common Stock Purchase Warrant"),
        ("4.3", "Form of Registration Rights Agreement"),
    ]
    assert len(f.signatures) == 1
    sig = f.signatures[0]
    assert (sig.name, sig.title, sig.date) == (
        "Samuel J. Furrow, Jr.", "Chief Executive Officer and Director", dt.date(2004, 6, 23))


def test_current_numbering_plain_text():
    f = _parse(FIXTURES / "apex-2021-current.txt")
    assert [i.number for i in f.items] == ["1.01", "2.03", "3.02", "9.01"]
    assert all(i.numbering == "current" for i in f.items)
    assert f.items[0].title == "Entry into a Material Definitive Agreement"
    # one date on the cover: the report date is the earliest event
    assert f.report_date == f.earliest_event_date == dt.date(2021, 3, 3)
    assert f.registrant["state"] == "Nevada"
    assert f.registrant["commission_file_number"] == "001-38817"
    assert f.registrant["zip"] == "92101"
    assert [e.number for e in f.exhibits] == ["4.1", "4.2", "10.1", "10.2", "104"]
    assert f.signatures[0].title == "Chief Financial Officer"
    assert f.signatures[0].date == dt.date(2021, 3, 5)


def test_html_filing():
    f = _parse(FIXTURES / "bluewater-2006.htm")
    assert f.source_format == "html"
    assert f.report_date == dt.date(2006, 11, 8)
    assert f.earliest_event_date == dt.date(2006, 11, 6)
    assert f.registrant["name"] == "BLUEWATER ENERGY SYSTEMS, INC."
    assert f.registrant["irs_employer_number"] == "84-1577320"
    assert f.registrant["phone"] == "(303) 555-0199"
    assert [i.number for i in f.items] == ["1.01", "3.02", "9.01"]
    assert "&#8220;" not in f.text and "<p>" not in f.text and "margin" not in f.text
    assert '(the "Company")' in f.text
    assert [e.number for e in f.exhibits] == ["4.1", "4.2", "10.1"]
    assert f.signatures[0].name == "Marcus T. Lindqvist"
    assert f.signatures[0].title == "President and Chief Executive Officer"


def test_sgml_submission_uses_header_and_documents():
    f = _parse(FIXTURES / "cardinal-2003-submission.txt")
    assert f.source_format == "sgml"
    assert f.form_type == "8-K"
    assert f.filed_date == dt.date(2003, 9, 10)
    assert f.earliest_event_date == dt.date(2003, 9, 2)
    assert f.header["COMPANY CONFORMED NAME"] == "CARDINAL BIOSENSORS INC"
    assert f.registrant["state"] == "New Jersey"
    assert [i.number for i in f.items] == ["5", "7"]
    # exhibits listed in Item 7 plus the submission's own EX- documents
    assert [e.number for e in f.exhibits] == ["4.1", "4.2", "99.1"]
    assert "<PAGE>" not in f.text


def test_sgml_header_fills_a_bare_document():
    raw = (
        "<SEC-DOCUMENT>x\n<SEC-HEADER>x\nCONFORMED SUBMISSION TYPE:\t8-K\n"
        "CONFORMED PERIOD OF REPORT:\t20100105\nFILED AS OF DATE:\t20100107\n"
        "COMPANY DATA:\n\t\tCOMPANY CONFORMED NAME:\tEXAMPLE CO\n\t\tIRS NUMBER:\t123456789\n"
        "\t\tSTATE OF INCORPORATION:\tDE\nBUSINESS ADDRESS:\n\t\tSTREET 1:\t1 MAIN ST\n"
        "\t\tCITY:\tDOVER\n\t\tSTATE:\tDE\n\t\tZIP:\t19901\n</SEC-HEADER>\n"
        "<DOCUMENT>\n<TYPE>8-K\n<TEXT>\n<html><body><p>Item 8.01 Other Events.</p>"
        "<p>Nothing happened.</p></body></html>\n</TEXT>\n</DOCUMENT>\n</SEC-DOCUMENT>\n"
    )
    f = parse_filing(raw)
    assert f.registrant["name"] == "EXAMPLE CO"
    assert f.registrant["irs_employer_number"] == "12-3456789"
    assert f.registrant["state"] == "Delaware"
    assert f.registrant["zip"] == "19901"
    assert f.earliest_event_date == dt.date(2010, 1, 5)
    assert f.report_date == dt.date(2010, 1, 7)
    assert [(i.number, i.text) for i in f.items] == [("8.01", "Nothing happened.")]


def test_item_references_in_prose_are_not_headings():
    f = parse_filing("Item 1.01 Entry into a Material Definitive Agreement.\n\nSee below.\n\n"
                     "Item 3.02 Unregistered Sales of Equity Securities.\n\n"
                     "The information in Item 1.01 above is incorporated by reference.\n")
    assert [i.number for i in f.items] == ["1.01", "3.02"]
    assert "incorporated" in f.items[1].text


def test_normalise_and_html_helpers():
    assert normalise("a  \t b\r\n\r\n\r\n\nc") == "a b\n\nc"
    assert html_to_text("<p>x&nbsp;&amp;<script>bad()</script> y</p>").strip() == "x\xa0& y"


def test_empty_and_garbage_give_empty_results():
    for raw in ("", "   \n\n", "\x01\x02 garbage ((((", "<html><<<>>>", "<DOCUMENT>"):
        f = parse_filing(raw)
        assert f.items == () and f.signatures == ()


def test_unreadable_inputs_are_user_errors(tmp_path):
    binary = tmp_path / "x.bin"
    binary.write_bytes(b"\x00\x01\x02" * 100)
    with pytest.raises(UserError, match="binary"):
        read_filing_file(binary)
    with pytest.raises(UserError, match="cannot read"):
        read_filing_file(tmp_path / "missing.txt")
    with pytest.raises(UserError, match="not a file"):
        read_filing_file(tmp_path)


def test_date_above_its_caption():
    raw = ("FORM 8-K\n\nCURRENT REPORT\n\nMay 4, 2012\n"
           "Date of Report (Date of earliest event reported)\n\n"
           "ACME WIDGETS, INC.\n(Exact name of registrant as specified in its charter)\n")
    f = parse_filing(raw)
    assert f.report_date == f.earliest_event_date == dt.date(2012, 5, 4)
    assert f.registrant["name"] == "ACME WIDGETS, INC."


def test_with_text_spans_index_the_returned_text():
    import json

    from typer.testing import CliRunner

    from pipedeal.cli.app import app

    result = CliRunner().invoke(app, ["extract", str(FIXTURES / "bluewater-2006.htm"),
                                      "--format", "json", "--with-text"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    start, end = data["terms"]["warrant_shares"]["span"]
    assert data["text"][start:end] == "1,200,000"
    start, end = data["filing"]["items"][0]["span"]
    assert data["text"][start:end] == data["filing"]["items"][0]["text"]
