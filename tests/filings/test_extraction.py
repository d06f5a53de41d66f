"""The extraction package: its layout, the sentence splitter, topic lookup, and inputs that used
to hang (long digit runs) or crash (numbers past Python's int-string limit).

Tests never assert on wall time; the slow inputs here are run to show they finish and what they
return. Their timings are in benchmarks/README.md.
"""

from __future__ import annotations

import importlib
import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipedeal.filings import extract, extraction
from pipedeal.filings.extract import extract_text, term_values
from pipedeal.filings.extraction import GROUPS, RULES, TERM_KEYS, rule
from pipedeal.filings.extraction.matching import topic_at
from pipedeal.filings.extraction.sentences import last_word, sentences
from pipedeal.filings.numbers import (
    MAX_FIGURE_DIGITS,
    mask_long_numbers,
    parse_money,
    parse_number,
    parse_percent,
)

PACKAGE = Path(extraction.__file__).parent

# --- layout -------------------------------------------------------------------------------------


def test_every_rule_is_in_a_group_and_every_term_has_a_rule():
    assert set(TERM_KEYS) == set(RULES)
    assert len(TERM_KEYS) == len(set(TERM_KEYS))
    groups = {g.__name__ for g in GROUPS}
    assert {fn.__module__ for fn in RULES.values()} == groups


def test_term_order_is_the_published_one():
    assert TERM_KEYS[:4] == ("issuer_name", "event_date", "num_purchasers", "purchaser_names")
    assert TERM_KEYS[-2:] == ("beneficial_ownership_cap_pct", "exemption")
    assert list(extract_text("Nothing here.")["terms"]) == list(TERM_KEYS)


def test_a_second_rule_for_a_term_is_refused():
    with pytest.raises(ValueError, match="two rules"):
        rule("issuer_name")(lambda ctx: None)
    assert RULES["issuer_name"].__module__.endswith(".parties")


def test_modules_are_small_and_say_what_they_own():
    for path in sorted(PACKAGE.glob("*.py")):
        lines = path.read_text(encoding="utf-8").splitlines()
        assert len(lines) < 500, path.name
        module = importlib.import_module(f"pipedeal.filings.extraction.{path.stem}"
                                         if path.stem != "__init__" else
                                         "pipedeal.filings.extraction")
        assert module.__doc__ and len(module.__doc__.strip()) > 40, path.name


def test_the_old_module_still_exports_its_names():
    for name in ("EXTRACT_SCHEMA_VERSION", "TERM_KEYS", "Found", "NOT_FOUND", "RULES", "Sentence",
                 "conversion_formula", "extract_file", "extract_terms", "extract_text",
                 "narrative_regions", "narrative_truncated", "read_filing_file", "rule", "rx",
                 "sentences", "term_values", "topic_at", "MAX_SENTENCES",
                 "MAX_NARRATIVE_CHARS"):
        assert hasattr(extract, name), name


# --- the sentence splitter ----------------------------------------------------------------------

_LAST_WORD = re.compile(r"(\w+\s+)?([A-Za-z][A-Za-z.]*)\.$")
_PIECES = st.sampled_from([
    "Inc.", "J.", "Smith", "Regulation", "D.", "U.S.", "e.g.", "a.", ".a.", "..", "A.B.", "8-K.",
    "$5.", "12.", "ab1.", "x_y.", "\u017f.", "\u00c9.", "No.", " ", " ", "  ", "\n", "\u00a0",
    "\u2003", "\t", "Form", "Rule", "\u0663", "L.L.C.", "Q.",
])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(_PIECES, st.text(max_size=4)), max_size=20), st.data())
def test_last_word_is_the_regex_it_replaces(parts, data):
    text = "".join(parts)
    hi = data.draw(st.integers(0, len(text)))
    lo = data.draw(st.integers(0, hi))
    if text[lo:hi].endswith(".\n"):
        return  # "$" before a final newline: a boundary never ends that way
    m = _LAST_WORD.search(text[lo:hi])
    assert last_word(text, lo, hi) == (None if m is None else (m.group(1), m.group(2)))


def test_abbreviations_and_initials_do_not_end_a_sentence():
    text = ("Acme Corp. sold notes to J. Smith and Mr. Jones. The sale relied on Regulation D. "
            "The notes mature in 2006.")
    assert [s.text for s in sentences(text, [(0, len(text))])] == [
        "Acme Corp. sold notes to J. Smith and Mr. Jones.",
        "The sale relied on Regulation D.",
        "The notes mature in 2006.",
    ]


def _topic_reference(text: str, pos: int) -> str | None:
    """The original definition: the nearest keyword in ``text[:pos]``."""
    best: tuple[int, str] | None = None
    for m in re.finditer(r"warrant|exercise price|exercisable", text[:pos], re.I):
        best = (m.start(), "warrant")
    for m in re.finditer(r"conver|notes?\b|debentures?\b", text[:pos], re.I):
        if best is None or m.start() > best[0]:
            best = (m.start(), "note")
    return best[1] if best else None


_TOPIC_PIECES = st.sampled_from([
    "warrant", "Warrants", "exercise price", "exercisable", "conver", "note", "notes", "noted",
    "Note", "debenture", "debentures", "NOTE\u017f", " ", ", ", "x", "s", "ab",
])


@settings(max_examples=300, deadline=None)
@given(st.lists(_TOPIC_PIECES, max_size=25), st.data())
def test_topic_at_is_the_nearest_keyword_before(parts, data):
    text = "".join(parts)
    pos = data.draw(st.integers(0, len(text)))
    assert topic_at(text, pos) == _topic_reference(text, pos)


# --- long digit runs and huge numbers -----------------------------------------------------------


def test_a_sentence_with_80000_digits_finishes_and_is_not_a_figure():
    digits = "7" * 80_000
    text = (f"The Company issued notes. The reference is {digits} and more. The notes bear "
            f"interest at 8% per annum. Warrants to purchase {digits} shares were issued at "
            f"${digits} per share.")
    data = extract_text(text)
    values = term_values(data)
    assert values["interest_rate_pct"] == 8
    assert values["warrant_shares"] is None
    assert values["warrant_exercise_price_usd"] is None
    assert len(json.dumps(data)) > 0


def test_comma_grouped_runs_and_many_abbreviations_finish():
    grouped = ",".join(["123"] * 20_000)
    text = (f"The notes have an aggregate principal amount of ${grouped}. "
            + "Acme Inc. " * 5_000 + "issued notes with an aggregate principal amount of "
            "$2,500,000.")
    values = term_values(extract_text(text))
    assert values["principal_amount_usd"] == 2_500_000


def test_a_5000_digit_number_does_not_raise():
    d = "7" * 5_000
    assert parse_number(d) is None
    assert parse_money(f"${d}") is None
    assert parse_money(f"{d} dollars") is None
    assert parse_percent(f"{d}%") is None
    for text in (f"The notes have an aggregate principal amount of ${d}.",
                 f"The Company sold {d} warrants to purchase shares.",
                 f"The notes bear interest at {d}% per annum.",
                 f"The Company sold notes to {d} accredited investors.",
                 f"The Company issued warrants to purchase {d} shares of common stock."):
        data = extract_text(text)
        json.dumps(data)  # no int beyond Python's int-string limit in the result
        assert all(v is None or not isinstance(v, int) or v < 10**MAX_FIGURE_DIGITS
                   for v in term_values(data).values())


def test_huge_numbers_in_words_are_not_figures():
    assert parse_number("one " + "hundred " * 5_000) is None
    assert parse_number("nine hundred ninety nine billion") == 999 * 10**9
    assert parse_number("one " + "hundred " * 14) == 10**28
    assert parse_number("one " + "hundred " * 15) is None
    data = extract_text("The notes have a principal amount of one " + "hundred " * 3_000
                        + "dollars.")
    json.dumps(data)
    assert term_values(data)["principal_amount_usd"] is None


def test_the_figure_limit_is_at_30_digits():
    assert parse_number("9" * MAX_FIGURE_DIGITS) == int("9" * MAX_FIGURE_DIGITS)
    assert parse_number("9" * (MAX_FIGURE_DIGITS + 1)) is None
    assert parse_money("$1,000,000,000,000,000,000,000,000,000") == 10**27
    assert parse_money("$1,000,000,000,000,000,000,000,000,000 million") is None
    assert parse_number("0." + "1" * (MAX_FIGURE_DIGITS - 1)) is not None


def test_masking_keeps_offsets_and_ordinary_figures():
    text = "Paid $2,500,000 (ref " + "1234567890" * 4 + ") at 7.5% on 6/15/2004."
    masked = mask_long_numbers(text)
    assert len(masked) == len(text)
    assert "$2,500,000" in masked and "7.5%" in masked and "6/15/2004" in masked
    assert "#" * 40 in masked


def test_long_words_and_runs_of_number_words_finish_and_are_not_read():
    text = ("Acme Inc. (the \"Company\") issued convertible notes. The name " + "A" * 40_000
            + " Inc. appears. The notes bear interest at " + "one " * 10_000
            + "percent. The notes bear interest at 8% per annum.")
    values = term_values(extract_text(text))
    assert values["interest_rate_pct"] == 8
    assert values["issuer_name"] == "Acme Inc."


def test_masking_long_words_and_number_word_runs_keeps_offsets():
    from pipedeal.filings.extraction.registry import MAX_WORD_CHARS, mask_long_words
    text = "x " + "B" * (MAX_WORD_CHARS + 1) + " y " + "C" * MAX_WORD_CHARS
    masked = mask_long_words(text)
    assert masked == "x " + "#" * (MAX_WORD_CHARS + 1) + " y " + "C" * MAX_WORD_CHARS
    words = "one " * 30 + "dollars; two million five hundred thousand dollars"
    masked = mask_long_numbers(words)
    assert len(masked) == len(words)
    assert masked.startswith("### ")
    assert masked.endswith("two million five hundred thousand dollars")
