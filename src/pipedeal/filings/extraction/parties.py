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

_SUFFIX = (r"(?:Inc\.?|Incorporated|Corp\.?|Corporation|Company|Co\.|Ltd\.|Limited|plc|N\.V\.|"
           r"S\.A\.|AG|LLC|L\.L\.C\.)")
# a company name: capitalised words ("eLEC", "Bravo!", "CEL-SCI"), "and"/"&" between them
_NAME_WORD = r"(?:[A-Z]|[a-z](?=[A-Z]))[\w&'!\-]*\.?"
_NAME = rf"((?:{_NAME_WORD},?\s+(?:(?:and|&)\s+)?){{0,5}}?{_NAME_WORD}(?:,?\s+{_SUFFIX})?)"
_STATES = r"(?:[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?)"
# what makes a name the issuer's: its definition, its state of incorporation, a ticker, "announced"
_ISSUER_ANCHOR = (
    r"(?=\s*\((?:the\s+)?\"(?:Company|Registrant|Issuer|Borrower|Maker|Obligor),?\""
    r"|\s*\([^()]{0,80}?\"(?:Company|Borrower|Issuer),?\""
    r"|\s*\(Exact\s+name\s+of\s+(?:the\s+)?registrant"
    r"|,?\s+an?\s+" + _STATES + r"\s+corporation\b"
    r"|\s*\((?:NASDAQ|NYSE|OTC\w*|AMEX|Amex|Nasdaq|OTCQB|OTCBB|OTCQX|NYSE\s+American)\b"
    r"|,?\s+(?:today\s+)?announce)")
_ISSUER_RE = re.compile(_NAME + _ISSUER_ANCHOR)
# cheap tests that a sentence can hold an anchor or a suffix at all (a long run of capitalised
# words without one is then never scanned by the name patterns)
_ANCHOR_CUE = (r"\"(?:Company|Registrant|Issuer|Borrower|Maker|Obligor)|Exact\s+name|corporation|"
               r"NASDAQ|NYSE|OTC|AMEX|announce")
_SUFFIX_CUE = (r"\b(?:Inc|Incorporated|Corp|Corporation|Company|Co|Ltd|Limited|plc|N\.V|S\.A|AG|"
               r"LLC|L\.L\.C)\b|company_name")
# a name with its suffix that does something ("Energy Quest, Inc. said", "issued by X Corp. to")
_SUFFIXED = rf"((?:{_NAME_WORD},?\s+(?:(?:and|&)\s+)?){{0,5}}?{_NAME_WORD},?\s+{_SUFFIX})"
_ISSUER_ACTS = re.compile(
    _SUFFIXED + r"(?=,?\s+(?:said|says|has|have|had|entered|issued|sold|closed|priced|raised|"
    r"completed|agreed|signed|will|plans|arranged)\b)"
    r"|(?:issued|sold|offered)\s+by\s+" + _SUFFIXED + r"|company_name:\s*\"([^\"]{3,80})\"")
_CAPS_NAME = re.compile(
    r"\b((?:[A-Z][A-Z0-9&'!\-]*\.?,?\s+(?:(?:AND|&)\s+)?){1,5}(?:INC\.?|CORP\.|CORPORATION|"
    r"COMPANY|LTD\.|LIMITED|HOLDINGS,?\s+INC\.))(?![\w])")
_LEAD = {"The", "On", "With", "And", "Today", "THE", "PROSPECTUS", "SUPPLEMENT", "EXHIBIT",
         "NOTE", "TO", "OF", "FOR", "SATISFACTORY", "PROMISSORY", "CONVERTIBLE", "SECURED",
         "SENIOR", "DEBENTURE", "FORM", "AND", "BY", "Between", "Among", "Of", "For", "To",
         "Notes", "Debentures", "Note", "Debenture", "Convertible", "Secured", "Senior",
         "Undersigned", "Received", "received", "value", "VALUE", "RECEIVED", "REASONABLY",
         "PURCHASE", "AGREEMENT", "SECURITIES", "SUBSCRIPTION", "DEBENTURES", "NOTES", "ISSUED",
         "SERIES", "UNITS", "COMMON", "STOCK", "SHARES", "OFFERING", "PLACEMENT"}
_ABBREV_END = re.compile(r"(?:Inc|Corp|Co|Ltd|N\.V|S\.A|L\.P|L\.L\.C|INC|CORP|CO|LTD)\.$")


def _clean_name(name: str) -> str:
    """A name without leading filler words, a trailing period that is no abbreviation, or the
    cover caption a registrant line sometimes carries ("... reported): June 1, 2004 NAME")."""
    dates = list(DATE_RE.finditer(name))
    if dates:
        name = name[dates[-1].end():]
    words = name.replace("\n", " ").split()
    while words and words[0].strip(",") in _LEAD:
        words = words[1:]
    name = re.sub(r"\s+,", ",", " ".join(words)).strip(" ,|;:")
    if name.endswith(".") and not _ABBREV_END.search(name):
        name = name[:-1]
    return name


@rule("issuer_name")
def _issuer(ctx: Context) -> Found | None:
    """The issuer's name (computed once per text: the purchaser rule asks for it too)."""
    if not hasattr(ctx, "_issuer"):
        ctx._issuer = _find_issuer(ctx)  # type: ignore[attr-defined]
    return ctx._issuer  # type: ignore[attr-defined]


def _find_issuer(ctx: Context) -> Found | None:
    name = ctx.filing.registrant.get("name")
    if name and (not re.search(r"[A-Za-z]{2}", name) or name.strip(" .") in ("Company",
                                                                             "Registrant")):
        name = None  # a cover line of dashes or underscores read as the name
    if name:
        pos = ctx.text.find(name)
        line = ctx.text[pos: ctx.text.find("\n", pos)] if pos >= 0 else name
        clean = _clean_name(name)
        if pos >= 0 and clean:
            pos += name.find(clean) if clean in name else 0
        return Found(clean or name, (pos, pos + len(clean or name)) if pos >= 0 else None,
                     " ".join(line.split()))
    for sent, t in ctx.where(_ANCHOR_CUE):
        m = _ISSUER_RE.search(t)
        if m:
            name = _clean_name(m.group(1))
            if len(name.split()) and not re.fullmatch(r"[A-Z][a-z]+", name) or \
                    re.search(_SUFFIX + r"$", name):
                return Found(name, (sent.start + m.end(1) - len(name), sent.start + m.end(1)),
                             sent.text)
    for sent, t in ctx.where(_SUFFIX_CUE):
        m = _ISSUER_ACTS.search(t)
        if m:
            g = next(i for i in (1, 2, 3) if m.group(i))
            name = _clean_name(re.sub(r"^.*\bCommission,\s+", "", m.group(g)))
            if name and name.split()[0] not in ("The", "Our", "Such") and \
                    not re.search(r"(?:^|\s)(?:The\s+)?Company$|^(?:\w+\s+)?The\b", name):
                return Found(name, (sent.start + m.end(g) - len(name), sent.start + m.end(g)),
                             sent.text)
    head = ctx.flat[:3000]
    m = _CAPS_NAME.search(head)
    if m:
        name = _clean_name(m.group(1))
        if len(name.split()) >= 2:
            end = m.end(1) - (1 if m.group(1).endswith(".") and not name.endswith(".") else 0)
            return Found(name, (end - len(name), end), " ".join(head[m.start(): m.end()].split()))
    return None


_DEAL_VERB = (r"(?:entered\s+into|enters\s+into|executed|closed|consummated|completed|issued|"
              r"issues|sold|sells|"
              r"agreed\s+to\s+sell|closing\s+of)")
_INSTRUMENT = r"(?:notes?|debentures?|agreements?|financing|offering|private\s+placement)"


# the date on a note's face or an agreement's head: "Issue Date: ...", "Dated: ...", "dated as of"
_OWN_TEXT = re.compile(r"for\s+value\s+received|promises?\s+to\s+pay|\bthis\s+(?:agreement|note|"
                       r"debenture)\b|(?:Issue|Issuance)\s+Date\s*:", IC)
_FACE_HEAD = re.compile(
    rf"({DATE_RE.pattern})\s+(?:\S+\s+){{0,3}}?For\s+value\s+received"
    rf"|\$\s?(?:US\s?)?[\d,.]*(?:\[\s*\])?\s*({DATE_RE.pattern})"
    rf"|\b(?<!maturity\s)(?<!expiration\s)(?:(?:Original\s+)?(?:Issue|Issuance|Effective)\s+)?"
    rf"(?:Dated?|Date\s+of\s+(?:Issuance|Issue))\s*:\s*\|?\s*({DATE_RE.pattern})", IC)
_FACE_DATE = re.compile(
    rf"(?:(?:Original\s+)?(?:Issue|Issuance|Effective)\s+Date\s*:?\s*\|?\s*|\bDated\s*:\s*\|?\s*|"
    rf"\b(?:is\s+)?(?:dated|effective)\s+as\s+of\s+|\bmade\s+(?:on|as\s+of)\s+(?:the\s+)?|"
    rf"with\s+effect\s+from\s+(?:the\s+)?)({DATE_RE.pattern})"
    rf"|({DATE_RE.pattern})\s+(?:\S+\s+){{0,2}}?For\s+value\s+received", IC)


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
    # only a note's or an agreement's own text dates itself; an 8-K or a 10-Q that mentions
    # "the agreement dated as of ..." is dated by its deal sentence
    own = _OWN_TEXT.search(ctx.flat[:6000]) is not None
    if own:  # the face's head, across the blank lines the sentence splitter cuts at
        m = _FACE_HEAD.search(ctx.flat, 0, min(len(ctx.flat), 4000))
        if m:
            g = next(i for i in (1, 2, 3) if m.group(i))
            day = parse_date(m.group(g))
            if day:
                return Found(day.isoformat(), (m.start(g), m.end(g)),
                             " ".join(ctx.flat[m.start(): m.end()].split()))
    for sent, t in ctx.where(r"date|dated|effective|made\s+(?:on|as)|value\s+received"):
        if sent.start > 4000 or not own:
            break
        m = _FACE_DATE.search(t)
        g = 1 if m and m.group(1) else 2
        day = parse_date(m.group(g)) if m else None
        if m and day:
            return found(sent, m, g, day.isoformat())
    for sent, t in ctx.where(_DEAL_VERB):
        if not re.search(_INSTRUMENT, t, IC):
            continue
        for hit in DATE_RE.finditer(t):
            if _NOT_EVENT.search(t[max(0, hit.start() - 25): hit.start()]) or \
                    _FILED_ON.search(t[max(0, hit.start() - 100): hit.start()]):
                continue  # a period end, a maturity, an expiry, a filing: not the deal's day
            day = parse_date(hit.group(0))
            if day:
                return found(sent, hit, 0, day.isoformat())
    return None


_FILED_ON = re.compile(r"\b(?:filed|furnished)\b[^.]{0,80}\bon\s+\Z", IC)
_NOT_EVENT = re.compile(r"(?:as\s+of|as\s+at|ended|ending|through|until|due|matur\w*|expir\w*|"
                        r"before|prior\s+to)\s+(?:the\s+)?\Z", IC)


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
    named = (r"\(\s*(?:the\s+|each,?\s+an?\s+)?\"\s?(Investor|Purchaser|Buyer|Holder|Lender|"
             r"Subscriber|Payee)\s?\"(?:\s+or\s+\"\w+\")?\s*\)")
    plural = re.compile(r"\"\s?(?:Investors|Purchasers|Buyers|Holders|Lenders|Subscribers|"
                        r"Selling\s+(?:Stockholders|Shareholders|Holders))\s?\"")
    many = plural.search(ctx.flat) is not None
    for sent, t in ctx.where(named):
        m = re.search(named, t)
        if m and re.search(r"_{3,}|\[\s*\]|pay\s+or\s+its|order\s+of\s+or\b",
                           t[max(0, m.start() - 80): m.start()]):
            continue  # a form of note with the payee left blank names no purchaser
        if m and not many and not re.search(r"\b(?:Investors|Purchasers|Buyers|Holders|Lenders)\b",
                                            t):
            return found(sent, m, 1, 1)
    single = (rf"\b(a\s+single|one)\s+(?:{_QUAL}\s+)?(?:investor|purchaser|buyer|lender)\b"
              r"|\b(?:with|to)\s+(an?)\s+(?:single\s+)?(?:(?:accredited|institutional|"
              r"unaffiliated|private|individual|third[\s-]party)\s+){0,6}"
              r"(?:investor|purchaser|lender|buyer)\b(?!s)"
              r"|\b(an?)\s+(?:accredited\s+|institutional\s+)*(?:investor|purchaser|buyer|lender)"
              r"\s*\((?:the\s+)?\"(?:Investor|Purchaser|Buyer|Holder|Lender)\"\)")
    for sent, t in ctx.where():
        m = re.search(single, t, IC)
        if m:
            g = next(i for i in (1, 2, 3) if m.group(i))
            return found(sent, m, g, 1)
    names = RULES["purchaser_names"](ctx)
    if names is not None and len(names.value) == 1 and not many and names.span:
        return Found(1, names.span, names.sentence)
    if names is not None and len(names.value) >= 2 and names.span and names.sentence and \
            all(n in names.sentence for n in names.value) and re.search(
                r"\b(?:each|collectively|together)\b[^)]{0,30}\"(?:Purchaser|Investor|Buyer|Holder|"
                r"Lender|Subscriber)s?\"", names.sentence):
        return Found(len(names.value), names.span, names.sentence)  # named in one list
    return _only_singular(ctx, many)


_SINGULAR = re.compile(r"\b(?:the|an?|single|one|private|institutional|accredited)\s+"
                       r"(investor|purchaser|buyer|lender)\b(?!s|'s)", IC)
_PLURAL = re.compile(r"\b(?:investors|purchasers|buyers|lenders|holders|subscribers|noteholders)\b",
                     IC)


def _only_singular(ctx: Context, many: bool) -> Found | None:
    """1 when the text speaks of "the investor" (or purchaser, buyer, lender) and never of
    investors in the plural, and is no blank form of note."""
    if many or _PLURAL.search(ctx.flat) or re.search(r"_{3,}|\[\s*\]", ctx.flat):
        return None
    for sent, t in ctx.where(r"investor|purchaser|buyer|lender"):
        m = _SINGULAR.search(t)
        if m:
            return found(sent, m, 1, 1)
    return None


_ENTITY = re.compile(
    r"((?:(?:[A-Z][\w&'.\-]*|\d+)\s+(?:and\s+)?){0,5}[A-Z][\w&'.\-]*,?\s+(?:(?i:L\.L\.C\.|LLC|"
    r"L\.P\.|LP|Ltd\.|Limited\s+Partnership|Limited|Aktiengesellschaft|AG|Anstalt|S\.A\.|"
    r"(?:Master\s+)?Fund(?:,?\s+(?:L\.P\.|Ltd\.|LP|S\.A\.))?|Partners(?:,?\s+(?:L\.P\.|LP|LLC))?|"
    r"Capital(?:,?\s+(?:LLC|L\.P\.|Ltd\.|L\.L\.C\.))?|Trust)|"
    r"(?:Inc\.|Corporation)(?=,?\s+(?:an?\s+[A-Z]\w+\s+corporation\s+)?\((?:[^()\"]{0,60},\s+)?"
    r"(?:the\s+)?\"(?:Holder|Lender|Purchaser|Buyer|Investor|Payee)\")))(?![\w])")
_NAME_STOP = {"The", "On", "With", "And", "To", "Each", "Of", "In", "An", "A", "Under", "By",
              "From", "Company", "Purchaser", "Purchasers", "Investor", "Investors", "Our", "We",
              "Pursuant", "Such", "That", "This", "and", "&", "Pay", "PAY", "TO", "OF"}


_ENTITY_CUE = re.compile(r"L\.?L\.?C|L\.?P\b|Ltd|Limited|\bAG\b|Anstalt|S\.A\.|Fund|Partners|"
                         r"Capital|Trust|Inc\.|Corporation|Aktiengesellschaft", IC)
_PARTY_WORDS = re.compile(r"purchaser|investor|holder|lender|buyer|subscriber|promises?\s+to\s+pay|"
                          r"in\s+favou?r\s+of|sold\s+to|issued\s+to", IC)
# around a name in a sentence about notes: "to X", "with X", "from X", "X ("AVCP")"
_PARTY_BEFORE = re.compile(r"\b(?:to|with|from|by)\s+(?:the\s+)?\Z", IC)
_PARTY_AFTER = re.compile(r"\s*\(\s*(?:the\s+)?\"", IC)


@rule("purchaser_names")
def _purchaser_names(ctx: Context) -> Found | None:
    issuer = (ctx.filing.registrant.get("name") or "").lower()
    if not issuer:
        named_issuer = RULES["issuer_name"](ctx)
        issuer = str(named_issuer.value).lower() if named_issuer else ""
    names: list[str] = []
    earliest: tuple[Sentence, int, int] | None = None
    def keep(name: str, start: int, sent: Sentence) -> None:
        nonlocal earliest
        if name not in names:
            names.append(name)
            if earliest is None:
                earliest = (sent, start, start + len(name))

    for sent, t in ctx.where(r"purchaser|investor|holder|lender|buyer|sold\s+to|issued\s+to|"
                             r"promises?\s+to\s+pay|in\s+favou?r\s+of|agreement\s+with|"
                             r"(?:note|debenture)s?\b|between"):
        if not _ENTITY_CUE.search(t):
            continue  # no entity suffix in the sentence: nothing for _ENTITY to find
        deal_words = _PARTY_WORDS.search(t) is not None
        last_kept = -1  # where the last party named in this sentence ends
        for m in _ENTITY.finditer(t):
            listed = last_kept >= 0 and re.fullmatch(r",?\s*(?:and\s+)?", t[last_kept: m.start(1)])
            if not deal_words and not listed and \
                    not _PARTY_BEFORE.search(t[max(0, m.start(1) - 12): m.start(1)]) and \
                    not _PARTY_AFTER.match(t[m.end(1): m.end(1) + 20]):
                continue  # an entity in a note sentence is a party only where the text says so
            last_kept = m.end(1)
            words = m.group(1).split()
            lead_the = words[0] == "The" and m.start(1) > 0 and len(words) > 2 and \
                words[1] not in _NAME_STOP
            while words and words[0].strip(",") in _NAME_STOP:
                words = words[1:]
            if lead_the:
                words = ["The", *words]  # "to The Shaar Fund, Ltd.": part of the name
            if len(words) < 2 or words[-1].islower():
                continue  # "a Utah limited partnership": what it is, not who
            name = " ".join(words)
            # "Corbel Trust and Waymark Capital, L.P.": two names, not one
            first_name = re.match(r"(.+?\b(?:Trust|LLC|L\.P\.|LP|Ltd\.|Fund|Capital|Partners|"
                                  r"Limited|AG)),?\s+and\s+", name)
            if first_name:
                keep(first_name.group(1), sent.start + m.end(1) - len(name), sent)
                name = name[first_name.end():]
            if name.lower() in issuer or issuer and issuer in name.lower():
                continue
            lead = t[max(0, m.start(1) - 5): m.start(1)]
            if '"' in lead[-2:] or "c/o" in lead.lower():
                continue  # a short name being defined ("GS Capital"), an agent's address
            if re.search(r"Securities\s+Act|Regulation|Exchange", name) or re.match(
                    r",?\s*(?:\(the\s+\"Placement\s+Agent|as\s+(?:exclusive\s+)?placement\s+agent)",
                    t[m.end(1):], IC):
                continue
            keep(name, sent.start + m.end(1) - len(name), sent)
    if not names:
        return _payee(ctx, issuer)
    if earliest is None:
        return None
    return Found(names, (earliest[1], earliest[2]), earliest[0].text)


_PAYEE = re.compile(r"promises?\s+to\s+pay\s+(?:to\s+)?(?:the\s+order\s+of\s+)?", IC)


def _payee(ctx: Context, issuer: str) -> Found | None:
    """The payee of a note's face, whose name the sentence splitter may have cut off from
    "promises to pay" at a blank line."""
    m = _PAYEE.search(ctx.flat, 0, min(len(ctx.flat), 8000))
    if m is None:
        return None
    e = _ENTITY.match(ctx.flat, m.end(), m.end() + 200)
    if e is None:
        return None
    name = e.group(1)
    if name.lower() in issuer or issuer and issuer in name.lower():
        return None
    return Found([name], (e.start(1), e.end(1)), " ".join(ctx.flat[m.start(): e.end(1)].split()))
