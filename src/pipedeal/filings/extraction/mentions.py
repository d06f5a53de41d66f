"""Typed mentions: every figure of the narrative with its kind, value, span and its words around.

A mention is a place where the text states a quantity: an amount of money (with scale words,
"$2.5 million", and a second reading ×1,000 where the text says its figures are "in thousands"),
a percentage, a number of shares or warrants, a date, a duration ("two-year", "90 days", "five (5)
years"), a count of parties ("three accredited investors", "an institutional investor" → 1).
Years inside defined names ("the 2021 Purchase Agreement") are masked before (see
``registry.mask_defined_years``), so they are never quantities.

The learned scorer (``scorer``) chooses among these mentions per term; the features each mention
carries (the words before and after it, the cue words of its sentence, the instrument it is
about) are computed once here and shared by every term.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from pipedeal.filings.extraction.matching import topic_at
from pipedeal.filings.extraction.registry import IC, Context
from pipedeal.filings.numbers import (
    DATE_RE,
    DURATION_RE,
    MONEY_RE,
    NUMBER,
    PERCENT_RE,
    parse_date,
    parse_duration,
    parse_money,
    parse_number,
    parse_percent,
)


@dataclass(frozen=True)
class Mention:
    kind: str  # money | percent | shares | date | duration | count
    value: object  # Decimal, date, (Decimal, unit) or int
    start: int  # span in the filing's text
    end: int
    sent: int  # index of its sentence in ctx.sents
    features: frozenset[str]


# "(in thousands)", "(dollars in thousands)", "in thousands of dollars", "(000's omitted)"
_THOUSANDS = re.compile(r"in\s+thousands|\(\s*000'?s\s+omitted|\$000'?s\b", IC)
_PER_SHARE = re.compile(r"\s*(?:per|a|for\s+each)\s+(?:common\s+|ordinary\s+)?share\b", IC)
_SHARES = re.compile(
    rf"(?<![\w$.,])({NUMBER})(?:\s*\(\s*\d[\d,]*\s*\))?\s+(?:additional\s+|restricted\s+|"
    r"common\s+|ordinary\s+)?(?:shares|warrants|common\s+shares)\b", IC)
_PARTY = (r"(?:investors?|purchasers?|buyers?|holders?|lenders?|subscribers?|institutions?|"
          r"funds?|noteholders?)")
_COUNT = re.compile(
    rf"(?<![\w$.,])({NUMBER}|an?|single)(?:\s*\(\s*\d+\s*\))?\s+(?:[\w\-\"]+\s+){{0,3}}?"
    rf"\"?{_PARTY}\b", IC)
_WORD = re.compile(r"[a-z]+")

# cue words of a sentence (stems): what the sentence is about
_CUES = (
    "principal", "aggregate", "face", "interest", "per annum", "default", "matur", "due",
    "conver", "warrant", "exercis", "expir", "registration", "effective", "file", "purchase",
    "proceeds", "net", "gross", "discount", "original issue", "amortiz", "accrued", "outstanding",
    "balance", "repaid", "repay", "prepay", "redeem", "beneficial", "owner", "closing",
    "tranche", "amend", "reduced", "adjusted", "lower of", "lesser of", "floor", "premium",
    "fee", "commission", "placement agent", "investor", "purchaser", "holder", "lender",
    "denomination", "per share", "vwap", "trading day", "payable", "increase", "event of default",
    "term", "year", "month", "day", "shares", "common stock", "sold", "issued", "entered",
    "non-convertible", "not convertible", "preferred", "per $1,000", "thousands",
)


def _words(text: str) -> list[str]:
    return [w[:7] for w in _WORD.findall(text.lower())]


def sentence_cues(t: str) -> frozenset[str]:
    """The cue words (``_CUES``) a sentence contains, as features."""
    low = t.lower()
    return frozenset(f"S:{c}" for c in _CUES if c in low)


def _features(t: str, cues: frozenset[str], s_index: int, a: int, b: int) -> set[str]:
    """The words around ``t[a:b]`` (its sentence's text), its topic and its sentence's cues."""
    left = _words(t[max(0, a - 60): a])[-6:]
    right = _words(t[b: b + 40])[:4]
    out = {f"L:{w}" for w in left} | {f"R:{w}" for w in right}
    if left:
        out.add(f"L1:{left[-1]}")
    if len(left) > 1:
        out.add(f"L2:{left[-2]}_{left[-1]}")
    if right:
        out.add(f"R1:{right[0]}")
    out |= cues
    out.add(f"T:{topic_at(t, a)}")
    if "(" in t[max(0, a - 3): a]:
        out.add("paren")
    out.add(f"pos:{min(s_index, 5)}")
    return out


KINDS = frozenset({"money", "percent", "shares", "date", "duration", "count"})
_DIGIT = re.compile(r"\d")
_SMALL_WORD = re.compile(r"\b(?:an?|one|two|three|four|five|six|seven|eight|nine|ten|twelve|"
                         r"single)\b", IC)


def find_mentions(ctx: Context, kinds: frozenset[str] | set[str] = KINDS) -> list[Mention]:
    """Every mention of the ``kinds`` asked for in the narrative, sentence by sentence."""
    out: list[Mention] = []
    thousands = bool(_THOUSANDS.search(ctx.flat[:200_000]))
    for i, sent in enumerate(ctx.sents):
        t = ctx.s_text(sent)
        if not _DIGIT.search(t) and not _SMALL_WORD.search(t):
            continue
        cues = sentence_cues(t)

        def add(kind: str, value: object, a: int, b: int, extra: tuple[str, ...] = (),
                t: str = t, i: int = i, s0: int = sent.start,
                cues: frozenset[str] = cues) -> None:
            feats = _features(t, cues, i, a, b)
            feats.update(extra)
            out.append(Mention(kind, value, s0 + a, s0 + b, i, frozenset(feats)))

        for m in MONEY_RE.finditer(t) if "money" in kinds else ():
            v = parse_money(m.group(0))
            if v is None or v <= 0:
                continue
            per_share = ("per_share",) if _PER_SHARE.match(t, m.end()) else ()
            scaled = re.search(r"million|billion|thousand", m.group(0), IC) is not None
            add("money", v, m.start(), m.end(), per_share + (("scaled",) if scaled else ()))
            if thousands and not scaled and v == v.to_integral_value() and v < 100_000:
                add("money", v * 1000, m.start(), m.end(), per_share + ("x1000",))
        for m in PERCENT_RE.finditer(t) if "percent" in kinds else ():
            v = parse_percent(m.group(0))
            if v is not None and 0 <= v <= 1000:
                add("percent", v, m.start(), m.end())
        for m in _SHARES.finditer(t) if "shares" in kinds else ():
            n = parse_number(m.group(1))
            if re.fullmatch(r"(?:19|20)\d\d", m.group(1)):
                continue  # a bare year ("the 2011 warrants") is no share count
            if n is not None and n == int(n) and n >= 1:
                word = "warrants" if "warrant" in m.group(0).lower() else "shares"
                add("shares", int(n), m.start(1), m.end(1), (f"unit:{word}",))
        for m in DATE_RE.finditer(t) if "date" in kinds else ():
            d = parse_date(m.group(0))
            if d is not None:
                add("date", d, m.start(), m.end())
        for m in DURATION_RE.finditer(t) if "duration" in kinds else ():
            dur = parse_duration(m.group(0))
            if dur is not None and dur[0] > 0:
                add("duration", dur, m.start(), m.end(), (f"unit:{dur[1]}",))
        for m in _COUNT.finditer(t) if "count" in kinds else ():
            word = m.group(1).lower()
            n = Decimal(1) if word in ("a", "an", "single") else parse_number(m.group(1))
            if n is not None and n == int(n) and 1 <= n <= 100:
                add("count", int(n), m.start(1), m.end(1),
                    ("article",) if word in ("a", "an", "single") else ())
    return out
