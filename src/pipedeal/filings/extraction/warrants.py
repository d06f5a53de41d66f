"""Warrants: how many shares they cover (or the coverage), the exercise price, and how long they
last (a term in years or an expiration date).

Terms: ``warrant_shares``, ``warrant_coverage_pct``, ``warrant_exercise_price_usd``,
``warrant_term_years``, ``warrant_expiration_date``.
"""

from __future__ import annotations

import re

from pipedeal.filings.extraction.matching import (
    DUR,
    MONEY_LIST,
    D,
    M,
    P,
    count_big,
    first,
    found,
    iso_date,
    money_list,
    pct,
    topic_at,
    value_of,
    years,
)
from pipedeal.filings.extraction.registry import IC, Context, Found, rule
from pipedeal.filings.numbers import DIGITS, NUMBER


@rule("warrant_shares")
def _warrant_shares(ctx: Context) -> Found | None:
    pats = [
        rf"warrants?\s+(?:to\s+(?:purchase|acquire)|exercisable\s+(?:for|into))\s+(?:an\s+aggregate\s+of\s+|"
        rf"up\s+to\s+(?:an\s+aggregate\s+of\s+)?|a\s+total\s+of\s+|approximately\s+)?({NUMBER}(?:\s*\(\d[\d,]*\))?(?:\s+million)?)\s+"
        r"(?:additional\s+)?shares",
        rf"({NUMBER})\s+shares\s+(?:of\s+(?:our\s+|the\s+Company's\s+|its\s+)?common\s+stock\s+)?"
        r"(?:issuable\s+upon\s+(?:the\s+)?exercise\s+of|underlying)\s+(?:the\s+|such\s+)?warrants",
        rf"({DIGITS})\s+(?:[\w]+[\s-]year\s+)?(?:common\s+stock\s+)?(?:purchase\s+)?warrants\b",
        rf"warrants?\s+(?:for|exercisable\s+(?:over|for)\s+[^.]{{0,40}}?for)\s+(?:up\s+to\s+)?"
        rf"(?:an\s+aggregate\s+of\s+)?((?:{DIGITS})(?:\s+million)?)\s+(?:additional\s+|common\s+)?shares",
        rf"({DIGITS})\s+shares\s+of\s+(?:our\s+|the\s+Company's\s+)?(?:class\s+a\s+)?common\s+stock\s+"
        r"underlying\s+(?:a|the)\s+warrants?",
    ]
    return first(ctx, pats, _share_count, pred=r"warrant")


def _share_count(text: str) -> int | None:
    """A share count; a bare year ("the 2011 warrants") is not one."""
    if re.fullmatch(r"\s*(?:19|20)\d\d\s*", text):
        return None
    return count_big(text)


@rule("warrant_coverage_pct")
def _coverage(ctx: Context) -> Found | None:
    pats = [
        rf"({P})\s+(?:warrant\s+)?coverage",
        rf"(?:equal\s+to|representing|of)\s+({P})\s+of\s+(?:the\s+)?(?:aggregate\s+|original\s+)?"
        r"(?:principal|amount|face|number\s+of\s+(?:conversion\s+)?shares|conversion\s+shares|"
        r"shares\s+(?:of\s+common\s+stock\s+)?(?:issuable|underlying))",
    ]
    return first(ctx, pats, pct, pred=r"warrant", topic="warrant")


@rule("warrant_exercise_price_usd")
def _exercise(ctx: Context) -> Found | None:
    pats = [
        rf"exercise\s+price\s+(?:per\s+share\s+)?(?:of|equal\s+to|is|will\s+be)?\s*(?:initially\s+)?({MONEY_LIST})",
        rf"exercisable\s+(?:at|for)[^.$]{{0,60}}?(?:price\s+of\s+)?(?:US\s?)?({M})\s+(?:per\s+share|each|"
        r"apiece|a\s+share)",
        rf"exercise\s+price\s+of\s+the\s+(?:[\w-]+\s+)?warrants?\s+(?:is|will\s+be|was)\s+({M})",
        rf"warrants?\b(?:[^.$]|\.(?=\d)){{0,80}}?\bexercisable\s+(?:for\s+[^.$]{{0,30}}?\s+)?at\s+"
        rf"(?:US\s?)?({M})"
        r"(?!\s*(?:million|billion))",
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
                values = money_list(m.group(1))
                if values and all(0 < v < 100000 for v in values):
                    return found(sent, m, 1, value_of(values))
    return None


@rule("warrant_term_years")
def _warrant_term(ctx: Context) -> Found | None:
    pats = [
        rf"(?:expire|expiring|terminate|exercisable)\s+(?:on\s+the\s+date\s+)?(?:for\s+(?:a\s+(?:period|term)\s+of\s+)?)?({DUR})"
        r"\s+(?:from|after|following)",
        rf"(?:term|life)\s+of\s+({DUR})",
        rf"\b({NUMBER}[\s-]+years?),?[\s-]+(?:(?:fully|vested|cashless|common|stock|purchase|"
        r"callable|detachable|immediately|exercisable|Series\s+\w)[\s,-]+){0,4}warrants?",
        rf"exercisable\s+for\s+(?:a\s+period\s+of\s+)?({DUR})",
        rf"for\s+a\s+(?:period|term)\s+of\s+({DUR})",
    ]
    return first(ctx, pats, years, pred=r"warrant", topic="warrant")


@rule("warrant_expiration_date")
def _warrant_expiry(ctx: Context) -> Found | None:
    pats = [
        rf"expir\w*\s+(?:on|date\s+of|date\s+is)\s+({D})",
        rf"exercisable\s+(?:until|through)\s+({D})",
        rf"warrants?\b(?:[^.]|\.(?=\d)){{0,160}}?\b(?:through|until)\s+({D})",
    ]
    return first(ctx, pats, iso_date,
                 pred=r"warrant", topic="warrant")
