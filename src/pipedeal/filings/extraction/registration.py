"""Registration rights: whether the purchasers have them, and the deadlines (days) for filing the
resale registration statement and for its effectiveness.

Terms: ``registration_rights``, ``registration_filing_deadline_days``,
``registration_effectiveness_deadline_days``.
"""

from __future__ import annotations

import re

from pipedeal.filings.extraction.matching import count, found
from pipedeal.filings.extraction.registry import IC, Context, Found, rule
from pipedeal.filings.numbers import NUMBER


@rule("registration_rights")
def _registration(ctx: Context) -> Found | None:
    pats = [
        (r"\b(no\s+registration\s+rights|not\s+(?:been\s+)?granted\s+(?:any\s+)?registration\s+rights)",
         False),
        (r"\b(registration\s+rights(?:\s+agreement)?)\b", True),
        (r"\b((?:agreed|obligated|required|must|shall|will|undertook|undertakes|committed)"
         r"(?:\s+\w+){0,2}?\s+(?:to\s+)?(?:file|register|prepare)"
         r"(?:[^.]|\.(?=\d)){0,80}?(?:registration\s+statement|shelf))", True),
        (r"\b((?:agreed|obligated|required|undertook|committed)\s+to\s+register\s+(?:the\s+)?"
         r"(?:resale\s+of\s+(?:the\s+)?)?(?:common\s+)?shares)", True),
    ]
    for sent, t in ctx.where(r"registration|register"):
        for pat, value in pats:
            m = re.search(pat, t, IC)
            if m:
                return found(sent, m, 1, value)
    return None


_DAYS = (rf"(?:({NUMBER}(?:\s*\(\d+\))?)\s+(?:calendar\s+|business\s+|trading\s+)?days?|"
         r"(\d+)(?:st|nd|rd|th)\s+(?:calendar\s+|business\s+)?day)")


def _deadlines(ctx: Context) -> dict[str, Found]:
    out: dict[str, Found] = {}
    pat = re.compile(rf"(?:within|no\s+later\s+than|not\s+later\s+than|by)\s+(?:the\s+)?{_DAYS}"
                     r"(?:\s+(?:after|following|from|of))?", IC)
    for sent, t in ctx.where(r"registration\s+statement|registration\s+rights|registrable|"
                             r"resale"):
        for m in pat.finditer(t):
            g = 1 if m.group(1) else 2
            n = count(m.group(g))
            if n is None:
                continue
            before = t[: m.start()]
            fil = max((x.start() for x in re.finditer(r"\bfil(?:e|ed|ing)\b", before, IC)),
                      default=-1)
            eff = max((x.start() for x in re.finditer(r"effective", before, IC)), default=-1)
            if fil < 0 and eff < 0:
                continue
            key = "filing" if fil > eff else "effectiveness"
            out.setdefault(key, found(sent, m, g, n))
    return out


@rule("registration_filing_deadline_days")
def _reg_filing(ctx: Context) -> Found | None:
    return _deadlines(ctx).get("filing")


@rule("registration_effectiveness_deadline_days")
def _reg_eff(ctx: Context) -> Found | None:
    return _deadlines(ctx).get("effectiveness")
