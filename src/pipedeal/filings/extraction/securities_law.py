"""Securities-law terms: the beneficial-ownership cap on conversion and exercise (the blocker),
and the registration exemptions the sale relies on.

Terms: ``beneficial_ownership_cap_pct``, ``exemption``.
"""

from __future__ import annotations

import re

from pipedeal.filings.extraction.matching import P, first, found, pct
from pipedeal.filings.extraction.registry import IC, Context, Found, rule
from pipedeal.filings.extraction.sentences import Sentence


@rule("beneficial_ownership_cap_pct")
def _cap(ctx: Context) -> Found | None:
    return first(ctx, [rf"({P})"], lambda s: pct(s) if (pct(s) or 100) < 50 else None,
                 pred=r"beneficial(?:ly)?\s+own|ownership\s+(?:limitation|of\s+more\s+than|cap)|"
                      r"blocker|holdings\s+are\s+limited|(?:would|to)\s+(?:own|hold)\s+more\s+than|"
                      r"(?:in\s+excess\s+of|more\s+than)\s+[\d.]+%\s+of\s+the\s+(?:Company's\s+)?"
                      r"(?:then\s+)?(?:issued\s+and\s+)?outstanding")


_EXEMPTION = re.compile(
    r"Rules?\s+506(?:\s*\([bc]\))?(?:\s+of\s+(?:the\s+)?Regulation\s+D)?|Section\s+4\s*\(\s*a\s*\)\s*\(\s*2\s*\)|"
    r"Section\s+4\s*\(\s*2\s*\)|Section\s+3\s*\(\s*a\s*\)\s*\(\s*9\s*\)|"
    r"Section\s+4\s*\(\s*a\s*\)\s*\(\s*5\s*\)|Section\s+4\s*\(\s*6\s*\)|Regulation\s+S\b(?!-)|"
    r"Regulation\s+D\b(?!-)|Rule\s+144A|Rule\s+50[45]\b", IC)


def _canonical(text: str) -> str:
    """"RULES 506 OF THE REGULATION D" → "Rule 506 of Regulation D" (the words as the SEC writes
    them; the figures and letters as given)."""
    words = " ".join(text.split())
    words = re.sub(r"^rules\b", "Rule", words, flags=IC)
    words = re.sub(r"\bof\s+the\s+regulation\b", "of Regulation", words, flags=IC)
    words = re.sub(r"\b(rule|regulation|section|of)\b",
                   lambda m: m.group(1).lower() if m.group(1).lower() == "of"
                   else m.group(1).capitalize(), words, flags=IC)
    return re.sub(r"(?<=Regulation )([ds])\b", lambda m: m.group(1).upper(), words)


@rule("exemption")
def _exemption(ctx: Context) -> Found | None:
    values: list[str] = []
    earliest: tuple[Sentence, re.Match[str]] | None = None
    for sent, t in ctx.where(r"exempt|reliance|relied|relying|safe\s+harbor|pursuant\s+to|"
                             r"\bunder\s+(?:the\s+)?(?:Regulation|Rule|Section)|in\s+accordance\s+with|"
                             r"offshore|private\s+placement|accredited"):
        taken: list[tuple[int, int]] = []
        for m in _EXEMPTION.finditer(t):
            if any(a <= m.start() < b for a, b in taken):
                continue
            if re.search(r"Rule\s+501\s*\(a\)\s+of\s+$|defined\s+in\s+$|promulgated\s+$",
                         t[max(0, m.start() - 20): m.start()], IC):
                continue
            if re.search(r"transfer|resale|resold|re-?sell|assign|pledge|hypothecat|"
                         r"rule\s+144\s+or\s+(?:under\s+)?\Z",
                         t[max(0, m.start() - 80): m.start()], IC):
                continue  # a legend on how the holder may resell, not the issuer's exemption
            taken.append(m.span())
            value = _canonical(m.group(0))
            if value not in values:
                values.append(value)
                if earliest is None:
                    earliest = (sent, m)
    if not values or earliest is None:
        return None
    if any(re.match(r"Rule\s+50[56]", v) and "Regulation D" in v for v in values):
        values = [v for v in values if v != "Regulation D"]  # said twice, once in full
    return found(earliest[0], earliest[1], 0, values)
