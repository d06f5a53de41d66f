"""Conversion and prepayment: the fixed conversion price (one or per tranche), a price formula
(a percentage of a market statistic over N trading days), a floor, and the prepayment sentences.

Terms: ``conversion_price_usd``, ``conversion_price_formula``, ``conversion_floor_price_usd``,
``prepayment_terms``.
"""

from __future__ import annotations

import re

from pipedeal.filings.extraction.matching import (
    MONEY_LIST,
    M,
    P,
    caption,
    count,
    first,
    found,
    money,
    money_list,
    topic_at,
    value_of,
)
from pipedeal.filings.extraction.registry import IC, Context, Found, rule, rx
from pipedeal.filings.numbers import NUMBER, format_price, parse_money, parse_percent, plain


@rule("conversion_price_usd")
def _conversion_price(ctx: Context) -> Found | None:
    # the "conver... at $X" forms share one scan from the keyword: the first value after it wins
    near = (rf"conver\w*(?:[^.]|\.(?=\d)){{0,160}}?\b(?:"
            rf"at\s+(?:a|an)\s+(?:initial\s+|fixed\s+)?(?:conversion\s+)?(?:price|rate)\s+"
            rf"(?:per\s+share\s+)?(?:of|equal\s+to)\s+(?:US\s?)?({M})"
            rf"|at\s+(?:US\s?)?({M})(?:\s+(?:per\s+(?:common\s+|ordinary\s+)?share|apiece|a\s+share|"
            r"each)|\s*/\s*(?:share|sh)\b)"
            rf"|divided\s+by\s+(?:US\s?)?({M})(?!\s+million)"
            rf"|(?:lower|lesser)\s+of\s+(?:\((?:i|a|1)\)\s+)?(?:US\s?)?({M}))")
    pats = [
        rf"conversion\s+price\s+(?:of\s+the\s+(?:[\w-]+\s+){{0,3}}?(?:notes?|debentures?)\s+)?"
        r"(?:per\s+share\s+)?(?:\(subject\s+to\s+adjustment[^)]{0,20}\)\s*)?"
        rf"(?:of|equal\s+to|is|will\s+be|was|to|:)?\s*(?:initially\s+)?(?:approximately\s+|about\s+)?"
        rf"(?:US\s?)?({MONEY_LIST})",
        near,
    ]
    defined = (rf"({M})\s+per\s+share\s*\((?:the\s+)?\"(?:Fixed\s+|Initial\s+)?"
               r"Conversion\s+Price\"\)")
    amended: Found | None = None
    for sent, t in ctx.where(r"conver"):
        if "$" not in t and "dollar" not in t.lower():
            continue
        market = re.search(r"trading\s+days?|market\s+price|VWAP|closing\s+(?:bid|price)|"
                           r"volume\s+weighted", t, IC)
        todo = pats + [defined] if 'Conversion Price"' in t else pats
        hits = sorted(((m, m.lastindex or 1) for pat in todo for m in rx(pat).finditer(t)),
                      key=lambda h: h[0].start(h[1]))
        for m, g in hits:
            if topic_at(t, m.start(g)) == "warrant":
                continue
            before = t[max(0, m.start(g) - 40): m.start(g)]
            if re.search(r"floor|less\s+than|below|greater", before, IC):
                continue
            if market and re.search(r"lesser|lower", before, IC):
                continue  # "the lower of $0.50 and 80% of ...": part of the formula
            values = money_list(m.group(g))
            if values and all(0 < v < 100000 for v in values):
                hit = found(sent, m, g, value_of(values))
                if not re.search(_AMENDED, before, IC):
                    return hit
                amended = amended or hit
    return amended or caption(ctx, r"(?:Original\s+|Initial\s+)?Conversion\s+Price", M, money)


# a price set by an amendment or a reset is not the note's conversion price as issued
_AMENDED = r"reduc\w*|amend\w*|reset|decreas\w*|lowered|adjusted\s+to|revised|changed"


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
        if "bid" in w:
            return "lowest closing bid"
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
    if "bid" in w:  # one day's closing bid: an average over one day, as labelled
        return "average closing bid"
    if "clos" in w:
        return "average close"
    return None


_FORMULA = re.compile(
    rf"(?:({P})\s+(?:of|multiplied\s+by|times)|(?:a\s+)?({P})\s+discount\s+to)\s+(?:the\s+)?"
    rf"({_STAT_SPAN})(?:for|over|during|in|on)\s+(?:the\s+|any\s+|each\s+of\s+the\s+)?"
    rf"(?:({NUMBER})(?:\s*\(\d+\))?\s+)?(?:consecutive\s+)?trading\s+days?\b([^.;]{{0,120}})", IC)
# "90% of the 5-day VWAP ... before the ... Conversion"
_FORMULA_DAYS_FIRST = re.compile(
    rf"({P})\s+of\s+the\s+({NUMBER})[\s-]+(?:trading[\s-]+)?day\s+(VWAP|volume[\s-]weighted\s+"
    r"average\s+price|average\s+closing\s+(?:bid\s+)?price)\b([^.;]{0,160})", IC)


def _anchor(tail: str) -> str | None:
    """What the trading days are counted back from: 'before conversion', 'ending on issuance'."""
    tail = tail.lower()
    kinds = [(a.start(), "conversion" if a.group(0).startswith("conver") else "issuance")
             for a in re.finditer(r"conver|issu|closing|funding|signing|execution", tail)]
    if not kinds and re.search(r"before|preceding|prior", tail):
        kinds = [(0, "conversion")]  # "the 20 trading days immediately before the conv..."
    if not kinds:
        return None
    pos = "ending on" if re.search(r"ending\s+on|including|through", tail) else "before"
    return f"{pos} {min(kinds)[1]}"


def conversion_formula(text: str) -> tuple[re.Match[str], str] | None:
    """The first price formula in ``text``, normalised, with its match (its last group is the
    text after the trading days)."""
    for m in _FORMULA.finditer(text):
        stat = _statistic(m.group(3))
        n = count(m.group(4)) if m.group(4) else 1  # "the trading day before"
        if stat is None or n is None:
            continue
        if m.group(1):
            pct = parse_percent(m.group(1))
        else:
            disc = parse_percent(m.group(2))
            pct = None if disc is None else 100 - disc
        anchor = _anchor(m.group(5))
        if pct is None or anchor is None:
            continue
        out = f"{plain(pct)}% of {stat} over {n} trading days {anchor}"
        head = text[max(0, m.start() - 80): m.start()]
        fixed = re.search(rf"(?:lesser|lower)\s+of\s+(?:\(i\)\s+|\(a\)\s+)?({M})", head, IC)
        if fixed:
            v = parse_money(fixed.group(1))
            if v is not None:
                out = f"lower of {format_price(v)} and {out}"
        return m, out
    for m in _FORMULA_DAYS_FIRST.finditer(text):
        pct, n, stat = parse_percent(m.group(1)), count(m.group(2)), _statistic(m.group(3))
        anchor = _anchor(m.group(4))
        if pct is not None and n is not None and stat is not None and anchor is not None:
            return m, f"{plain(pct)}% of {stat} over {n} trading days {anchor}"
    return None


@rule("conversion_price_formula")
def _formula(ctx: Context) -> Found | None:
    for sent, t in ctx.where(r"conver"):
        if not re.search(r"trading\s+day|day\s+VWAP", t, IC):
            continue
        hit = conversion_formula(t)
        if hit and topic_at(t, hit[0].start()) != "warrant":
            m, value = hit
            tail = m.lastindex or 0
            end = m.end(tail) - len(m.group(tail)) + len(m.group(tail).rstrip())
            return Found(value, (sent.start + m.start(), sent.start + end), sent.text)
    return None


@rule("conversion_floor_price_usd")
def _floor(ctx: Context) -> Found | None:
    pats = [
        rf"floor(?:\s+price)?\s+(?:of|equal\s+to|is)\s+({M})",
        rf"({M})\s+floor",
        rf"(?:in\s+no\s+event|provided\s+that|but\s+not|never)(?:[^.]|\.(?=\d)){{0,80}}?(?:less|lower)\s+than\s+({M})",
        rf"conversion\s+price(?:[^.]|\.(?=\d)){{0,40}}?(?:not|never)\s+(?:be\s+)?(?:less|lower)\s+than\s+({M})",
    ]
    return first(ctx, pats, money, pred=r"floor|less\s+than|lower\s+than", topic="note")


def _start(pattern: re.Pattern[str], text: str) -> int:
    m = pattern.search(text)
    return m.start() if m else len(text)


_PREPAY_KEY = r"prepa(?:y|id|yment|yable)|pre-pa(?:y|id)|redeem|redemption|callable"
# a sentence that gives a right to prepay or redeem (not one that only names a "redeemable note"
# or says the notes mature "unless redeemed earlier")
_PREPAY_RIGHT = re.compile(
    r"\b(?:may|can|could|will\s+be\s+able\s+to|(?:has|have|had)\s+the\s+(?:right|option)|"
    r"shall\s+have\s+the\s+right|is\s+entitled|at\s+(?:its|the\s+Company's|our)\s+(?:sole\s+)?"
    r"option|option\s+to|right\s+to|(?:are|is|be)\s+callable|callable\s+(?:at|by|after|on)|"
    r"without\s+(?:penalty|premium)|(?:prepayment|redemption)\s+(?:price|premium|amount)|"
    r"(?:prepay|redeem)\w*\s+(?:the\s+|this\s+|all\s+|any\s+|such\s+)?(?:notes?|debentures?|"
    r"principal|outstanding|amounts?)|premium\s+of)\b", IC)
_NOT_PREPAY = re.compile(r"unless\s+(?:earlier\s+)?(?:converted|redeemed|repurchased|prepaid)|"
                         r"(?:converted|redeemed|repurchased),?\s+(?:or\s+)?(?:redeemed|"
                         r"repurchased|converted)\s+earlier", IC)


_PREPAY_WORD = re.compile(r"prepa|pre-pa|redeem(?!able)|redemption|"
                          r"callable(?!\s+(?:secured\s+)?convertible)", IC)


def _shouting(text: str) -> bool:
    """Whether most letters of ``text`` are capitals (a legend, a heading)."""
    letters = [c for c in text if c.isalpha()]
    return len(letters) > 20 and sum(c.isupper() for c in letters) > 0.6 * len(letters)


@rule("prepayment_terms")
def _prepayment(ctx: Context) -> Found | None:
    key = rx(_PREPAY_KEY)
    hits = []
    for s, t in ctx.where(key.pattern):
        if topic_at(t, _start(key, t)) == "warrant" or len(t.split()) < 6:
            continue
        if _NOT_PREPAY.search(t) or _shouting(t):
            continue  # "unless redeemed earlier"; a legend in capitals
        keys = [k.start() for k in _PREPAY_WORD.finditer(t)]
        if not any(_PREPAY_RIGHT.search(t, max(0, k - 60), k + 60) for k in keys):
            continue  # no right to prepay near the word (only "redeemable", a name, a use)
        if re.search(r"proceeds[^.]{0,80}\bto\s+(?:pre)?pay", t, IC):
            continue  # proceeds used to repay other notes
        hits.append((s, t))
        break
    if not hits:
        return None
    head, _ = hits[0]
    chosen = [head]
    idx = ctx.sents.index(head)
    if idx + 1 < len(ctx.sents):
        nxt = ctx.sents[idx + 1]
        if re.search(r"prepa|redeem|redemption", ctx.s_text(nxt), IC):
            chosen.append(nxt)
    return Found(" ".join(s.text for s in chosen), (chosen[0].start, chosen[-1].end),
                 " ".join(s.text for s in chosen))
