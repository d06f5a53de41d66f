"""Parsers read what the printers write (property tests); garbage never crashes or hangs."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipedeal.errors import UserError
from pipedeal.filings.extract import extract_text, read_filing_file
from pipedeal.filings.numbers import (
    format_date,
    format_money,
    format_percent,
    number_words,
    parse_date,
    parse_duration,
    parse_money,
    parse_number,
    parse_percent,
)

money = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("999999999"), places=2,
                    allow_nan=False, allow_infinity=False)


@given(money)
def test_money_round_trip(value):
    assert parse_money(format_money(value)) == value


@given(st.integers(min_value=0, max_value=10**11))
def test_number_words_round_trip(n):
    assert parse_number(number_words(n)) == n


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31)))
def test_date_round_trip(day):
    assert parse_date(format_date(day)) == day
    assert parse_date(day.isoformat()) == day


@given(st.decimals(min_value=Decimal("0"), max_value=Decimal("500"), places=2,
                   allow_nan=False, allow_infinity=False))
def test_percent_round_trip(value):
    assert parse_percent(format_percent(value)) == value


@pytest.mark.parametrize(("text", "value"), [
    ("$2.5 million", Decimal("2500000")),
    ("$2,500,000", Decimal("2500000")),
    ("two million five hundred thousand dollars ($2,500,000)", Decimal("2500000")),
    ("two million dollars", Decimal("2000000")),
    ("$451,875", Decimal("451875")),
    ("$0.05", Decimal("0.05")),
])
def test_money_forms(text, value):
    assert parse_money(text) == value


@pytest.mark.parametrize(("text", "value"), [
    ("7.5%", Decimal("7.5")),
    ("seven and one half percent (7.5%)", Decimal("7.5")),
    ("4.99 percent", Decimal("4.99")),
    ("ten percent", Decimal("10")),
])
def test_percent_forms(text, value):
    assert parse_percent(text) == value


def test_durations_and_words():
    assert parse_duration("five (5) years") == (Decimal(5), "years")
    assert parse_duration("twelve months") == (Decimal(12), "months")
    assert parse_duration("5-year") == (Decimal(5), "years")
    assert parse_duration("90 calendar days") == (Decimal(90), "days")
    assert parse_number("three") == 3
    assert parse_number("twenty-four") == 24
    assert parse_number("banana") is None
    assert parse_date("June 31, 2004") is None
    assert parse_money("about two") is None


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=400))
def test_parsers_never_crash(text):
    for parse in (parse_money, parse_percent, parse_date, parse_duration, parse_number):
        parse(text)


_PIECES = st.sampled_from([
    "Item 1.01", "Item 5.", "<p>", "</td>", "<DOCUMENT>", "<TYPE>8-K", "<TEXT>", "$", "$1.",
    "%", "7.5%", "three", " accredited investors", " warrants to purchase ", "conversion price ",
    "of $", "June 15, 2004", "(", ")", "\n\n", ". ", "/s/ ", "Date of Report", "SIGNATURES",
    "beneficially own ", "within ", " days", "Rule 506", "trading days", "&amp;", "&#", "\x00",
])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(_PIECES, st.text(max_size=20)), max_size=60))
def test_extract_never_crashes_on_fragments(parts):
    data = extract_text("".join(parts))
    assert set(data) >= {"filing", "registrant", "terms"}


def test_huge_file_is_a_clear_error(tmp_path):
    path = tmp_path / "huge.txt"
    with path.open("wb") as f:
        f.truncate(50 * 1024 * 1024)  # sparse: 50 MB, written instantly
    with pytest.raises(UserError, match="limit"):
        read_filing_file(path)


def test_large_narrative_is_capped_not_hung():
    text = "Item 8.01 Other Events.\n\n" + ("The sky is blue. " * 60 + "\n\n") * 4000
    data = extract_text(text)
    assert data["filing"]["narrative_truncated"] is True
    assert all(t["value"] is None for t in data["terms"].values())
