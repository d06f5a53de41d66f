"""Deal terms from a filing's narrative, each with provenance, ``None`` when the text is silent.

Rules are patterns over sentences (no model, no network). A term is only reported when a sentence
states it; derived values are limited to unit conversions (years → months, "25% discount" →
75%). Every found term carries its character span in ``Filing.text`` and the sentence it came from.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from pipedeal.errors import UserError
from pipedeal.filings.numbers import (
    DATE_RE,
    DIGITS,
    DURATION_RE,
    MONEY_RE,
    NUMBER,
    PERCENT_RE,
    format_price,
    months_of,
    parse_date,
    parse_duration,
    parse_money,
    parse_number,
    parse_percent,
    plain,
)
from pipedeal.filings.structure import EXHIBIT_ITEMS, MAX_BYTES, Filing, parse_filing

EXTRACT_SCHEMA_VERSION = 1

TERM_KEYS = (
    "issuer_name", "event_date", "num_purchasers", "purchaser_names", "instrument_type",
    "secured", "principal_amount_usd", "purchase_price_usd", "net_proceeds_usd", "oid_pct",
    "interest_rate_pct", "default_interest_rate_pct", "interest_payment_frequency",
    "maturity_date", "maturity_term_months", "conversion_price_usd", "conversion_price_formula",
    "conversion_floor_price_usd", "prepayment_terms", "warrant_shares", "warrant_coverage_pct",
    "warrant_exercise_price_usd", "warrant_term_years", "warrant_expiration_date",
    "registration_rights", "registration_filing_deadline_days",
    "registration_effectiveness_deadline_days", "beneficial_ownership_cap_pct", "exemption",
)

M = MONEY_RE.pattern
P = PERCENT_RE.pattern
D = DATE_RE.pattern
DUR = DURATION_RE.pattern
MONEY_LIST = rf"(?:{M})(?:\s*,\s*(?:and\s+)?(?:{M}))*(?:\s*,?\s*(?:and|or)\s+(?:{M}))?"
IC = re.IGNORECASE


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int
    text: str  # whitespace collapsed

    def __str__(self) -> str:
        return self.text


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


NOT_FOUND = {"value": None, "span": None, "sentence": None}

_RX: dict[str, re.Pattern[str]] = {}


def rx(pattern: str) -> re.Pattern[str]:
    """``pattern`` compiled case-insensitively, once."""
    compiled = _RX.get(pattern)
    if compiled is None:
        compiled = _RX[pattern] = re.compile(pattern, IC)
    return compiled


# --- sentences ----------------------------------------------------------------------------------

_ABBREV = {
    "inc", "corp", "co", "ltd", "no", "nos", "jr", "sr", "mr", "ms", "mrs", "dr", "st", "u.s",
    "l.p", "l.l.c", "n.a", "s.a", "e.g", "i.e", "etc", "sec", "approx", "vs", "reg", "ave",
    "sept", "oct", "nov", "dec", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "p.m", "a.m",
}
_BOUNDARY = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"(\[]?[A-Z0-9$])|\n\s*\n")


def sentences(text: str, regions: list[tuple[int, int]]) -> list[Sentence]:
    """Sentences of ``text`` inside ``regions`` (spans), with their offsets."""
    out: list[Sentence] = []
    for rs, re_ in regions:
        chunk = text[rs:re_]
        start = 0
        for m in _BOUNDARY.finditer(chunk):
            if "\n\n" not in m.group(0):
                before = chunk[start: m.start()]
                word = re.search(r"(\w+\s+)?([A-Za-z][A-Za-z.]*)\.$", before)
                if word and word.group(2).lower().rstrip(".") in _ABBREV:
                    continue
                # "J. Smith" is an initial; "Regulation D. The ..." ends a sentence
                if word and len(word.group(2)) == 1 and not re.match(
                        r"(?:Regulation|Schedule|Form|Exhibit|Annex|Series|Class|Rule)\s",
                        word.group(1) or ""):
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


MAX_NARRATIVE_CHARS = 400_000  # terms are read from at most this much narrative (~100 pages)


def narrative_regions(filing: Filing) -> list[tuple[int, int]]:
    """Where the deal is told: the items other than exhibits, else the whole text; clipped to
    the first ``MAX_NARRATIVE_CHARS`` characters (see ``narrative_truncated``)."""
    regions = [it.span for it in filing.items if it.number not in EXHIBIT_ITEMS]
    if not regions:
        regions = [(0, len(filing.text))]
    out, left = [], MAX_NARRATIVE_CHARS
    for start, end in regions:
        if left <= 0:
            break
        out.append((start, min(end, start + left)))
        left -= end - start
    return out


def narrative_truncated(filing: Filing, n_sentences: int = 0) -> bool:
    """Whether the terms were read from part of the narrative only (size caps)."""
    regions = [it.span for it in filing.items if it.number not in EXHIBIT_ITEMS]
    if not regions:
        regions = [(0, len(filing.text))]
    return (sum(e - s for s, e in regions) > MAX_NARRATIVE_CHARS
            or n_sentences > MAX_SENTENCES)


# --- matching helpers ---------------------------------------------------------------------------


class _Ctx:
    def __init__(self, filing: Filing, sents: list[Sentence]) -> None:
        self.filing = filing
        self.text = filing.text
        self.flat = filing.text.replace("\n", " ")  # same offsets, patterns cross line breaks
        self.sents = sents

    def s_text(self, s: Sentence) -> str:
        return self.flat[s.start: s.end]

    def where(self, pred: str | None = None, exclude: str | None = None):
        for sent in self.sents:
            t = self.s_text(sent)
            if pred and not rx(pred).search(t):
                continue
            if exclude and rx(exclude).search(t):
                continue
            yield sent, t


def _found(sent: Sentence, m: re.Match, group: int | str, value: Any) -> Found:
    return Found(value, (sent.start + m.start(group), sent.start + m.end(group)), sent.text)


def topic_at(text: str, pos: int) -> str | None:
    """'note' or 'warrant': which instrument the nearest preceding keyword talks about."""
    best: tuple[int, str] | None = None
    for m in re.finditer(r"warrant|exercise price|exercisable", text[:pos], IC):
        best = (m.start(), "warrant")
    for m in re.finditer(r"conver|notes?\b|debentures?\b", text[:pos], IC):
        if best is None or m.start() > best[0]:
            best = (m.start(), "note")
    return best[1] if best else None


def _money_list(text: str) -> list[Decimal]:
    return [v for v in (parse_money(m.group(0)) for m in MONEY_RE.finditer(text)) if v is not None]


def _value(values: list[Decimal]) -> Any:
    if len(values) == 1:
        return plain(values[0])
    return [plain(v) for v in values]


# --- the term rules -----------------------------------------------------------------------------

Rule = Callable[[_Ctx], Found | None]
RULES: dict[str, Rule] = {}


def rule(key: str) -> Callable[[Rule], Rule]:
    def deco(fn: Rule) -> Rule:
        RULES[key] = fn
        return fn
    return deco


def _first(ctx: _Ctx, patterns: list[str], convert: Callable[[str], Any], *,
           pred: str | None = None, exclude: str | None = None, topic: str | None = None,
           group: int = 1, window_exclude: str | None = None, window: int = 25,
           far_exclude: str | None = None, strict_topic: bool = False) -> Found | None:
    """The first match of ``patterns`` (in order, sentence by sentence) that converts.

    ``topic``: the instrument the match must be about (the nearest keyword before its end; with
    ``strict_topic`` a match with no such keyword is refused too);
    ``window_exclude``: words that must not occur in the ``window`` characters before the match;
    ``far_exclude``: words that must not occur in the 60 characters before the matched value.
    """
    for sent, t in ctx.where(pred, exclude):
        for pat in patterns:
            for m in rx(pat).finditer(t):
                if topic and topic_at(t, m.end()) not in ((topic,) if strict_topic
                                                          else (topic, None)):
                    continue
                if window_exclude and re.search(window_exclude, t[max(0, m.start() - window):
                                                                  m.start(group)], IC):
                    continue
                if far_exclude and re.search(far_exclude, t[max(0, m.start(group) - 60):
                                                            m.start(group)], IC):
                    continue
                value = convert(m.group(group))
                if value is None:
                    continue
                return _found(sent, m, group, value)
    return None


@rule("issuer_name")
def _issuer(ctx: _Ctx) -> Found | None:
    name = ctx.filing.registrant.get("name")
    if name:
        pos = ctx.text.find(name)
        line = ctx.text[pos: ctx.text.find("\n", pos)] if pos >= 0 else name
        return Found(name, (pos, pos + len(name)) if pos >= 0 else None, " ".join(line.split()))
    pat = (r"((?:(?:[A-Z][\w&'\-]*\.?|&)\s+){0,5}?[A-Z][\w&'\-]*,?\s+(?:Inc\.|Incorporated|Corp\.|"
           r"Corporation|Company|Co\.|Ltd\.|Limited|Holdings,?\s+Inc\.|plc|N\.V\.))"
           r"(?=\s*\((?:the\s+)?\"(?:Company|Registrant|Issuer)\"|\s*\((?:NASDAQ|NYSE|OTC|AMEX|"
           r"Nasdaq|OTCQB|OTCBB|OTCQX|NYSE American)|,?\s+(?:today\s+)?announced)")
    for sent, t in ctx.where():
        m = re.search(pat, t)
        if m:
            name = re.sub(r"^(?:The|On|With|And|Today)\s+", "", m.group(1)).strip()
            return Found(name, (sent.start + m.end(1) - len(name), sent.start + m.end(1)),
                         sent.text)
    return None


_DEAL_VERB = (r"(?:entered\s+into|executed|closed|consummated|completed|issued|sold|"
              r"agreed\s+to\s+sell|closing\s+of)")
_INSTRUMENT = r"(?:notes?|debentures?|agreements?|financing|offering|private\s+placement)"


@rule("event_date")
def _event_date(ctx: _Ctx) -> Found | None:
    d = ctx.filing.earliest_event_date
    if d is not None:
        m = re.search(r"Date\s+of\s+Report", ctx.text, IC)
        if m:
            for dm in DATE_RE.finditer(ctx.flat, m.end(), m.end() + 300):
                if parse_date(dm.group(0)) == d:
                    line = ctx.flat[m.start(): dm.end() + 1]
                    return Found(d.isoformat(), (dm.start(), dm.end()), " ".join(line.split()))
    for sent, t in ctx.where(_DEAL_VERB):
        if not re.search(_INSTRUMENT, t, IC):
            continue
        dm = DATE_RE.search(t)
        if dm and parse_date(dm.group(0)):
            return _found(sent, dm, 0, parse_date(dm.group(0)).isoformat())
    return None


_PARTY = (r"(?:investors?|purchasers?|buyers?|holders|lenders|subscribers|institutions|"
          r"shareholders|stockholders)")
_QUAL = (r"(?:accredited|institutional|private|existing|qualified|unaffiliated|individual|"
         r"non-affiliated|non-U\.S\.|offshore|new|separate)")


def _count(text: str) -> int | None:
    n = parse_number(text)
    if n is None or n != int(n) or not 1 <= n <= 10000:
        return None
    return int(n)


@rule("num_purchasers")
def _num_purchasers(ctx: _Ctx) -> Found | None:
    pats = [
        rf"(?<![$\d.,])\b({NUMBER}(?:\s*\(\d+\))?)\s+\"?(?:{_QUAL}[\s,\"]+)*(?:and\s+{_QUAL}\s+)?\"?{_PARTY}\b",
        rf"\b(?:each\s+of\s+the|all)\s+({NUMBER}(?:\s*\(\d+\))?)\s+{_PARTY}\b",
    ]
    found = _first(ctx, pats, _count)
    if found:
        return found
    named = (r"\(\s*(?:the\s+|each,?\s+an?\s+)?\"(Investor|Purchaser|Buyer|Holder|Lender|"
             r"Subscriber)\"\s*\)")
    for sent, t in ctx.where(named):
        m = re.search(named, t)
        if m and not re.search(r"\b(?:Investors|Purchasers|Buyers|Holders|Lenders)\b", t):
            return _found(sent, m, 1, 1)
    single = (rf"\b(a\s+single|one)\s+(?:{_QUAL}\s+)?(?:investor|purchaser|buyer|lender)\b"
              r"|\b(?:with|to)\s+(an?)\s+(?:single\s+)?(?:accredited\s+|institutional\s+)+"
              r"(?:investor|purchaser|lender)\b(?!s)"
              r"|\b(an?)\s+(?:accredited\s+|institutional\s+)*(?:investor|purchaser|buyer|lender)"
              r"\s*\((?:the\s+)?\"(?:Investor|Purchaser|Buyer|Holder|Lender)\"\)")
    for sent, t in ctx.where():
        m = re.search(single, t, IC)
        if m:
            g = next(i for i in (1, 2, 3) if m.group(i))
            return _found(sent, m, g, 1)
    return None


_ENTITY = re.compile(
    r"((?:[A-Z][\w&'.\-]*\s+){0,5}[A-Z][\w&'.\-]*,?\s+(?:L\.L\.C\.|LLC|L\.P\.|LP|Ltd\.|Limited|"
    r"(?:Master\s+)?Fund(?:,?\s+(?:L\.P\.|Ltd\.|LP))?|Partners(?:,?\s+(?:L\.P\.|LP))?|"
    r"Capital(?:,?\s+(?:LLC|L\.P\.|Ltd\.))?|Trust))(?![\w])")
_NAME_STOP = {"The", "On", "With", "And", "To", "Each", "Of", "In", "An", "A", "Under", "By",
              "From", "Company", "Purchaser", "Purchasers", "Investor", "Investors", "Our", "We",
              "Pursuant", "Such", "That", "This"}


@rule("purchaser_names")
def _purchaser_names(ctx: _Ctx) -> Found | None:
    issuer = (ctx.filing.registrant.get("name") or "").lower()
    if not issuer:
        found = RULES["issuer_name"](ctx)
        issuer = str(found.value).lower() if found else ""
    names: list[str] = []
    first: tuple[Sentence, int, int] | None = None
    for sent, t in ctx.where(r"purchaser|investor|holder|lender|buyer|sold\s+to|issued\s+to"):
        for m in _ENTITY.finditer(t):
            words = m.group(1).split()
            while words and words[0].strip(",") in _NAME_STOP:
                words = words[1:]
            if len(words) < 2:
                continue
            name = " ".join(words)
            if name.lower() in issuer or issuer and issuer in name.lower():
                continue
            if re.search(r"Securities\s+Act|Regulation|Exchange", name):
                continue
            if name not in names:
                names.append(name)
                if first is None:
                    first = (sent, sent.start + m.end(1) - len(name), sent.start + m.end(1))
    if not names or first is None:
        return None
    return Found(names, (first[1], first[2]), first[0].text)


_INSTR_RE = re.compile(
    r"\b((?:(?:senior|junior|subordinated|secured|unsecured|original\s+issue\s+discount|OID|"
    r"variable\s+rate|fixed\s+rate|zero\s+coupon|\d+(?:\.\d+)?%)[\s-]+)*convertible\s+"
    r"(?:senior\s+|subordinated\s+)?(?:secured\s+)?(?:promissory\s+|term\s+)?"
    r"(?:notes?|debentures?|bonds?|loans?))\b", IC)


@rule("instrument_type")
def _instrument(ctx: _Ctx) -> Found | None:
    for sent, t in ctx.where():
        m = _INSTR_RE.search(t)
        if m:
            words = re.sub(r"\d+(?:\.\d+)?%[\s-]*", "", m.group(1)).lower().split()
            if words[-1].endswith("s"):
                words[-1] = words[-1][:-1]
            return _found(sent, m, 1, " ".join(words))
    return None


@rule("secured")
def _secured(ctx: _Ctx) -> Found | None:
    pats = [
        (r"\b(unsecured)\b", False),
        (r"\b(secured\s+by|security\s+interest|senior\s+secured|secured\s+convertible)\b", True),
    ]
    for sent, t in ctx.where(r"note|debenture|obligation|loan"):
        for pat, value in pats:
            m = re.search(pat, t, IC)
            if m and topic_at(t, m.start(1)) != "warrant":
                return _found(sent, m, 1, value)
    return None


def _money(text: str) -> Any:
    v = parse_money(text)
    return plain(v) if v is not None and v > 0 else None


@rule("principal_amount_usd")
def _principal(ctx: _Ctx) -> Found | None:
    pats = [
        rf"aggregate\s+(?:original\s+)?principal\s+amount\s+(?:of\s+)?(?:up\s+to\s+)?(?:approximately\s+)?({M})",
        rf"({M})\s+(?:in\s+)?aggregate\s+(?:original\s+)?principal\s+amount",
        rf"principal\s+amount\s+(?:of\s+)?(?:up\s+to\s+)?(?:approximately\s+)?({M})",
        rf"({M})\s+(?:in\s+)?(?:original\s+)?principal\s+amount",
        rf"face\s+(?:value|amount)\s+of\s+({M})",
        rf"(?:notes?|debentures?)\s+(?:totaling|totalling|aggregating|in\s+the\s+amount\s+of|for)\s+"
        rf"({M})",
        rf"({M})\s+(?:private\s+placement|offering)\s+of\s+(?:its\s+|our\s+)?"
        r"(?:\d+(?:\.\d+)?%\s+)?(?:(?:senior|secured|unsecured|subordinated)\s+)*convertible\s+"
        r"(?:promissory\s+)?(?:notes|debentures)",
        rf"({M})\s+(?:\d+(?:\.\d+)?%\s+)?(?:(?:senior|secured|unsecured|subordinated)\s+)*"
        r"convertible\s+(?:promissory\s+)?(?:notes?|debentures?)",
        rf"(?:sold|issued|sale\s+of|issue)\s+(?:an\s+aggregate\s+of\s+)?({M})\s+(?:of\s+)?(?:its\s+|our\s+)?"
        r"(?:[\w%.\-]+\s+){0,5}?(?:convertible|promissory)\s+(?:promissory\s+)?(?:notes?|debentures?)",
    ]
    return _first(ctx, pats, _money, window_exclude=r"exercise|tranche|each\s+purchaser",
                  pred=r"principal|face\s+(?:value|amount)|convertible|notes?\b|debentures?\b")


@rule("purchase_price_usd")
def _purchase_price(ctx: _Ctx) -> Found | None:
    pats = [
        rf"(?:aggregate\s+)?(?:cash\s+)?purchase\s+price\s+(?:of\s+|equal\s+to\s+)?(?:approximately\s+)?({M})",
        rf"(?:aggregate\s+)?subscription\s+amount\s+of\s+({M})",
        rf"(?:aggregate\s+)?gross\s+proceeds\s+(?:to\s+(?:us|the\s+Company)\s+)?(?:of\s+)?(?:approximately\s+)?({M})",
        rf"({M})\s+in\s+(?:aggregate\s+)?gross\s+proceeds(?!\s+(?:to\s+(?:us|the\s+Company)\s+)?upon)",
    ]
    return _first(ctx, pats, _money, exclude=None,
                  window_exclude=r"exercise|warrant|per\s+share|additional")


@rule("net_proceeds_usd")
def _net(ctx: _Ctx) -> Found | None:
    pats = [
        rf"net\s+proceeds\s+(?:to\s+(?:us|the\s+Company)\s+)?(?:from\s+[^.$]{{0,60}}?)?(?:of|were|was|totaled|totalled|are)\s+(?:approximately\s+)?({M})",
        rf"({M})\s+(?:in|of)\s+net\s+proceeds",
    ]
    return _first(ctx, pats, _money, pred=r"net\s+proceeds")


@rule("oid_pct")
def _oid(ctx: _Ctx) -> Found | None:
    pats = [
        rf"original\s+issue\s+discount\s+(?:\(\"?OID\"?\)\s+)?(?:of\s+|equal\s+to\s+)(?:approximately\s+)?({P})",
        rf"({P})\s+original\s+issue\s+discount",
        rf"({P})\s+OID\b",
    ]
    return _first(ctx, pats, lambda s: plain(parse_percent(s)),
                  pred=r"original\s+issue\s+discount|\bOID\b")


def _pct(text: str) -> Any:
    v = parse_percent(text)
    return plain(v) if v is not None and 0 <= v <= 1000 else None


@rule("interest_rate_pct")
def _rate(ctx: _Ctx) -> Found | None:
    pats = [
        rf"interest\s+(?:at\s+(?:a|the)\s+(?:fixed\s+|annual\s+)?rate\s+(?:of\s+|equal\s+to\s+)?|at\s+|rate\s+of\s+)({P})",
        rf"interest\s+rate\s+(?:of|is|equal\s+to)\s+({P})",
        rf"({P})\s+(?:per\s+annum|per\s+year|a\s+year|annual\s+interest|annually)",
        rf"({P})\s+(?:(?:senior|secured|unsecured|subordinated|original\s+issue\s+discount)\s+)*convertible",
    ]
    return _first(ctx, pats, _pct, pred=r"interest|convertible|per\s+annum",
                  window_exclude=r"discount|beneficial|own|penalt|liquidated|prime|libor|sofr|"
                                 r"plus",
                  far_exclude=r"default")


@rule("default_interest_rate_pct")
def _default_rate(ctx: _Ctx) -> Found | None:
    """The rate nearest to the word "default" in a sentence about default interest."""
    pats = [
        rf"default\s+(?:interest\s+)?rate\s+(?:of\s+|equal\s+to\s+|is\s+)?({P})",
        rf"(?:increase|increases|increased)\s+to\s+(?:the\s+lesser\s+of\s+)?({P})",
        rf"({P})\s+(?:per\s+annum|per\s+year)",
    ]
    for sent, t in ctx.where(r"\bdefault\b"):
        if not re.search(r"interest|rate", t, IC):
            continue
        spots = [d.start() for d in re.finditer(r"\bdefault\b", t, IC)]
        best: tuple[int, re.Match] | None = None
        for pat in pats:
            for m in re.finditer(pat, t, IC):
                if _pct(m.group(1)) is None:
                    continue
                dist = min(abs(m.start(1) - d) for d in spots)
                if best is None or dist < best[0]:
                    best = (dist, m)
        if best is not None:
            return _found(sent, best[1], 1, _pct(best[1].group(1)))
    return None


_FREQ = [
    (r"\b(monthly|each\s+(?:calendar\s+)?month|every\s+month)\b", "monthly"),
    (r"\b(quarterly|each\s+(?:calendar\s+)?quarter|every\s+three\s+months)\b", "quarterly"),
    (r"\b(semi-?annually|semi-?annual|every\s+six\s+months|twice\s+(?:a|each)\s+year)\b",
     "semi-annually"),
    (r"\b(?:payable|paid)\s+(annually|each\s+year|once\s+a\s+year)\b", "annually"),
    (r"\b((?:payable|paid|due)\s+(?:in\s+full\s+)?(?:upon|at|on)\s+(?:the\s+)?maturity"
     r"(?:\s+date)?)\b", "at maturity"),
]


@rule("interest_payment_frequency")
def _freq(ctx: _Ctx) -> Found | None:
    for sent, t in ctx.where(r"interest", r"\bdefault\b"):
        if not re.search(r"payable|paid|\bpay\b|payment|accrue", t, IC):
            continue
        for pat, value in _FREQ:
            m = re.search(pat, t, IC)
            if m:
                return _found(sent, m, 1, value)
    return None


@rule("maturity_date")
def _maturity_date(ctx: _Ctx) -> Found | None:
    pats = [
        rf"matur(?:e|es|ing)\s+(?:on\s+)?({D})",
        rf"maturity\s+date\s+(?:of|is|will\s+be|on|to)\s+({D})",
        rf"due\s+(?:and\s+payable\s+)?(?:on\s+)?({D})",
        rf"matur(?:e|es|ity)\b(?:[^.]|\.(?=\d)){{0,40}}?\bon\s+({D})",
    ]
    return _first(ctx, pats, lambda s: (parse_date(s).isoformat() if parse_date(s) else None),
                  topic="note")


def _months(text: str) -> int | None:
    d = parse_duration(text)
    return months_of(*d) if d else None


@rule("maturity_term_months")
def _maturity_term(ctx: _Ctx) -> Found | None:
    pats = [
        rf"matur\w*(?:\s+date)?\s+(?:of\s+|is\s+|will\s+be\s+|on\s+the\s+date\s+)?({DUR})\s+"
        r"(?:from|after|following)",
        rf"({DUR})\s+(?:from|after|following)\s+(?:the\s+)?(?:date\s+of\s+(?:issuance|issue)|"
        r"issuance|issue\s+date|original\s+issue\s+date|closing(?:\s+date)?)",
        rf"(?:term|maturity)\s+of\s+({DUR})",
        rf"(?:matur\w*|due)\s+in\s+({DUR})",
        rf"\b({NUMBER}[\s-]+(?:months?|years?))[\s-]+term\b",
        rf"\b({NUMBER}[\s-]+(?:months?|years?))[\s-]+(?:\d+(?:\.\d+)?%\s+)?(?:(?:senior|secured|"
        r"convertible|promissory|unsecured|subordinated)\s+)*(?:notes?|debentures?)",
    ]
    return _first(ctx, pats, _months, pred=r"matur|\bdue\b|\bterm\b|notes?\b|debentures?\b",
                  topic="note", strict_topic=True)


@rule("conversion_price_usd")
def _conversion_price(ctx: _Ctx) -> Found | None:
    pats = [
        rf"conversion\s+price\s+(?:per\s+share\s+)?(?:of|equal\s+to|is|will\s+be|was|to)?\s*(?:initially\s+)?({MONEY_LIST})",
        rf"conver\w*(?:[^.]|\.(?=\d)){{0,160}}?\bat\s+(?:a|an)\s+(?:initial\s+|fixed\s+)?(?:conversion\s+)?price\s+(?:per\s+share\s+)?(?:of|equal\s+to)\s+({M})",
        rf"conver\w*(?:[^.]|\.(?=\d)){{0,160}}?\bat\s+({M})\s+per\s+share",
    ]
    for sent, t in ctx.where(r"conver"):
        for pat in pats:
            for m in re.finditer(pat, t, IC):
                if topic_at(t, m.start(1)) == "warrant":
                    continue
                before = t[max(0, m.start(1) - 40): m.start(1)]
                if re.search(r"lesser|lower|floor|less\s+than|below|greater", before, IC):
                    continue
                values = _money_list(m.group(1))
                if values and all(0 < v < 100000 for v in values):
                    return _found(sent, m, 1, _value(values))
    return None


_STAT_SPAN = r"(?:[^.;]{0,160}?)"


def _statistic(words: str) -> str | None:
    w = re.sub(r"volume[\s-]weighted\s+average\s+(?:sale\s+|trading\s+)?price", "vwap",
               words.lower())
    vwap = "vwap" in w
    if re.search(r"average\s+of\s+the\s+\w+\s+lowest", w):
        return None  # "average of the three lowest closing bids": no normalised name
    if "lowest" in w:
        if vwap:
            return "lowest daily VWAP"
        if "clos" in w:
            return "lowest close"
        if "trading price" in w or "sale price" in w or "price" in w:
            return "lowest trading price"
        return None
    if "average" in w:
        if vwap:
            return "average daily VWAP"
        if "bid" in w:
            return "average closing bid"
        if "clos" in w or "last sale" in w:
            return "average close"
        return None
    if vwap:
        return "VWAP"
    return None


_FORMULA = re.compile(
    rf"(?:({P})\s+of|(?:a\s+)?({P})\s+discount\s+to)\s+(?:the\s+)?({_STAT_SPAN})"
    rf"(?:for|over|during|in)\s+(?:the\s+|any\s+|each\s+of\s+the\s+)?({NUMBER})(?:\s*\(\d+\))?"
    r"\s+(?:consecutive\s+)?trading\s+days?\b([^.;]{0,120})", IC)


def conversion_formula(text: str) -> tuple[re.Match, str] | None:
    """The first price formula in ``text``, normalised, with its match."""
    for m in _FORMULA.finditer(text):
        stat = _statistic(m.group(3))
        n = _count(m.group(4))
        if stat is None or n is None:
            continue
        if m.group(1):
            pct = parse_percent(m.group(1))
        else:
            disc = parse_percent(m.group(2))
            pct = None if disc is None else 100 - disc
        if pct is None:
            continue
        tail = m.group(5).lower()
        kinds = [(a.start(), "conversion" if a.group(0).startswith("conver") else "issuance")
                 for a in re.finditer(r"conver|issu|closing|funding|signing|execution", tail)]
        if not kinds:
            continue
        anchor = min(kinds)[1]
        pos = "ending on" if re.search(r"ending\s+on|including|through", tail) else "before"
        out = f"{plain(pct)}% of {stat} over {n} trading days {pos} {anchor}"
        head = text[max(0, m.start() - 80): m.start()]
        fixed = re.search(rf"(?:lesser|lower)\s+of\s+(?:\(i\)\s+|\(a\)\s+)?({M})", head, IC)
        if fixed:
            v = parse_money(fixed.group(1))
            if v is not None:
                out = f"lower of {format_price(v)} and {out}"
        return m, out
    return None


@rule("conversion_price_formula")
def _formula(ctx: _Ctx) -> Found | None:
    for sent, t in ctx.where(r"conver"):
        if not re.search(r"trading\s+day", t, IC):
            continue
        hit = conversion_formula(t)
        if hit and topic_at(t, hit[0].start()) != "warrant":
            m, value = hit
            return Found(value, (sent.start + m.start(), sent.start + m.end(5) - len(
                m.group(5)) + len(m.group(5).rstrip())), sent.text)
    return None


@rule("conversion_floor_price_usd")
def _floor(ctx: _Ctx) -> Found | None:
    pats = [
        rf"floor(?:\s+price)?\s+(?:of|equal\s+to|is)\s+({M})",
        rf"({M})\s+floor",
        rf"(?:in\s+no\s+event|provided\s+that|but\s+not|never)(?:[^.]|\.(?=\d)){{0,80}}?(?:less|lower)\s+than\s+({M})",
        rf"conversion\s+price(?:[^.]|\.(?=\d)){{0,40}}?(?:not|never)\s+(?:be\s+)?(?:less|lower)\s+than\s+({M})",
    ]
    return _first(ctx, pats, _money, pred=r"floor|less\s+than|lower\s+than", topic="note")


@rule("prepayment_terms")
def _prepayment(ctx: _Ctx) -> Found | None:
    key = r"prepay|redeem|redemption"
    hits = [(s, t) for s, t in ctx.where(key) if topic_at(t, re.search(key, t, IC).start())
            != "warrant"]
    if not hits:
        return None
    first, _ = hits[0]
    chosen = [first]
    idx = ctx.sents.index(first)
    if idx + 1 < len(ctx.sents):
        nxt = ctx.sents[idx + 1]
        if re.search(r"prepa|redeem|redemption", ctx.s_text(nxt), IC):
            chosen.append(nxt)
    return Found(" ".join(s.text for s in chosen), (chosen[0].start, chosen[-1].end),
                 " ".join(s.text for s in chosen))


@rule("warrant_shares")
def _warrant_shares(ctx: _Ctx) -> Found | None:
    pats = [
        rf"warrants?\s+(?:to\s+(?:purchase|acquire)|exercisable\s+(?:for|into))\s+(?:an\s+aggregate\s+of\s+|"
        rf"up\s+to\s+(?:an\s+aggregate\s+of\s+)?|a\s+total\s+of\s+|approximately\s+)?({NUMBER}(?:\s*\(\d[\d,]*\))?)\s+"
        r"(?:additional\s+)?shares",
        rf"({NUMBER})\s+shares\s+(?:of\s+(?:our\s+|the\s+Company's\s+|its\s+)?common\s+stock\s+)?"
        r"(?:issuable\s+upon\s+(?:the\s+)?exercise\s+of|underlying)\s+(?:the\s+|such\s+)?warrants",
        rf"({DIGITS})\s+(?:common\s+stock\s+)?(?:purchase\s+)?warrants\b",
    ]
    return _first(ctx, pats, _count_big, pred=r"warrant")


def _count_big(text: str) -> int | None:
    n = parse_number(text)
    if n is None or n != int(n) or n < 1:
        return None
    return int(n)


@rule("warrant_coverage_pct")
def _coverage(ctx: _Ctx) -> Found | None:
    pats = [
        rf"({P})\s+(?:warrant\s+)?coverage",
        rf"(?:equal\s+to|representing|of)\s+({P})\s+of\s+(?:the\s+)?(?:aggregate\s+|original\s+)?"
        r"(?:principal|amount|face|number\s+of\s+(?:conversion\s+)?shares|conversion\s+shares|"
        r"shares\s+(?:of\s+common\s+stock\s+)?(?:issuable|underlying))",
    ]
    return _first(ctx, pats, _pct, pred=r"warrant", topic="warrant")


@rule("warrant_exercise_price_usd")
def _exercise(ctx: _Ctx) -> Found | None:
    pats = [
        rf"exercise\s+price\s+(?:per\s+share\s+)?(?:of|equal\s+to|is|will\s+be)?\s*(?:initially\s+)?({MONEY_LIST})",
        rf"exercisable\s+(?:at|for)[^.$]{{0,60}}?(?:price\s+of\s+)?({M})\s+per\s+share",
        rf"warrants?(?:[^.]|\.(?=\d)){{0,100}}?\bat\s+(?:a\s+price\s+of\s+)?({M})\s+per\s+share",
    ]
    for sent, t in ctx.where(r"warrant|exercise"):
        for pat in pats:
            for m in re.finditer(pat, t, IC):
                if topic_at(t, m.start(1)) == "note":
                    continue
                before = t[max(0, m.start(1) - 40): m.start(1)]
                if re.search(r"lesser|lower|floor|less\s+than|below", before, IC):
                    continue
                values = _money_list(m.group(1))
                if values and all(0 < v < 100000 for v in values):
                    return _found(sent, m, 1, _value(values))
    return None


def _years(text: str) -> Any:
    d = parse_duration(text)
    if not d:
        return None
    n, unit = d
    if unit == "years":
        return plain(n)
    if unit == "months" and n % 12 == 0:
        return plain(n / 12)
    return None


@rule("warrant_term_years")
def _warrant_term(ctx: _Ctx) -> Found | None:
    pats = [
        rf"(?:expire|expiring|terminate|exercisable)\s+(?:on\s+the\s+date\s+)?(?:for\s+(?:a\s+(?:period|term)\s+of\s+)?)?({DUR})"
        r"\s+(?:from|after|following)",
        rf"(?:term|life)\s+of\s+({DUR})",
        rf"\b({NUMBER}[\s-]+years?)[\s-]+(?:common\s+stock\s+purchase\s+)?warrants?",
        rf"exercisable\s+for\s+(?:a\s+period\s+of\s+)?({DUR})",
        rf"for\s+a\s+(?:period|term)\s+of\s+({DUR})",
    ]
    return _first(ctx, pats, _years, pred=r"warrant", topic="warrant")


@rule("warrant_expiration_date")
def _warrant_expiry(ctx: _Ctx) -> Found | None:
    pats = [
        rf"expir\w*\s+(?:on|date\s+of|date\s+is)\s+({D})",
        rf"exercisable\s+(?:until|through)\s+({D})",
        rf"warrants?\b(?:[^.]|\.(?=\d)){{0,160}}?\b(?:through|until)\s+({D})",
    ]
    return _first(ctx, pats, lambda s: parse_date(s).isoformat() if parse_date(s) else None,
                  pred=r"warrant", topic="warrant")


@rule("registration_rights")
def _registration(ctx: _Ctx) -> Found | None:
    pats = [
        (r"\b(no\s+registration\s+rights|not\s+(?:been\s+)?granted\s+(?:any\s+)?registration\s+rights)",
         False),
        (r"\b(registration\s+rights(?:\s+agreement)?)\b", True),
        (r"\b((?:agreed|obligated|required|must|shall|will)\s+(?:to\s+)?(?:file|register)"
         r"(?:[^.]|\.(?=\d)){0,60}?registration\s+statement)", True),
    ]
    for sent, t in ctx.where(r"registration"):
        for pat, value in pats:
            m = re.search(pat, t, IC)
            if m:
                return _found(sent, m, 1, value)
    return None


_DAYS = (rf"(?:({NUMBER}(?:\s*\(\d+\))?)\s+(?:calendar\s+|business\s+|trading\s+)?days?|"
         r"(\d+)(?:st|nd|rd|th)\s+(?:calendar\s+|business\s+)?day)")


def _deadlines(ctx: _Ctx) -> dict[str, Found]:
    out: dict[str, Found] = {}
    pat = re.compile(rf"(?:within|no\s+later\s+than|not\s+later\s+than|by)\s+(?:the\s+)?{_DAYS}"
                     r"(?:\s+(?:after|following|from|of))?", IC)
    for sent, t in ctx.where(r"registration\s+statement|registration\s+rights|registrable|"
                             r"resale"):
        for m in pat.finditer(t):
            g = 1 if m.group(1) else 2
            n = _count(m.group(g))
            if n is None:
                continue
            before = t[: m.start()]
            fil = max((x.start() for x in re.finditer(r"\bfil(?:e|ed|ing)\b", before, IC)),
                      default=-1)
            eff = max((x.start() for x in re.finditer(r"effective", before, IC)), default=-1)
            if fil < 0 and eff < 0:
                continue
            key = "filing" if fil > eff else "effectiveness"
            out.setdefault(key, _found(sent, m, g, n))
    return out


@rule("registration_filing_deadline_days")
def _reg_filing(ctx: _Ctx) -> Found | None:
    return _deadlines(ctx).get("filing")


@rule("registration_effectiveness_deadline_days")
def _reg_eff(ctx: _Ctx) -> Found | None:
    return _deadlines(ctx).get("effectiveness")


@rule("beneficial_ownership_cap_pct")
def _cap(ctx: _Ctx) -> Found | None:
    return _first(ctx, [rf"({P})"], lambda s: _pct(s) if (_pct(s) or 100) < 50 else None,
                  pred=r"beneficial(?:ly)?\s+own|ownership\s+limitation|blocker")


_EXEMPTION = re.compile(
    r"Rule\s+506(?:\s*\([bc]\))?(?:\s+of\s+Regulation\s+D)?|Section\s+4\s*\(\s*a\s*\)\s*\(\s*2\s*\)|"
    r"Section\s+4\s*\(\s*2\s*\)|Section\s+3\s*\(\s*a\s*\)\s*\(\s*9\s*\)|"
    r"Section\s+4\s*\(\s*a\s*\)\s*\(\s*5\s*\)|Section\s+4\s*\(\s*6\s*\)|Regulation\s+S\b|"
    r"Regulation\s+D\b|Rule\s+144A|Rule\s+50[45]\b")


@rule("exemption")
def _exemption(ctx: _Ctx) -> Found | None:
    values: list[str] = []
    first: tuple[Sentence, re.Match] | None = None
    for sent, t in ctx.where(r"exempt|in\s+reliance|safe\s+harbor|pursuant\s+to"):
        taken: list[tuple[int, int]] = []
        for m in _EXEMPTION.finditer(t):
            if any(a <= m.start() < b for a, b in taken):
                continue
            if re.search(r"Rule\s+501\s*\(a\)\s+of\s+$|defined\s+in\s+$|promulgated\s+$",
                         t[max(0, m.start() - 20): m.start()], IC):
                continue
            taken.append(m.span())
            value = " ".join(m.group(0).split())
            if value not in values:
                values.append(value)
                if first is None:
                    first = (sent, m)
    if not values or first is None:
        return None
    return _found(first[0], first[1], 0, values)


# --- entry points -------------------------------------------------------------------------------


MAX_SENTENCES = 5000  # a real financing narrative has a few hundred


def extract_terms(filing: Filing, sents: list[Sentence] | None = None
                  ) -> dict[str, Found | None]:
    """Every term of ``TERM_KEYS``: a ``Found`` or ``None`` when the narrative does not say it."""
    if sents is None:
        sents = sentences(filing.text, narrative_regions(filing))
    ctx = _Ctx(filing, sents[:MAX_SENTENCES])
    return {key: RULES[key](ctx) for key in TERM_KEYS}


def extract_text(raw: str) -> dict[str, Any]:
    """``{schema_version, filing, registrant, terms}`` for a filing's text."""
    filing = parse_filing(raw)
    sents = sentences(filing.text, narrative_regions(filing))
    terms = extract_terms(filing, sents)
    return {
        "schema_version": EXTRACT_SCHEMA_VERSION,
        "filing": {**filing.to_json(),
                   "narrative_truncated": narrative_truncated(filing, len(sents))},
        "registrant": filing.registrant,
        "terms": {k: (f.to_json() if f else dict(NOT_FOUND)) for k, f in terms.items()},
    }


def read_filing_file(path: Path | str) -> str:
    """A filing's text; a missing, huge, binary or undecodable file is a ``UserError``."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise UserError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if not path.is_file():
        raise UserError(f"{path}: not a file")
    if size > MAX_BYTES:
        raise UserError(f"{path}: {size:,} bytes is more than the {MAX_BYTES:,}-byte limit")
    data = path.read_bytes()
    if b"\x00" in data[:8192]:
        raise UserError(f"{path}: looks binary (NUL bytes), not a filing's text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def extract_file(path: Path | str) -> dict[str, Any]:
    data = extract_text(read_filing_file(path))
    data["source"] = str(path)
    return data


def term_values(data: dict[str, Any]) -> dict[str, Any]:
    """Only the values of an ``extract`` result's terms."""
    return {k: v["value"] for k, v in data["terms"].items()}
