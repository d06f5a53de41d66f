"""The rule registry: what a term rule is, what it returns, and the table of rules by term.

Owns ``Found`` (a value with its span and sentence), ``Context`` (the filing and its sentences as
the rules see them), the ``@rule(key)`` decorator and ``RULES``. A rule is a function
``Context -> Found | None`` registered under its term key; the output order of the terms
(``TERM_KEYS``) is the order in which the group modules register their rules (see
``pipedeal.filings.extraction``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from pipedeal.filings import budget
from pipedeal.filings.extraction.sentences import Sentence
from pipedeal.filings.numbers import mask_long_numbers
from pipedeal.filings.structure import Filing

IC = re.IGNORECASE

_RX: dict[str, re.Pattern[str]] = {}


def rx(pattern: str) -> re.Pattern[str]:
    """``pattern`` compiled case-insensitively, once."""
    compiled = _RX.get(pattern)
    if compiled is None:
        compiled = _RX[pattern] = re.compile(pattern, IC)
    return compiled


@dataclass(frozen=True)
class Found:
    value: Any
    span: tuple[int, int] | None
    sentence: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "value": self.value,
            "span": list(self.span) if self.span else None,
            "sentence": self.sentence,
        }


NOT_FOUND: dict[str, Any] = {"value": None, "span": None, "sentence": None}


MAX_WORD_CHARS = 100  # a longer run of word characters is no word a term is read from
_LONG_WORD = re.compile(rf"[\w&'.\-]{{{MAX_WORD_CHARS + 1},}}")


def mask_long_words(text: str) -> str:
    """``text`` with every run of more than ``MAX_WORD_CHARS`` word characters (letters, digits,
    ``&'.-``) written over with ``#`` (same length, so offsets hold): no name, keyword or figure
    is that long, and no pattern can then spend time quadratic in such a run."""
    return _LONG_WORD.sub(lambda m: "#" * len(m.group(0)), text)


# A year that names a document or a series ("the 2021 Purchase Agreement", "the March 2021
# Warrants", "2019 Notes") is part of a name, not a quantity: it is written over with "#" so that
# no count, share or money pattern reads it. A date with a day ("March 15, 2021") is not touched.
_NAME_WORDS = (r"(?:Notes?|Debentures?|Warrants?|Agreements?|Purchase|Securities|Financing|"
               r"Offering|Plan|Placement|Convertible|Exchange|Senior|Secured|Facility|Loans?|"
               r"Bridge|Investors?|Purchasers?|Holders?|Preferred|Series|Private|Registration|"
               r"Amendment|Letter|SPA|Credit|Term|Shares|Subscription|Transaction|Closing)\b")
_DEFINED_YEAR = re.compile(rf"\b(?:19|20)\d\d\b(?=[\s-]+(?:[A-Z]\w*\s+){{0,2}}{_NAME_WORDS})")
_DAY_BEFORE = re.compile(r"\d(?:st|nd|rd|th)?,?\s\Z|[\d,.$/-]\Z", re.IGNORECASE)


def mask_defined_years(text: str) -> str:
    """``text`` with years that are part of a defined name written over (same length)."""
    def hide(m: re.Match[str]) -> str:
        if _DAY_BEFORE.search(text[max(0, m.start() - 5): m.start()]):
            return m.group(0)  # "March 15, 2021 Notes": a date; "2,021": a figure
        return "####"

    return _DEFINED_YEAR.sub(hide, text)


class Context:
    """A filing and its narrative sentences, as every rule reads them.

    ``flat`` is the text with line breaks as spaces (same offsets, so patterns cross line breaks),
    with digit runs too long to be a figure and words too long to be words masked (see
    ``numbers.mask_long_numbers`` and ``mask_long_words``)."""

    def __init__(self, filing: Filing, sents: list[Sentence]) -> None:
        self.filing = filing
        self.text = filing.text
        self.flat = mask_defined_years(
            mask_long_words(mask_long_numbers(filing.text.replace("\n", " "))))
        self.sents = sents

    def s_text(self, s: Sentence) -> str:
        return self.flat[s.start: s.end]

    def where(self, pred: str | None = None, exclude: str | None = None
              ) -> Iterator[tuple[Sentence, str]]:
        """Each sentence (with its matching text) that matches ``pred`` and not ``exclude``."""
        for i, sent in enumerate(self.sents):
            if not i & 63:
                budget.check()  # the per-document time budget (pipedeal.filings.budget)
            t = self.s_text(sent)
            if pred and not rx(pred).search(t):
                continue
            if exclude and rx(exclude).search(t):
                continue
            yield sent, t


Rule = Callable[[Context], Found | None]
RULES: dict[str, Rule] = {}


def rule(key: str) -> Callable[[Rule], Rule]:
    """Register the decorated function as the rule for term ``key`` (one rule per key)."""
    def deco(fn: Rule) -> Rule:
        if key in RULES:
            raise ValueError(f"two rules for term {key!r}")
        RULES[key] = fn
        return fn
    return deco
