"""Term extraction: a filing's narrative → deal terms, each with provenance (rules, then a learned
scorer for the numeric terms).

Layout: ``sentences`` (narrative regions and the sentence splitter), ``registry`` (``Found``,
``Context``, ``@rule`` and ``RULES``), ``matching`` (what the rules share: value patterns, the
first-match search, topic detection, converters), and one module per group of terms:
``parties``, ``principal``, ``interest``, ``conversion``, ``warrants``, ``registration``,
``securities_law``. A term rule lives in its group's module and registers itself with
``@rule("key")``; adding one touches that module (and its tests) only.

After the rules, the numeric terms go through the learned scorer: ``mentions`` finds every typed
figure of the narrative, ``scorer`` scores each plausible one per term with the shipped model
and combines it with the rule's answer under the term's policy (``rules_only=True`` skips it: the
rules alone). ``decisions`` collects, per term, the candidates
considered and why one won (``pipedeal extract --explain``).

``TERM_KEYS`` (the order of the terms in every result) is the order of ``GROUPS`` below, then the
order of the rules inside each module.
"""

from __future__ import annotations

import re

from pipedeal.filings import budget
from pipedeal.filings.extraction import (
    conversion,
    interest,
    parties,
    principal,
    registration,
    securities_law,
    warrants,
)
from pipedeal.filings.extraction.mentions import find_mentions
from pipedeal.filings.extraction.registry import NOT_FOUND, RULES, Context, Found, rule
from pipedeal.filings.extraction.scorer import (
    SPECS,
    Decision,
    TermModel,
    candidates,
    decide,
    load_model,
)
from pipedeal.filings.extraction.sentences import (
    MAX_NARRATIVE_CHARS,
    MAX_SENTENCES,
    Sentence,
    narrative_regions,
    narrative_truncated,
    sentences,
)
from pipedeal.filings.structure import Filing

_FINANCING = re.compile(r"debenture|\bnotes?\b|\bloans?\b", re.IGNORECASE)
GROUPS = (parties, principal, interest, conversion, warrants, registration, securities_law)
TERM_KEYS: tuple[str, ...] = tuple(
    key for group in GROUPS for key, fn in RULES.items() if fn.__module__ == group.__name__)


def rule_terms(ctx: Context) -> dict[str, Found | None]:
    """Every term as its rule reads it."""
    found: dict[str, Found | None] = {}
    for key in TERM_KEYS:
        budget.check()  # the per-document time budget (pipedeal.filings.budget)
        found[key] = RULES[key](ctx)
    return found


def extract_terms(filing: Filing, sents: list[Sentence] | None = None, *,
                  rules_only: bool = False, decisions: dict[str, Decision] | None = None
                  ) -> dict[str, Found | None]:
    """Every term of ``TERM_KEYS``: a ``Found`` or ``None`` when the narrative does not say it."""
    if sents is None:
        sents = sentences(filing.text, narrative_regions(filing))
    ctx = Context(filing, sents[:MAX_SENTENCES])
    found = rule_terms(ctx)
    if rules_only:
        return found
    models = load_model()
    if not models and decisions is None:
        return found
    if not _FINANCING.search(ctx.flat):
        models = {}  # no note or debenture in the text: no figure of it is a deal term
    # the model is only asked where its answer can count (or where --explain shows it)
    need = [key for key in SPECS if decisions is not None or _asks_model(models.get(key),
                                                                         found[key])]
    if not need:
        return found
    mentions = find_mentions(ctx, {SPECS[key][0] for key in need})
    for key in need:
        budget.check()
        cands = candidates(key, mentions, found[key], lambda i: ctx.sents[i].text)
        decision = decide(key, models.get(key), found[key], cands)
        found[key] = decision.found
        if decisions is not None:
            decisions[key] = decision
    return found


def _asks_model(model: TermModel | None, rule_found: Found | None) -> bool:
    if model is None:
        return False
    return model.mode in ("model", "rule_checked") or (model.mode == "rule_then_model"
                                                        and rule_found is None)


__all__ = [
    "GROUPS",
    "MAX_NARRATIVE_CHARS",
    "MAX_SENTENCES",
    "NOT_FOUND",
    "RULES",
    "TERM_KEYS",
    "Context",
    "Found",
    "Sentence",
    "extract_terms",
    "rule_terms",
    "narrative_regions",
    "narrative_truncated",
    "rule",
    "sentences",
]
