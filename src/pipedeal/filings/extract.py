"""Deal terms from a filing's narrative, each with provenance, ``None`` when the text is silent.

Rules are patterns over sentences; for the numeric terms a small learned scorer (weights shipped
as JSON, see ``extraction.scorer``) chooses among the typed figures of the text and the rule's
answer; no network. A term is only reported when a sentence states it; derived values are
limited to unit conversions (years → months, "25% discount" → 75%) and "in thousands" scaling.
Every found term carries its character span in ``Filing.text`` and the sentence it came from;
``financings`` lists each financing of a text that tells of several, and ``explain=True`` adds
the candidates considered per term.

This module is the entry point (text or file → the ``extract`` JSON); the machinery lives in
``pipedeal.filings.extraction`` (sentences, the rule registry, one module per group of terms).
The names it has always exported are still importable from here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipedeal.errors import UserError
from pipedeal.filings.budget import ExtractionTimeout, check, time_budget
from pipedeal.filings.extraction import TERM_KEYS, extract_terms
from pipedeal.filings.extraction.conversion import conversion_formula
from pipedeal.filings.extraction.financings import split_financings
from pipedeal.filings.extraction.matching import DUR, MONEY_LIST, D, M, P, topic_at
from pipedeal.filings.extraction.registry import IC, NOT_FOUND, RULES, Found, Rule, rule, rx
from pipedeal.filings.extraction.scorer import Decision
from pipedeal.filings.extraction.sentences import (
    MAX_NARRATIVE_CHARS,
    MAX_SENTENCES,
    Sentence,
    narrative_regions,
    narrative_truncated,
    sentences,
)
from pipedeal.filings.structure import MAX_BYTES, parse_filing

EXTRACT_SCHEMA_VERSION = 1

__all__ = [
    "D",
    "DUR",
    "EXTRACT_SCHEMA_VERSION",
    "IC",
    "M",
    "MAX_NARRATIVE_CHARS",
    "MAX_SENTENCES",
    "MONEY_LIST",
    "NOT_FOUND",
    "P",
    "RULES",
    "TERM_KEYS",
    "Found",
    "Rule",
    "Sentence",
    "conversion_formula",
    "extract_file",
    "extract_terms",
    "extract_text",
    "narrative_regions",
    "narrative_truncated",
    "read_filing_file",
    "rule",
    "rx",
    "sentences",
    "term_values",
    "topic_at",
]


def extract_text(raw: str, *, seconds: float | None = None, rules_only: bool = False,
                 explain: bool = False) -> dict[str, Any]:
    """``{schema_version, filing, registrant, terms}`` for a filing's text, within the
    per-document time budget (``seconds``, default ``pipedeal.filings.budget.default_seconds``;
    running out is a ``UserError``). ``rules_only``: without the learned scorer; ``explain``:
    adds ``explain``, per term the candidates considered and why one won."""
    decisions: dict[str, Decision] | None = {} if explain else None
    with time_budget(seconds):
        filing = parse_filing(raw)
        check()
        sents = sentences(filing.text, narrative_regions(filing))
        check()
        terms = extract_terms(filing, sents, rules_only=rules_only, decisions=decisions)
        flat = filing.text.replace("\n", " ")
        parts = split_financings(sents, [flat[x.start: x.end] for x in sents[:MAX_SENTENCES]])
        several = [extract_terms(filing, part, rules_only=rules_only)
                   for part in parts] if len(parts) > 1 else []
    out = {
        "schema_version": EXTRACT_SCHEMA_VERSION,
        "filing": {**filing.to_json(),
                   "narrative_truncated": narrative_truncated(filing, len(sents))},
        "registrant": filing.registrant,
        "terms": _terms_json(terms),
        "financings": [{"terms": _terms_json(t)} for t in several],
    }
    if decisions is not None:
        out["explain"] = explain_json(terms, decisions)
    return out


def _terms_json(terms: dict[str, Found | None]) -> dict[str, Any]:
    return {k: (f.to_json() if f else dict(NOT_FOUND)) for k, f in terms.items()}


MAX_EXPLAINED = 8  # candidates listed per term, best first


def explain_json(terms: dict[str, Found | None], decisions: dict[str, Decision]
                 ) -> dict[str, Any]:
    """Per term: how its value was chosen (``rule`` / ``model`` / ``none``), why, and the
    candidates considered with their scores (terms without a model: the rule's match only)."""
    out: dict[str, Any] = {}
    for key, f in terms.items():
        d = decisions.get(key)
        if d is None:
            out[key] = {"by": "rule" if f else "none",
                        "reason": "rule match" if f else "no rule match (rule-only term)",
                        "candidates": ([{"value": f.value, "span": list(f.span) if f.span
                                         else None, "score": None, "rule": True}] if f else [])}
            continue
        out[key] = {"by": d.by, "reason": d.reason, "candidates": [
            {"value": c.value, "span": list(c.span) if c.span else None,
             "score": round(c.score, 3), "rule": c.rule} for c in d.candidates[:MAX_EXPLAINED]]}
    return out


def read_filing_file(path: Path | str) -> str:
    """A filing's text; a missing, huge, binary or undecodable file is a ``UserError``."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise UserError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if not path.is_file():
        raise UserError(f"{path}: not a file")
    if size > MAX_BYTES:
        raise UserError(f"{path}: {size:,} bytes is more than the {MAX_BYTES:,}-byte limit")
    data = path.read_bytes()
    if b"\x00" in data[:8192]:
        raise UserError(f"{path}: looks binary (NUL bytes), not a filing's text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def extract_file(path: Path | str, *, seconds: float | None = None, rules_only: bool = False,
                 explain: bool = False) -> dict[str, Any]:
    """``extract_text`` of a file, with ``source``; a fault names the file."""
    try:
        data = extract_text(read_filing_file(path), seconds=seconds, rules_only=rules_only,
                            explain=explain)
    except ExtractionTimeout as exc:
        raise ExtractionTimeout(f"{path}: {exc.message}") from None
    data["source"] = str(path)
    return data


def term_values(data: dict[str, Any]) -> dict[str, Any]:
    """Only the values of an ``extract`` result's terms."""
    return {k: v["value"] for k, v in data["terms"].items()}
