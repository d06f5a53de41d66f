"""The note itself and the money: what kind of note, whether secured, its principal, the price
paid for it, the net proceeds and the original issue discount.

Terms: ``instrument_type``, ``secured``, ``principal_amount_usd``, ``purchase_price_usd``,
``net_proceeds_usd``, ``oid_pct``.
"""

from __future__ import annotations

import re

from pipedeal.filings.extraction.matching import M, P, caption, first, found, money, topic_at
from pipedeal.filings.extraction.registry import IC, Context, Found, rule, rx
from pipedeal.filings.extraction.sentences import Sentence
from pipedeal.filings.numbers import parse_percent, plain

_QUALIFIERS = (r"amortizing|callable|senior|junior|subordinated|subordinate|secured|unsecured|"
               r"original\s+issue\s+discount|OID|variable\s+rate|fixed\s+rate|zero\s+coupon|"
               r"\d+(?:\.\d+)?%|\d+(?:\.\d+)?\s+percent")
_INSTR_RE = re.compile(
    rf"\b((?:(?:{_QUALIFIERS})[\s-]+){{0,8}}convertible\s+"
    r"(?:(?:senior|subordinated|subordinate|secured|unsecured|redeemable|exchangeable|callable)\s+){0,6}"
    r"(?:promissory\s+|term\s+|revolving\s+(?:loan\s+)?)?(?:notes?|debentures?|bonds?|loans?))\b",
    IC)
# no "convertible" in the name: "senior secured promissory note", "unsecured promissory note"
_PLAIN_RE = re.compile(
    rf"\b((?:(?:{_QUALIFIERS})[\s-]+){{1,8}}(?:promissory\s+)?(?:notes?|debentures?))\b", IC)
_CONVERTIBLE_LATER = re.compile(
    r"\b(notes?|debentures?)\b[^.;]{0,80}?\b(?:convertible\s+into|may\s+be\s+converted|"
    r"are\s+convertible|is\s+convertible)", IC)
_NOUN = re.compile(r"(note|debenture|bond|loan)s?$", IC)


def _instrument_name(text: str) -> str:
    words = re.sub(r"\d+(?:\.\d+)?(?:%|\s+percent)[\s-]*", "", text, flags=IC).lower().split()
    if words[-1].endswith("s"):
        words[-1] = words[-1][:-1]
    return " ".join(words)


@rule("instrument_type")
def _instrument(ctx: Context) -> Found | None:
    """The most specific name the narrative gives its instrument: of the names of the noun said
    most often (note or debenture), the one with the most words, the earliest on a tie."""
    hits: list[tuple[str, str, Sentence, re.Match[str]]] = []
    for sent, t in ctx.where(r"convertible"):
        for m in _INSTR_RE.finditer(t):
            name = _instrument_name(m.group(1))
            noun = name.split()[-1]
            hits.append((name, noun, sent, m))
        if len(hits) >= 40:
            break
    if not hits:
        return _instrument_fallback(ctx)
    nouns = [h[1] for h in hits]
    noun = max(dict.fromkeys(nouns), key=nouns.count)
    best = max((h for h in hits if h[1] == noun), key=lambda h: len(h[0].split()))
    return found(best[2], best[3], 1, best[0])


def _instrument_fallback(ctx: Context) -> Found | None:
    """"the Debentures ... are convertible into" → convertible debenture; else a qualified
    promissory note or debenture that the text never calls convertible."""
    for sent, t in ctx.where(r"convert"):
        m = _CONVERTIBLE_LATER.search(t)
        if m:
            return found(sent, m, 1, "convertible " + _instrument_name(m.group(1)))
    for sent, t in ctx.where(r"promissory|debenture"):
        m = _PLAIN_RE.search(t)
        if m:
            name = _instrument_name(m.group(1))
            if len(name.split()) >= 2 and not name.startswith(("senior note", "junior note")):
                return found(sent, m, 1, name)
    return None


@rule("secured")
def _secured(ctx: Context) -> Found | None:
    pats = [
        (r"\b(unsecured|not\s+(?:be\s+)?secured|no\s+collateral)\b", False),
        (r"\b(secured\s+by|security\s+interest|senior\s+secured|secured\s+convertible|"
         r"convertible\s+secured|secured\s+(?:[\w%]+\s+){0,3}?(?:promissory\s+)?(?:notes?|"
         r"debentures?)|assets\s+secure|collateralized|pledged?\s+(?:as\s+)?(?:collateral|"
         r"security))\b", True),
    ]
    for sent, t in ctx.where(r"note|debenture|obligation|loan"):
        for pat, value in pats:
            m = re.search(pat, t, IC)
            if m and topic_at(t, m.start(1)) != "warrant":
                return found(sent, m, 1, value)
    return None


@rule("principal_amount_usd")
def _principal(ctx: Context) -> Found | None:
    pats = [
        rf"(?:aggregate|total)\s+(?:original\s+)?(?:face\s+)?principal\s+(?:amount|value|balance)\s+"
        rf"(?:of\s+)?(?:up\s+to\s+)?(?:approximately\s+)?({M})",
        rf"({M})\s+(?:in\s+)?(?:aggregate|total)\s+(?:original\s+)?principal\s+amount",
        rf"principal\s+(?:amount|value|balance)\s+(?:of\s+)?(?:up\s+to\s+)?(?:approximately\s+)?({M})",
        rf"({M})\s+(?:in\s+)?(?:original\s+)?principal\s+amount",
        rf"face\s+(?:value|amount)\s+of\s+({M})",
        rf"(?:Original\s+)?Principal\s+Amount\s*:\s*\|?\s*(?:U\.?S\.?\s*)?({M})",
        rf"principal\s+sum\s+of\s+(?:[A-Za-z,\s-]{{0,120}}?)?({M})",
        rf"(?:notes?|debentures?)\s+(?:totaling|totalling|aggregating|in\s+the\s+amount\s+of|for)\s+"
        rf"({M})",
        rf"({M})\s+(?:private\s+placement|offering)\s+of\s+(?:its\s+|our\s+)?"
        r"(?:\d+(?:\.\d+)?%\s+)?(?:(?:senior|secured|unsecured|subordinated)\s+)*convertible\s+"
        r"(?:promissory\s+)?(?:notes|debentures)",
        rf"({M})\s+(?:\d+(?:\.\d+)?%\s+)?(?:(?:senior|secured|unsecured|subordinated)\s+)*"
        r"convertible\s+(?:promissory\s+)?(?:notes?|debentures?)",
        rf"(?:sold|issued|sale\s+of|issue)\s+(?:an\s+aggregate\s+of\s+)?({M})\s+(?:of\s+)?(?:its\s+|our\s+)?"
        r"(?:[\w%.\-]+\s+){0,5}?(?:convertible|promissory)\s+(?:promissory\s+)?(?:notes?|debentures?)",
        rf"({M})\s+of\s+(?:its\s+|our\s+|the\s+Company's\s+)?(?:\d+(?:\.\d+)?%\s+)?(?:(?:senior|secured|"
        r"unsecured|subordinated)\s+){0,6}convertible\s+(?:debt|notes?|debentures?)",
        rf"(?:promissory|convertible)\s+(?:note|debenture)\s+(?:U\.?S\.?\s*)?({M})(?!\s*(?:of|in|to))",
    ]
    pred = r"principal|face\s+(?:value|amount)|convertible|notes?\b|debentures?\b"
    skip = r"exercise|tranche|each\s+purchaser|denominations?|multiples?|\bper\b"
    hit = (first(ctx, pats, money, window_exclude=skip, pred=pred, exclude=_NOT_CONVERTIBLE)
           or first(ctx, pats, money, window_exclude=skip, pred=pred))
    if hit is not None and hit.span is not None:
        # per-closing amounts and their aggregate in one sentence: the aggregate
        sent = next((x for x in ctx.sents if x.start <= hit.span[0] < x.end), None)
        if sent is not None:
            t = ctx.s_text(sent)
            for pat in pats[:2]:
                m = rx(pat).search(t)
                if m and money(m.group(1)) is not None and sent.start + m.start(1) != hit.span[0]:
                    hit = found(sent, m, 1, money(m.group(1)))
                    break
    return in_thousands(ctx, hit) or caption(ctx, r"(?:Original\s+)?Principal\s+Amount", M, money)


_NOT_CONVERTIBLE = r"non-?convertible|not\s+convertible"
_THOUSANDS = re.compile(r"in\s+thousands|\(\s*000'?s\s+omitted|\$000'?s\b", IC)


def in_thousands(ctx: Context, hit: Found | None) -> Found | None:
    """``hit`` times 1,000 when its figure is written in thousands: "in thousands" in the 200
    characters before it (a table's or a note's heading), the figure whole, without a scale word
    and under 100,000 (exact dollars, "$445,000", are left as they are)."""
    if hit is None or hit.span is None or not isinstance(hit.value, int):
        return hit
    a, b = hit.span
    if re.search(r"million|billion|thousand|\.\d", ctx.flat[a:b], IC) or hit.value >= 100_000:
        return hit
    if not _THOUSANDS.search(ctx.flat[max(0, a - 200): a]):
        return hit
    return Found(hit.value * 1000, hit.span, hit.sentence)


@rule("purchase_price_usd")
def _purchase_price(ctx: Context) -> Found | None:
    pats = [
        rf"(?:aggregate\s+)?(?:cash\s+)?purchase\s+price\s+(?:of\s+|equal\s+to\s+)?(?:approximately\s+)?({M})",
        rf"(?:aggregate\s+)?subscription\s+amount\s+of\s+({M})",
        rf"(?:aggregate\s+)?gross\s+proceeds\s+(?:to\s+(?:us|the\s+Company)\s+)?(?:of\s+)?(?:approximately\s+)?({M})",
        rf"({M})\s+in\s+(?:aggregate\s+)?gross\s+proceeds(?!\s+(?:to\s+(?:us|the\s+Company)\s+)?upon)",
        rf"purchase\s+price\s+(?:for\s+this\s+(?:Note|Debenture)\s+)?(?:was|is|shall\s+be|will\s+be)\s+"
        rf"(?:approximately\s+)?({M})",
        rf"({M})\s*(?:in\s+the\s+aggregate\s+)?\((?:the\s+)?\"Purchase\s+Price\"\)",
        rf"(?:aggregate\s+)?investment\s+of\s+({M})",
        rf"purchase\s+price\s+shall\s+be\s*({M})",
        rf"Purchase\s+Price\s*:\s*\|?\s*({M})",
        rf"Consideration\s+Paid(?:\s+at\s+Close)?\s*:\s*\|?\s*({M})",
        rf"\ba\s+subscription\s+of\s+({M})",
        rf"({M})\s+(?:(?:working\s+capital|private|bridge|debt|convertible(?:\s+note)?)\s+)?"
        r"financing\b(?!\s+(?:facility|line))",
        rf"({M})\s+Purchase\s+Price\b",
    ]
    return first(ctx, pats, money, exclude=None,
                 window_exclude=r"exercise|warrant|per\s+share|additional") or caption(
        ctx, r"(?:Purchase\s+Price|Consideration\s+Paid(?:\s+at\s+Close)?)", M, money)


@rule("net_proceeds_usd")
def _net(ctx: Context) -> Found | None:
    pats = [
        rf"net\s+(?:cash\s+)?proceeds\s+(?:to\s+(?:us|the\s+Company)\s+)?(?:(?:from|of)\s+[^.$]{{0,60}}?)?"
        rf"(?:of|were|was|totaled|totalled|are|is)\s+(?:approximately\s+)?({M})",
        rf"({M})\s+(?:in|of)\s+net\s+proceeds",
    ]
    return first(ctx, pats, money, pred=r"net\s+(?:cash\s+)?proceeds") or caption(
        ctx, r"Net\s+Proceeds(?:\s+to\s+(?:the\s+)?(?:Company|Borrower|Issuer))?", M, money)


@rule("oid_pct")
def _oid(ctx: Context) -> Found | None:
    pats = [
        rf"original\s+(?:issue\s+|issuance\s+)?discount\s+(?:\(\"?OID\"?\)\s+)?(?:of\s+|equal\s+to\s+)(?:approximately\s+)?({P})",
        rf"({P})\s+original\s+issue\s+discount",
        rf"({P})\s*OID\b",
    ]
    return first(ctx, pats, lambda s: plain(parse_percent(s)),
                 pred=r"original\s+(?:issue\s+|issuance\s+)?discount|\bOID\b") or caption(
        ctx, r"Original\s+Issu(?:e|ance)\s+Discount", P, lambda s: plain(parse_percent(s)))
