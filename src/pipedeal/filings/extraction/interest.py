"""Interest and maturity: the note's rate, its default rate, when interest is paid, and when the
note matures (a date or a term).

Terms: ``interest_rate_pct``, ``default_interest_rate_pct``, ``interest_payment_frequency``,
``maturity_date``, ``maturity_term_months``.
"""

from __future__ import annotations

import re

from pipedeal.filings.extraction.matching import (
    DUR,
    D,
    P,
    caption,
    first,
    found,
    iso_date,
    months,
    pct,
)
from pipedeal.filings.extraction.registry import IC, Context, Found, rule
from pipedeal.filings.numbers import NUMBER


@rule("interest_rate_pct")
def _rate(ctx: Context) -> Found | None:
    pats = [
        rf"interest\s+(?:at\s+(?:a|the)\s+(?:fixed\s+|annual\s+)?rate\s+(?:of\s+|equal\s+to\s+)?|at\s+|rate\s+of\s+)({P})",
        rf"interest\s+rate\s+(?:of|is|equal\s+to)\s+({P})",
        rf"({P})\s+(?:per\s+annum|per\s+year|a\s+year|annual\s+interest|annually)",
        rf"({P})\s+(?:(?:senior|secured|unsecured|subordinated|original\s+issue\s+discount)\s+)*convertible",
        rf"(?:bears?|carry|carries|pays?)\s+({P})\s+(?:annual\s+)?interest\b",
        rf"interest\s+(?:accrues|accrue|is\s+payable)\b[^.;]{{0,60}}?\bat\s+an?\s+(?:annual|fixed|stated)?\s*"
        rf"rate\s+(?:of\s+|equal\s+to\s+)?({P})",
    ]
    hit = first(ctx, pats, pct, pred=r"interest|convertible|per\s+annum",
                window_exclude=r"discount|beneficial|own|penalt|liquidated|prime|libor|sofr|"
                                r"plus|increas\w*\s+to|becomes?|rises?\s+to",
                far_exclude=r"default",
                after_exclude=r"\s*(?:per\s+annum\s*)?,?\s*(?:\(\w+\s+)?(?:upon|if|following|after|"
                              r"during|while|on\s+and\s+after)\b[^.;]{0,40}default")
    if hit is not None:
        return hit
    # an OID note "carries no interest" / "non-interest bearing": the rate is 0
    return first(ctx, [r"\b((?:bears?|carry|carries|accrues?)\s+no\s+(?:regular\s+)?interest|"
                       r"non-interest[\s-]bearing|interest[\s-]free|zero\s+(?:percent\s+)?"
                       r"(?:coupon|interest))"], lambda s: 0,
                 pred=r"interest|coupon", exclude=r"default\s+interest|unless")


@rule("default_interest_rate_pct")
def _default_rate(ctx: Context) -> Found | None:
    """The rate nearest to the word "default" in a sentence about default interest."""
    pats = [
        rf"default\s+(?:interest\s+)?rate\s+(?:of\s+|equal\s+to\s+|is\s+)?({P})",
        rf"(?:increase|increases|increased|increasing)\s+to\s+(?:the\s+lesser\s+of\s+)?({P})",
        rf"({P})\s+(?:per\s+annum|per\s+year)",
        rf"({P})(?:\s+per\s+annum)?,?\s+(?:\(the\s+\"Default\s+(?:Interest\s+)?Rate\"\)|upon|"
        r"following|after|during|on\s+and\s+after|while|if\s+there\s+is)\s+(?:the\s+occurrence\s+"
        r"(?:and\s+during\s+the\s+continuance\s+)?of\s+)?(?:an?\s+|any\s+)?(?:event\s+of\s+)?default",
        rf"(?:becomes?|rises?\s+to|to\s+the\s+rate\s+of)\s+({P})",
    ]
    for sent, t in ctx.where(r"\bdefault\b"):
        if not re.search(r"interest|rate", t, IC):
            continue
        spots = [d.start() for d in re.finditer(r"\bdefault\b", t, IC)]
        best: tuple[int, re.Match[str]] | None = None
        for pat in pats:
            for m in re.finditer(pat, t, IC):
                if pct(m.group(1)) is None:
                    continue
                dist = min(abs(m.start(1) - d) for d in spots)
                if best is None or dist < best[0]:
                    best = (dist, m)
        if best is not None:
            return found(sent, best[1], 1, pct(best[1].group(1)))
    return None


_FREQ = [
    (r"\b(monthly|each\s+(?:calendar\s+)?month|every\s+month)\b", "monthly"),
    (r"\b(quarterly|each\s+(?:calendar\s+)?quarter|every\s+three\s+months)\b", "quarterly"),
    (r"\b(semi-?annually|semi-?annual|every\s+six\s+months|twice\s+(?:a|each)\s+year)\b",
     "semi-annually"),
    (r"\b(?:payable|paid)\s+(annually|each\s+year|once\s+a\s+year)\b", "annually"),
    (r"\b((?:payable|paid|due)\s+(?:in\s+full\s+)?(?:upon|at|on)\s+(?:the\s+)?maturity"
     r"(?:\s+date)?|pay\s+(?:the\s+)?(?:accrued\s+)?interest\s+(?:\w+\s+){0,4}?(?:on|at|upon)\s+"
     r"(?:the\s+)?maturity(?:\s+date)?|in\s+a\s+single\s+(?:lump\s+sum|payment|installment))\b",
     "at maturity"),
]


@rule("interest_payment_frequency")
def _freq(ctx: Context) -> Found | None:
    for sent, t in ctx.where(r"interest"):
        if not re.search(r"payable|paid|\bpay\b|payment|accrue|lump\s+sum", t, IC):
            continue
        for pat, value in _FREQ:
            for m in re.finditer(pat, t, IC):
                near = t[max(0, m.start() - 150): m.end() + 80]
                if re.search(r"\bdefault\b", t[max(0, m.start() - 40): m.start()], IC) or \
                        not re.search(r"interest", near, IC) or \
                        re.search(r"(?:principal|installment|amortiz)\w*\s*$",
                                  t[max(0, m.start() - 30): m.start()] + " ", IC) or \
                        re.match(r"\s+(?:principal|installments?|amortiz)", t[m.end(1):], IC):
                    continue  # a default clause, or principal paid monthly: not the interest
                return found(sent, m, 1, value)
    return None


@rule("maturity_date")
def _maturity_date(ctx: Context) -> Found | None:
    pats = [
        rf"matur(?:e|es|ing)\s+(?:on\s+)?({D})",
        rf"maturity\s+date\s+(?:of|is|will\s+be|on|to)\s+({D})",
        rf"due\s+(?:and\s+payable\s+)?(?:on\s+)?({D})",
        rf"matur(?:e|es|ity)\b(?:[^.]|\.(?=\d)){{0,40}}?\bon\s+({D})",
        rf"({D})\s*\((?:the\s+)?\"Maturity\s+Date\"\)",
        rf"Maturity\s+Date\s*[:,]?\s*\|?\s*({D})",
        rf"\"Maturity\s+Date\"\)?\s*:?\s*(?:\((?:i|a|1)\)\s+)?({D})",
        rf"promises?\s+to\s+pay(?:[^.]|\.(?=\d)){{0,300}}?\b(?:on|by)\s+({D})",
        rf"due\s+on\s+the\s+earlier\s+of\s+(?:\((?:i|a|1)\)\s+)?({D})",
    ]
    return first(ctx, pats, iso_date, topic="note") or caption(ctx, r"Maturity\s+Date", D,
                                                               iso_date)


@rule("maturity_term_months")
def _maturity_term(ctx: Context) -> Found | None:
    pats = [
        rf"matur\w*(?:\s+date)?\s+(?:of\s+|is\s+|will\s+be\s+|on\s+the\s+date\s+)?({DUR})\s+"
        r"(?:from|after|following)",
        rf"({DUR})\s+(?:from|after|following)\s+(?:the\s+)?(?:date\s+of\s+(?:issuance|issue)|"
        r"issuance|issue\s+date|original\s+issue\s+date|closing(?:\s+date)?)",
        rf"(?:term|maturity)\s+of\s+({DUR})",
        rf"(?:matur\w*|due)\s+in\s+({DUR})",
        rf"(?:repaid|repayable|payable|amortiz\w+)\s+over\s+({DUR})",
        rf"\b({NUMBER}[\s-]+(?:months?|years?))[\s-]+terms?\b",
        rf"\b({NUMBER}[\s-]+(?:months?|years?))[\s-]+term\b",
        rf"\b({NUMBER}[\s-]+(?:months?|years?))[\s-]+(?:\d+(?:\.\d+)?%\s+)?(?:(?:senior|secured|"
        r"convertible|promissory|unsecured|subordinated)\s+)*(?:notes?|debentures?)",
    ]
    return first(ctx, pats, months, pred=r"matur|\bdue\b|\bterm\b|notes?\b|debentures?\b",
                 topic="note", strict_topic=True)
