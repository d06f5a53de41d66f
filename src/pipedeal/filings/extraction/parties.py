"""Who and when: the issuer, the event date, how many purchasers and their names.

Terms: ``issuer_name`` (the cover page's registrant, else a company name the text introduces),
``event_date`` (the cover's earliest event, else the date of the sentence that closes the deal),
``num_purchasers`` and ``purchaser_names`` (entity names in sentences about purchasers).
"""

from __future__ import annotations

import re

from pipedeal.filings.extraction.matching import count, first, found
from pipedeal.filings.extraction.registry import IC, RULES, Context, Found, rule
from pipedeal.filings.extraction.sentences import Sentence
from pipedeal.filings.numbers import DATE_RE, NUMBER, parse_date


@rule("issuer_name")
def _issuer(ctx: Context) -> Found | None:
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
def _event_date(ctx: Context) -> Found | None:
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
        hit = DATE_RE.search(t)
        day = parse_date(hit.group(0)) if hit else None
        if hit and day:
            return found(sent, hit, 0, day.isoformat())
    return None


_PARTY = (r"(?:investors?|purchasers?|buyers?|holders|lenders|subscribers|institutions|"
          r"shareholders|stockholders)")
_QUAL = (r"(?:accredited|institutional|private|existing|qualified|unaffiliated|individual|"
         r"non-affiliated|non-U\.S\.|offshore|new|separate)")


@rule("num_purchasers")
def _num_purchasers(ctx: Context) -> Found | None:
    pats = [
        rf"(?<![$\d.,])\b({NUMBER}(?:\s*\(\d+\))?)\s+\"?(?:{_QUAL}[\s,\"]+)*(?:and\s+{_QUAL}\s+)?\"?{_PARTY}\b",
        rf"\b(?:each\s+of\s+the|all)\s+({NUMBER}(?:\s*\(\d+\))?)\s+{_PARTY}\b",
    ]
    hit = first(ctx, pats, count)
    if hit:
        return hit
    named = (r"\(\s*(?:the\s+|each,?\s+an?\s+)?\"(Investor|Purchaser|Buyer|Holder|Lender|"
             r"Subscriber)\"\s*\)")
    for sent, t in ctx.where(named):
        m = re.search(named, t)
        if m and not re.search(r"\b(?:Investors|Purchasers|Buyers|Holders|Lenders)\b", t):
            return found(sent, m, 1, 1)
    single = (rf"\b(a\s+single|one)\s+(?:{_QUAL}\s+)?(?:investor|purchaser|buyer|lender)\b"
              r"|\b(?:with|to)\s+(an?)\s+(?:single\s+)?(?:accredited\s+|institutional\s+)+"
              r"(?:investor|purchaser|lender)\b(?!s)"
              r"|\b(an?)\s+(?:accredited\s+|institutional\s+)*(?:investor|purchaser|buyer|lender)"
              r"\s*\((?:the\s+)?\"(?:Investor|Purchaser|Buyer|Holder|Lender)\"\)")
    for sent, t in ctx.where():
        m = re.search(single, t, IC)
        if m:
            g = next(i for i in (1, 2, 3) if m.group(i))
            return found(sent, m, g, 1)
    return None


_ENTITY = re.compile(
    r"((?:[A-Z][\w&'.\-]*\s+){0,5}[A-Z][\w&'.\-]*,?\s+(?:L\.L\.C\.|LLC|L\.P\.|LP|Ltd\.|Limited|"
    r"(?:Master\s+)?Fund(?:,?\s+(?:L\.P\.|Ltd\.|LP))?|Partners(?:,?\s+(?:L\.P\.|LP))?|"
    r"Capital(?:,?\s+(?:LLC|L\.P\.|Ltd\.))?|Trust))(?![\w])")
_NAME_STOP = {"The", "On", "With", "And", "To", "Each", "Of", "In", "An", "A", "Under", "By",
              "From", "Company", "Purchaser", "Purchasers", "Investor", "Investors", "Our", "We",
              "Pursuant", "Such", "That", "This"}


@rule("purchaser_names")
def _purchaser_names(ctx: Context) -> Found | None:
    issuer = (ctx.filing.registrant.get("name") or "").lower()
    if not issuer:
        named_issuer = RULES["issuer_name"](ctx)
        issuer = str(named_issuer.value).lower() if named_issuer else ""
    names: list[str] = []
    earliest: tuple[Sentence, int, int] | None = None
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
                if earliest is None:
                    earliest = (sent, sent.start + m.end(1) - len(name), sent.start + m.end(1))
    if not names or earliest is None:
        return None
    return Found(names, (earliest[1], earliest[2]), earliest[0].text)
