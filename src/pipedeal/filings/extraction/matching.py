"""What the term rules share: value patterns, the first-match search, topic detection, converters.

Owns the pattern fragments rules are written with (``M`` money, ``P`` percent, ``D`` date,
``DUR`` duration, ``MONEY_LIST``), ``first`` (the first match of a list of patterns that
converts, with topic and exclusion checks), ``topic_at`` (which instrument a position talks about)
and the converters from matched text to a JSON value (``money``, ``pct``, ``count`` ...).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable
from decimal import Decimal
from functools import lru_cache
from typing import Any

from pipedeal.filings.extraction.registry import IC, Context, Found, rx
from pipedeal.filings.extraction.sentences import Sentence
from pipedeal.filings.numbers import (
    DATE_RE,
    DURATION_RE,
    MONEY_RE,
    PERCENT_RE,
    months_of,
    parse_date,
    parse_duration,
    parse_money,
    parse_number,
    parse_percent,
    plain,
)

M = MONEY_RE.pattern
P = PERCENT_RE.pattern
D = DATE_RE.pattern
DUR = DURATION_RE.pattern
MONEY_LIST = rf"(?:{M})(?:\s*,\s*(?:and\s+)?(?:{M}))*(?:\s*,?\s*(?:and|or)\s+(?:{M}))?"


def found(sent: Sentence, m: re.Match[str], group: int | str, value: Any) -> Found:
    """``value`` with the span of ``m``'s ``group`` in the filing's text."""
    return Found(value, (sent.start + m.start(group), sent.start + m.end(group)), sent.text)


# --- topic ----------------------------------------------------------------------------------

_WARRANT_WORDS = re.compile(r"warrant|exercise price|exercisable", IC)
_NOTE_WORDS = re.compile(r"conver|notes?\b|debentures?\b", IC)
_NOTE_TAIL = re.compile(r"(?:notes?|debentures?)\Z", IC)


@lru_cache(maxsize=16)
def _topic_words(text: str) -> tuple[list[int], list[int], list[int], list[int]]:
    """Starts and ends of the warrant and of the note keywords in ``text`` (in order)."""
    w = [m.span() for m in _WARRANT_WORDS.finditer(text)]
    n = [m.span() for m in _NOTE_WORDS.finditer(text)]
    return [s for s, _ in w], [e for _, e in w], [s for s, _ in n], [e for _, e in n]


def topic_at(text: str, pos: int) -> str | None:
    """'note' or 'warrant': which instrument the nearest preceding keyword talks about.

    The keywords are those found in ``text[:pos]``; the positions of all keywords of a text are
    found once, so many questions about one long sentence cost one pass over it."""
    w_starts, w_ends, n_starts, n_ends = _topic_words(text)
    i = bisect_right(w_ends, pos)
    warrant = w_starts[i - 1] if i else -1
    i = bisect_right(n_ends, pos)
    note = n_starts[i - 1] if i else -1
    # "note" right at the cut is a keyword of text[:pos] even where "notes"/"noted" goes on
    lo = max(0, pos - 10)
    tail = _NOTE_TAIL.search(text[lo:pos])
    if tail:
        note = max(note, lo + tail.start())
    if warrant < 0 and note < 0:
        return None
    return "note" if note > warrant else "warrant"


# --- the first match that converts ----------------------------------------------------------


def first(ctx: Context, patterns: list[str], convert: Callable[[str], Any], *,
          pred: str | None = None, exclude: str | None = None, topic: str | None = None,
          group: int = 1, window_exclude: str | None = None, window: int = 25,
          far_exclude: str | None = None, strict_topic: bool = False,
          after_exclude: str | None = None) -> Found | None:
    """The first match of ``patterns`` (in order, sentence by sentence) that converts.

    ``topic``: the instrument the match must be about (the nearest keyword before its end; with
    ``strict_topic`` a match with no such keyword is refused too);
    ``window_exclude``: words that must not occur in the ``window`` characters before the match;
    ``far_exclude``: words that must not occur in the 60 characters before the matched value;
    ``after_exclude``: a pattern that must not match right after the value (60 characters).
    """
    topics = (topic,) if strict_topic else (topic, None)
    for sent, t in ctx.where(pred, exclude):
        for pat in patterns:
            for m in rx(pat).finditer(t):
                if topic and topic_at(t, m.end()) not in topics:
                    continue
                if window_exclude and re.search(window_exclude, t[max(0, m.start() - window):
                                                                  m.start(group)], IC):
                    continue
                if far_exclude and re.search(far_exclude, t[max(0, m.start(group) - 60):
                                                            m.start(group)], IC):
                    continue
                if after_exclude and re.match(after_exclude, t[m.end(group): m.end(group) + 60],
                                              IC):
                    continue
                value = convert(m.group(group))
                if value is None:
                    continue
                return found(sent, m, group, value)
    return None


# --- captions on a note's face --------------------------------------------------------------

CAPTION_CHARS = 10_000  # a note's face captions stand at its head


def caption(ctx: Context, label: str, value: str, convert: Callable[[str], Any]) -> Found | None:
    """The value after a caption at the head of the text ("Conversion Price (subject to
    adjustment herein): $0.84", "Maturity Date: October 31, 2020"), which the sentence splitter
    may have cut from its label at a blank line; ``value`` is the value's pattern (one group)."""
    pat = rx(rf"\b{label}\s*(?:\([^()]{{0,60}}\))?\s*:\s*\|?\s*(?:US\s?)?({value})")
    m = pat.search(ctx.flat, 0, min(len(ctx.flat), CAPTION_CHARS))
    if m is None:
        return None
    v = convert(m.group(1))
    if v is None:
        return None
    line = " ".join(ctx.flat[m.start(): m.end()].split())
    return Found(v, (m.start(1), m.end(1)), line)


# --- converters: matched text → JSON value (None: not a value of the kind) ------------------


def money_list(text: str) -> list[Decimal]:
    """Every amount of money in ``text``, in order."""
    return [v for v in (parse_money(m.group(0)) for m in MONEY_RE.finditer(text))
            if v is not None]


def value_of(values: list[Decimal]) -> Any:
    """One number, or a list of them when a term has several (per tranche, per closing)."""
    if len(values) == 1:
        return plain(values[0])
    return [plain(v) for v in values]


def money(text: str) -> Any:
    v = parse_money(text)
    return plain(v) if v is not None and v > 0 else None


def pct(text: str) -> Any:
    v = parse_percent(text)
    return plain(v) if v is not None and 0 <= v <= 1000 else None


def count(text: str) -> int | None:
    """A whole number from 1 to 10,000 (a count of people or days)."""
    n = parse_number(text)
    if n is None or n != int(n) or not 1 <= n <= 10000:
        return None
    return int(n)


def count_big(text: str) -> int | None:
    """A whole number of at least 1 (a count of shares)."""
    n = parse_number(text)
    if n is None or n != int(n) or n < 1:
        return None
    return int(n)


def iso_date(text: str) -> str | None:
    d = parse_date(text)
    return d.isoformat() if d else None


def months(text: str) -> int | None:
    d = parse_duration(text)
    return months_of(*d) if d else None


def years(text: str) -> Any:
    d = parse_duration(text)
    if not d:
        return None
    n, unit = d
    if unit == "years":
        return plain(n)
    if unit == "months" and n % 12 == 0:
        return plain(n / 12)
    return None
