"""Several financings in one text: where each begins, so that each is read on its own.

A 10-Q note or an 8-K often tells of more than one note ("On January 14, 2019 we issued a
$65,000 note ...; on March 2, 2019 we issued a second note of $53,000 ..."). A *head* is a
sentence that issues, sells or enters into a note or debenture and states both a date and an
amount of at least $10,000; a new financing starts at a head whose date and amount both differ
from those of every head before it. Each financing is the run of sentences from its head to the
next one (the sentences before the first head go with the first). One financing, or none: the
filing's terms are the whole text's, as before.
"""

from __future__ import annotations

import re
from decimal import Decimal

from pipedeal.filings.extraction.registry import IC
from pipedeal.filings.extraction.sentences import Sentence
from pipedeal.filings.numbers import DATE_RE, MONEY_RE, parse_date, parse_money

MAX_FINANCINGS = 20
_HEAD = re.compile(r"\b(?:entered\s+into|issued|sold|closed|executed|consummated|completed|"
                   r"funded|borrowed)\b", IC)
_INSTRUMENT = re.compile(r"\b(?:notes?|debentures?)\b", IC)
MIN_AMOUNT = Decimal(10_000)


def _head(text: str) -> tuple[object, Decimal] | None:
    if not (_HEAD.search(text) and _INSTRUMENT.search(text)):
        return None
    day = next((d for d in (parse_date(m.group(0)) for m in DATE_RE.finditer(text)) if d), None)
    amount = next((v for v in (parse_money(m.group(0)) for m in MONEY_RE.finditer(text))
                   if v is not None and v >= MIN_AMOUNT), None)
    if day is None or amount is None:
        return None
    return day, amount


def split_financings(sents: list[Sentence], texts: list[str]) -> list[list[Sentence]]:
    """The sentences of each financing, in order; a single list when there is one (or none)."""
    starts: list[int] = []
    days: set[object] = set()
    amounts: set[Decimal] = set()
    for i, t in enumerate(texts):
        head = _head(t)
        if head is None:
            continue
        day, amount = head
        if not starts or (day not in days and amount not in amounts):
            starts.append(i)
            if len(starts) > MAX_FINANCINGS:
                break
        days.add(day)
        amounts.add(amount)
    if len(starts) < 2:
        return [sents]
    bounds = [0, *starts[1:], len(sents)]
    return [sents[a:b] for a, b in zip(bounds, bounds[1:], strict=False) if b > a]
