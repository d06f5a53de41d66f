"""Parse (and print) the numbers, money, percentages, dates and durations filings are written in.

Filings spell the same figure many ways: ``$2.5 million``, ``$2,500,000``, ``two million five
hundred thousand dollars ($2,500,000)``, ``seven and one half percent (7.5%)``, ``five (5) years``.
Each parser returns ``None`` when the text is not a value of its kind (never a guess); each printer
writes text its parser reads back (property-tested). A figure has at most ``MAX_FIGURE_DIGITS``
digits: a longer run of digits (or a number in words that large) is not a figure, so the parsers
answer ``None`` for it instead of building a huge number, and ``mask_long_numbers`` hides such
runs from the term patterns.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90,
}
_SCALES = {"hundred": 100, "thousand": 1000, "million": 1_000_000, "billion": 1_000_000_000}
_FRACTIONS = {"half": Decimal("0.5"), "quarter": Decimal("0.25"), "third": None}
_ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10, "twelfth": 12, "fifteenth": 15, "twentieth": 20,
    "thirtieth": 30, "fortieth": 40, "forty-fifth": 45, "sixtieth": 60, "ninetieth": 90,
}

_NUMBER_WORDS = "|".join(sorted(list(_UNITS) + list(_SCALES), key=len, reverse=True))
# The longest number a filing writes in words ("one hundred twenty-three million four hundred
# fifty-six thousand seven hundred eighty-nine") has 15 words; a longer run is not a figure.
MAX_NUMBER_WORDS = 25
# \b and a first-letter look-ahead keep the alternation from being tried inside words; the bound
# keeps a long run of number words from costing time quadratic in its length
WORD_NUMBER = (
    rf"(?:\b(?=[zotfsenhmbZOTFSENHMB])(?:{_NUMBER_WORDS})"
    rf"(?:[\s-]+(?:and[\s-]+)?(?:{_NUMBER_WORDS})){{0,{MAX_NUMBER_WORDS - 1}}})"
)
DIGITS = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+"
NUMBER = rf"(?:{DIGITS}|{WORD_NUMBER})"

# The largest figures a financing states (a share count, a dollar amount) have 13 digits or
# fewer; prices have a few decimals. Anything with more than this many digits is not a figure.
MAX_FIGURE_DIGITS = 30
_NUMERIC_RUN = re.compile(r"\d[\d,.]*")
# unbounded on purpose: nothing follows the run, so each run is one greedy match (linear)
_WORD_RUN = re.compile(
    rf"\b(?=[zotfsenhmbZOTFSENHMB])(?:{_NUMBER_WORDS})(?:[\s-]+(?:and[\s-]+)?(?:{_NUMBER_WORDS}))*",
    re.IGNORECASE)


_DIGITS_TO_HASH = str.maketrans("0123456789", "#" * 10)


def mask_long_numbers(text: str) -> str:
    """``text`` with every run of digits (with commas and points) of more than
    ``MAX_FIGURE_DIGITS`` digits, and every run of more than ``MAX_NUMBER_WORDS`` number words,
    written over with ``#`` (same length, so offsets hold; separators are kept).

    Patterns then see no figure there, and none can spend time quadratic in such a run."""
    def hide_digits(m: re.Match[str]) -> str:
        run = m.group(0)  # digits, commas and points only
        if len(run) - run.count(",") - run.count(".") <= MAX_FIGURE_DIGITS:
            return run
        return run.translate(_DIGITS_TO_HASH)

    def hide_words(m: re.Match[str]) -> str:
        run = m.group(0)
        words = [w for w in re.split(r"[\s-]+", run.lower()) if w != "and"]
        if len(words) <= MAX_NUMBER_WORDS:
            return run
        return re.sub(r"[^\s-]", "#", run)

    return _WORD_RUN.sub(hide_words, _NUMERIC_RUN.sub(hide_digits, text))


def _too_big(value: Decimal) -> bool:
    """Whether ``value`` has more integer digits than a figure may have."""
    return value.is_finite() and value != 0 and value.adjusted() >= MAX_FIGURE_DIGITS

MONTHS = {
    m: i for i, m in enumerate(
        ["january", "february", "march", "april", "may", "june", "july", "august",
         "september", "october", "november", "december"], start=1)
}
_MONTH_ABBR = {m[:3]: i for m, i in MONTHS.items()} | {"sept": 9}
MONTH_RE = r"(?:January|February|March|April|May|June|July|August|September|October|November|December|Jan\.?|Feb\.?|Mar\.?|Apr\.?|Jun\.?|Jul\.?|Aug\.?|Sept?\.?|Oct\.?|Nov\.?|Dec\.?)"  # noqa: E501
DATE_RE = re.compile(
    rf"\b{MONTH_RE}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}\b"
    rf"|\b\d{{1,2}}(?:st|nd|rd|th)\s+day\s+of\s+{MONTH_RE},?\s+\d{{4}}\b"
    r"|\b\d{4}-\d{2}-\d{2}\b"
    r"|\b\d{1,2}/\d{1,2}/\d{4}\b",
    re.IGNORECASE,
)
MONEY_RE = re.compile(
    rf"\b(?:{WORD_NUMBER})\s+cents\s*\(\s*\$\s?(?:{DIGITS})\s*\)"
    rf"|\$\s?(?:US\s?)?(?:{DIGITS})(?:\s+(?:million|billion|thousand))?\b"
    rf"|\b(?:{DIGITS}|{WORD_NUMBER})\s+(?:million\s+|thousand\s+)?(?:U\.S\.\s+)?dollars"
    rf"(?:\s*\(\s*\$\s?(?:{DIGITS})(?:\s+(?:million|thousand))?\s*\))?",
    re.IGNORECASE,
)
PERCENT_RE = re.compile(
    rf"(?:\b(?:{WORD_NUMBER})(?:\s+and\s+(?:one[\s-])?(?:half|quarter))?\s+percent"
    rf"(?:\s*\(\s*(?:{DIGITS})\s*%\s*\))?)"
    rf"|(?:(?<![\w.])(?:{DIGITS})\s*(?:%|percent\b|per\s+cent\b))",
    re.IGNORECASE,
)


def parse_number(text: str) -> Decimal | None:
    """``12``, ``2,500,000``, ``2.5``, ``twelve``, ``two million five hundred thousand``,
    ``seven and one half``, ``five (5)`` (the digits in parentheses win); ``None`` for more than
    ``MAX_FIGURE_DIGITS`` digits."""
    if text is None:
        return None
    s = text.strip().lower().replace("\u2013", "-")
    paren = re.search(r"\(\s*\$?\s*(" + DIGITS + r")\s*%?\s*\)", s)
    if paren:
        return _digits(paren.group(1))
    s = s.strip(" $")
    if re.fullmatch(DIGITS, s):
        return _digits(s)
    m = re.fullmatch(rf"({DIGITS})\s+(million|billion|thousand)", s)
    if m:
        return _scaled(_digits(m.group(1)), m.group(2))
    return _words(s)


def _scaled(value: Decimal | None, scale: str | None) -> Decimal | None:
    """``value`` times ``scale`` ("million", ...); ``None`` when that is too big for a figure."""
    if value is None or not scale:
        return value
    value *= _SCALES[scale.lower()]
    return None if _too_big(value) else value


def _digits(s: str) -> Decimal | None:
    s = s.replace(",", "")
    if len(s) - s.count(".") > MAX_FIGURE_DIGITS:
        return None
    try:
        return Decimal(s)
    except InvalidOperation:
        return None


def _words(s: str) -> Decimal | None:
    tokens = [t for t in re.split(r"[\s-]+", s) if t]
    if not tokens:
        return None
    total = Decimal(0)
    current = Decimal(0)
    fraction = Decimal(0)
    seen = False
    i = 0
    while i < len(tokens):
        t = tokens[i]
        if t in _UNITS:
            current += _UNITS[t]
            seen = True
        elif t == "hundred":
            current = (current or Decimal(1)) * 100
            seen = True
            if _too_big(current):
                return None
        elif t in ("thousand", "million", "billion"):
            total += (current or 1) * _SCALES[t]
            current = Decimal(0)
            seen = True
            if _too_big(total):
                return None
        elif t == "and":
            # "seven and one half": a fraction follows
            rest = tokens[i + 1:]
            if rest[:2] in (["one", "half"], ["a", "half"]):
                fraction = Decimal("0.5")
                i += 3
                continue
            if rest[:2] in (["one", "quarter"], ["a", "quarter"]):
                fraction = Decimal("0.25")
                i += 3
                continue
            if rest[:2] == ["three", "quarters"]:
                fraction = Decimal("0.75")
                i += 3
                continue
        elif t in ("a",) and not seen:
            pass
        else:
            return None
        i += 1
    if not seen:
        return None
    return total + current + fraction


def parse_money(text: str) -> Decimal | None:
    """``$2.5 million`` → 2500000; ``$451,875``; ``$US339,250.00``; ``two million dollars
    ($2,000,000)``."""
    if not text:
        return None
    s = text.strip()
    paren = re.search(rf"\(\s*\$\s?({DIGITS})(?:\s+(million|thousand))?\s*\)", s, re.IGNORECASE)
    if paren:
        return _scaled(_digits(paren.group(1)), paren.group(2))
    m = re.fullmatch(rf"\$\s?(?:US\s?)?({DIGITS})(?:\s+(million|billion|thousand))?", s,
                     re.IGNORECASE)
    if m:
        return _scaled(_digits(m.group(1)), m.group(2))
    m = re.fullmatch(r"(.+?)\s+(?:U\.S\.\s+)?dollars", s, re.IGNORECASE)
    if m:
        return parse_number(m.group(1))
    return None


def parse_percent(text: str) -> Decimal | None:
    """``7.5%``, ``7.5 percent``, ``seven and one half percent (7.5%)`` → 7.5."""
    if not text:
        return None
    s = text.strip()
    paren = re.search(rf"\(\s*({DIGITS})\s*%\s*\)", s)
    if paren:
        return _digits(paren.group(1))
    m = re.fullmatch(r"(.+?)\s*(?:%|percent|per\s+cent)", s, re.IGNORECASE)
    if not m:
        return None
    return parse_number(m.group(1))


def parse_date(text: str) -> dt.date | None:
    """``June 15, 2004``, ``Jun. 15 2004``, ``2004-06-15``, ``6/15/2004``, ``the 28th day of
    October, 2019``; None if not a date."""
    if not text:
        return None
    s = text.strip()
    try:
        m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", s)
        if m:
            return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        m = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", s)
        if m:
            return dt.date(int(m.group(3)), int(m.group(1)), int(m.group(2)))
        m = re.fullmatch(r"(\d{1,2})(?:st|nd|rd|th)\s+day\s+of\s+([A-Za-z]+)\.?,?\s+(\d{4})", s,
                         re.IGNORECASE)
        if m:  # "the 28th day of October, 2019"
            s = f"{m.group(2)} {m.group(1)}, {m.group(3)}"
        m = re.fullmatch(r"([A-Za-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})", s,
                         re.IGNORECASE)
        if m:
            name = m.group(1).lower()
            month = MONTHS.get(name) or _MONTH_ABBR.get(name)
            if month is None:
                return None
            return dt.date(int(m.group(3)), month, int(m.group(2)))
    except ValueError:
        return None
    return None


DURATION_RE = re.compile(
    rf"\b((?:{NUMBER})(?:\s*\(\s*\d+\s*\))?)[\s-]+(?:calendar\s+|business\s+|trading\s+)?"
    r"(years?|months?|days?)\b",
    re.IGNORECASE,
)


def parse_duration(text: str) -> tuple[Decimal, str] | None:
    """``five (5) years`` → (5, 'years'); ``twelve months``; ``90 days``; ``5-year``."""
    if not text:
        return None
    m = DURATION_RE.fullmatch(text.strip())
    if not m:
        return None
    n = parse_number(m.group(1))
    if n is None:
        return None
    unit = m.group(2).lower()
    return n, unit if unit.endswith("s") else unit + "s"


def months_of(n: Decimal, unit: str) -> int | None:
    if unit == "months":
        return int(n) if n == int(n) else None
    if unit == "years":
        value = n * 12
        return int(value) if value == int(value) else None
    return None


# --- printers (inverse of the parsers) ----------------------------------------------------------


def format_money(value: Decimal) -> str:
    """``$2,500,000`` / ``$1.53``: whole dollars without cents, otherwise two or more places."""
    value = Decimal(str(value))
    if value == value.to_integral_value():
        return f"${int(value):,}"
    exp = value.normalize().as_tuple().exponent
    places = max(2, -exp) if isinstance(exp, int) else 2
    return f"${value:,.{places}f}"


def format_price(value: Decimal) -> str:
    """A per-share price: ``$2.00``, ``$0.05``, ``$0.0125`` (at least two places)."""
    value = Decimal(str(value))
    exp = value.normalize().as_tuple().exponent
    places = max(2, -exp) if isinstance(exp, int) else 2
    return f"${value:,.{places}f}"


def format_percent(value: Decimal) -> str:
    """``7.5%``, ``110%``."""
    q = Decimal(str(value)).normalize()
    return f"{q:f}%"


def format_date(value: dt.date) -> str:
    """``June 15, 2004``."""
    return f"{value:%B} {value.day}, {value.year}"


_WORDS_BELOW_20 = [
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
    "nineteen",
]
_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def number_words(n: int) -> str:
    """English words for 0 ≤ n < 10**12: ``312`` → ``three hundred twelve``."""
    if n < 0:
        raise ValueError("negative")
    if n < 20:
        return _WORDS_BELOW_20[n]
    if n < 100:
        tens, unit = divmod(n, 10)
        return _TENS[tens] + (f"-{_WORDS_BELOW_20[unit]}" if unit else "")
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        return f"{_WORDS_BELOW_20[hundreds]} hundred" + (f" {number_words(rest)}" if rest else "")
    for scale, word in ((10**9, "billion"), (10**6, "million"), (1000, "thousand")):
        if n >= scale:
            high, rest = divmod(n, scale)
            return f"{number_words(high)} {word}" + (f" {number_words(rest)}" if rest else "")
    raise AssertionError("unreachable")


def plain(value: Decimal | int | None) -> int | float | None:
    """A JSON number for a Decimal: int when whole, else float."""
    if value is None:
        return None
    value = Decimal(value)
    if value == value.to_integral_value():
        return int(value)
    return float(value)
