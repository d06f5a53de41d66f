"""Sentences: where a narrative is told, and how it splits into sentences with their offsets.

Owns the sentence splitter (boundaries after ``.``/``!``/``?`` and at blank lines, minus
abbreviations and initials), the narrative regions terms are read from and the size caps on them.
Every step is linear in the text: the word before a boundary is found by scanning back from the
boundary over its own tail, never by a regex search over the whole sentence so far.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipedeal.filings.structure import EXHIBIT_ITEMS, Filing

MAX_NARRATIVE_CHARS = 400_000  # terms are read from at most this much narrative (~100 pages)
MAX_SENTENCES = 5000  # a real financing narrative has a few hundred


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int
    text: str  # whitespace collapsed

    def __str__(self) -> str:
        return self.text


_ABBREV = {
    "inc", "corp", "co", "ltd", "no", "nos", "jr", "sr", "mr", "ms", "mrs", "dr", "st", "u.s",
    "l.p", "l.l.c", "n.a", "s.a", "e.g", "i.e", "etc", "sec", "approx", "vs", "reg", "ave",
    "sept", "oct", "nov", "dec", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "p.m", "a.m",
}
_BOUNDARY = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"(\[]?[A-Z0-9$])|\n\s*\n")
# "J. Smith" is an initial; "Regulation D. The ..." ends a sentence
_INITIAL_OK = re.compile(r"(?:Regulation|Schedule|Form|Exhibit|Annex|Series|Class|Rule)\s")
_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_LETTERS_DOT = _LETTERS | {"."}


def _is_word_char(c: str) -> bool:
    """What ``\\w`` matches in a ``str`` pattern."""
    return c.isalnum() or c == "_"


def last_word(text: str, lo: int, hi: int) -> tuple[str | None, str] | None:
    """The word that ends with the ``.`` at ``text[hi - 1]`` and the word before it.

    Same answer as ``re.search(r"(\\w+\\s+)?([A-Za-z][A-Za-z.]*)\\.$", text[lo:hi])`` as
    ``(group(1), group(2))`` (``None`` when that finds nothing), in time proportional to the two
    words rather than to ``hi - lo`` times itself.
    """
    if hi - lo < 2 or text[hi - 1] != ".":
        return None
    j = hi - 1  # the trailing run of letters and dots ends with the final "."
    while j > lo and text[j - 1] in _LETTERS_DOT:
        j -= 1
    q = j  # the word must start with a letter (the leftmost one of the run)
    while q < hi - 1 and text[q] not in _LETTERS:
        q += 1
    if q >= hi - 1:
        return None
    word = text[q: hi - 1]
    if q != j or j == lo or not text[j - 1].isspace():
        return None, word
    k = j - 1  # a blank run, then a run of word characters before it
    while k > lo and text[k - 1].isspace():
        k -= 1
    p = k
    while p > lo and _is_word_char(text[p - 1]):
        p -= 1
    if p == k:
        return None, word
    return text[p:j], word


def _continues(text: str, lo: int, hi: int) -> bool:
    """Whether the boundary after ``text[lo:hi]`` is an abbreviation or an initial."""
    found = last_word(text, lo, hi)
    if found is None:
        return False
    before, word = found
    if word.lower().rstrip(".") in _ABBREV:
        return True
    return len(word) == 1 and not _INITIAL_OK.match(before or "")


def sentences(text: str, regions: list[tuple[int, int]]) -> list[Sentence]:
    """Sentences of ``text`` inside ``regions`` (spans), with their offsets."""
    out: list[Sentence] = []
    for rs, re_ in regions:
        chunk = text[rs:re_]
        start = 0
        for m in _BOUNDARY.finditer(chunk):
            if "\n\n" not in m.group(0) and _continues(chunk, start, m.start()):
                continue
            _add(out, text, rs + start, rs + m.start())
            start = m.end()
        _add(out, text, rs + start, re_)
    return out


def _add(out: list[Sentence], text: str, start: int, end: int) -> None:
    raw = text[start:end]
    stripped = raw.strip()
    if not stripped:
        return
    lead = len(raw) - len(raw.lstrip())
    s = start + lead
    out.append(Sentence(s, s + len(stripped), " ".join(stripped.split())))


def _told(filing: Filing) -> list[tuple[int, int]]:
    """The 8-K items other than exhibits (and attached press releases); for any other form
    (a 10-Q's "Item 7" is its MD&A, not exhibits) or a text without items, the whole text."""
    form = (filing.form_type or "8-K").upper()
    if not form.startswith("8-K"):
        return [(0, len(filing.text))]
    regions = [it.span for it in filing.items if it.number not in EXHIBIT_ITEMS]
    if not regions:
        return [(0, len(filing.text))]
    return regions + [(a, b) for _, a, b in filing.attached]


def narrative_regions(filing: Filing) -> list[tuple[int, int]]:
    """Where the deal is told: the items other than exhibits, else the whole text; clipped to
    the first ``MAX_NARRATIVE_CHARS`` characters (see ``narrative_truncated``)."""
    out: list[tuple[int, int]] = []
    left = MAX_NARRATIVE_CHARS
    for start, end in _told(filing):
        if left <= 0:
            break
        out.append((start, min(end, start + left)))
        left -= end - start
    return out


def narrative_truncated(filing: Filing, n_sentences: int = 0) -> bool:
    """Whether the terms were read from part of the narrative only (size caps)."""
    return (sum(e - s for s, e in _told(filing)) > MAX_NARRATIVE_CHARS
            or n_sentences > MAX_SENTENCES)
