"""The prepayment clause of a filing, read into the facts the deal's terms state.

A disclosure usually compresses the note's prepayment right into one or two sentences ("We have
an option to make one prepayment of the note, in whole or in part, without penalty at any time
after three months. ... the purchaser may elect within 3 days to convert"). ``prepayment_facts``
reads the facts such a passage states — how many prepayments, whole or part, the penalty, the
earliest time, the holder's election window — so the filing check can compare each with the
deal's ``note.prepayment`` terms. A fact the passage does not state is left out (never guessed).
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from pipedeal.filings.numbers import parse_number

_COUNT = r"(?:one|a single|two|three|four|five|\d{1,2})"
_WORD = r"(?:[a-z]+(?:-[a-z]+)?|\d{1,3})"


def _number(text: str) -> int | None:
    if text.lower() == "a single":
        return 1
    n = parse_number(text)
    return None if n is None or n != int(n) else int(n)


def prepayment_facts(text: str) -> dict[str, Any]:
    """Facts stated in a prepayment passage: ``max_notices``, ``partial_allowed``,
    ``premium_pct``, ``earliest_months_after_issue`` (with ``earliest_inclusive``),
    ``holder_election_days`` (with ``election_day_type`` when the passage says which)."""
    s = " ".join(text.lower().split())
    out: dict[str, Any] = {}
    m = re.search(rf"\b({_COUNT})\s+(?:optional\s+)?prepayments?\b", s)
    if m and (n := _number(m.group(1))) is not None:
        out["max_notices"] = n
    if re.search(r"\bin whole or in part\b|\bin whole or part\b|\ball or (?:any )?part\b", s):
        out["partial_allowed"] = True
    elif re.search(r"\bonly in whole\b|\bin whole only\b|\bbut not in part\b", s):
        out["partial_allowed"] = False
    if re.search(r"\bwithout (?:any )?(?:penalty|premium)\b", s):
        out["premium_pct"] = Decimal(0)
    elif m := re.search(r"\b(?:premium|penalty) of (\d{1,3}(?:\.\d{1,4})?)\s*%", s):
        out["premium_pct"] = Decimal(m.group(1))
    if m := re.search(rf"\b(on or after|after|following)\s+({_WORD})\s*(?:\(\d+\)\s*)?months?\b",
                      s):
        n = _number(m.group(2))
        if n is not None:
            out["earliest_months_after_issue"] = n
            out["earliest_inclusive"] = m.group(1) == "on or after"
    if m := re.search(rf"\bwithin\s+({_WORD})\s*(?:\(\d+\)\s*)?(business|trading|calendar)?\s*"
                      r"days?\b", s):
        n = _number(m.group(1))
        if n is not None:
            out["holder_election_days"] = n
            if m.group(2) in ("business", "trading"):
                out["election_day_type"] = "business"
            elif m.group(2) == "calendar":
                out["election_day_type"] = "calendar"
    return out
