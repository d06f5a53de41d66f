"""The learned scorer: for each numeric term, which mention (if any) states it.

For a term, the candidates are the mentions of its kind (``mentions``) whose value is plausible
for it (a conversion price is under $1,000, a principal at least $1,000 ...), plus the rule's
answer when no mention carries it (a list of per-closing prices). Each candidate's features are
its mention's (words around it, sentence cues, topic) and whether the term's rule chose it. A
logistic model per term (weights in ``pipedeal/filings/extract_model.json``, fitted by
``python3 -m pipedeal.filings.train`` on the train split) scores each candidate; the term's
*policy*, chosen on the train split by cross-validation, says how rule and model combine:

* ``rule``: the rule's answer (the model did no better than the rule);
* ``rule_then_model``: the rule's answer when it has one, else the best candidate scoring at least
  the threshold, else nothing;
* ``rule_checked``: the rule's answer when the model scores it at least the threshold, else the
  best candidate scoring at least the threshold, else nothing;
* ``model``: the best candidate (the rule's among them) scoring at least the threshold.

The model file is plain JSON read lazily on first use (no pickle, no scikit-learn at run time).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from pipedeal.filings.extraction.mentions import Mention
from pipedeal.filings.extraction.registry import Found
from pipedeal.filings.numbers import months_of, plain

MODEL_PATH = Path(__file__).resolve().parents[1] / "extract_model.json"


def _money_big(v: Any) -> Any:
    return plain(v) if v >= 1000 else None


def _price(v: Any) -> Any:
    return plain(v) if 0 < v < 1000 else None


def _rate(v: Any) -> Any:
    return plain(v) if 0 < v <= 50 else None


def _cover(v: Any) -> Any:
    return plain(v) if 0 < v <= 500 else None


def _cap(v: Any) -> Any:
    return plain(v) if 0 < v < 50 else None


def _iso(v: Any) -> Any:
    return v.isoformat()


def _months(v: Any) -> Any:
    n, unit = v
    m = months_of(n, unit)
    return m if m is not None and 1 <= m <= 600 else None


def _years(v: Any) -> Any:
    n, unit = v
    if unit == "years" and n <= 30:
        return plain(n)
    if unit == "months" and n % 12 == 0 and n <= 360:
        return plain(n / 12)
    return None


def _days(v: Any) -> Any:
    n, unit = v
    return int(n) if unit == "days" and n == int(n) and 1 <= n <= 1000 else None


def _whole(v: Any) -> Any:
    return int(v)


# term → (mention kind, mention value → JSON value or None when implausible for the term)
SPECS: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "event_date": ("date", _iso),
    "num_purchasers": ("count", _whole),
    "principal_amount_usd": ("money", _money_big),
    "purchase_price_usd": ("money", _money_big),
    "net_proceeds_usd": ("money", _money_big),
    "oid_pct": ("percent", _rate),
    "interest_rate_pct": ("percent", _rate),
    "default_interest_rate_pct": ("percent", _rate),
    "maturity_date": ("date", _iso),
    "maturity_term_months": ("duration", _months),
    "conversion_price_usd": ("money", _price),
    "conversion_floor_price_usd": ("money", _price),
    "warrant_shares": ("shares", _whole),
    "warrant_coverage_pct": ("percent", _cover),
    "warrant_exercise_price_usd": ("money", _price),
    "warrant_term_years": ("duration", _years),
    "warrant_expiration_date": ("date", _iso),
    "registration_filing_deadline_days": ("duration", _days),
    "registration_effectiveness_deadline_days": ("duration", _days),
    "beneficial_ownership_cap_pct": ("percent", _cap),
}


_NOTE_MONEY = {"principal_amount_usd", "purchase_price_usd", "net_proceeds_usd"}


@dataclass
class Candidate:
    value: Any
    span: tuple[int, int] | None
    sentence: str | None
    features: frozenset[str]
    rule: bool  # the term's rule gave this value
    score: float = 0.0


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) \
            and not isinstance(a, bool) and not isinstance(b, bool):
        return Decimal(str(a)) == Decimal(str(b))
    return bool(a == b)


def _bucket(value: Any) -> str:
    """The order of magnitude of a number (digits before the point), as a feature."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
        return f"mag:{len(str(int(value))) - 1}" if value >= 1 else "mag:-1"
    return "mag:none"


def candidates(key: str, mentions: list[Mention], rule_found: Found | None,
               sentence_of: Callable[[int], str]) -> list[Candidate]:
    """The candidates for ``key``: plausible mentions of its kind, and the rule's answer."""
    kind, convert = SPECS[key]
    out: list[Candidate] = []
    rule_value = rule_found.value if rule_found else None
    rule_span = rule_found.span if rule_found else None
    rule_seen = False
    seen_values: list[Any] = []
    for m in mentions:
        if m.kind != kind:
            continue
        value = convert(m.value)
        if value is None:
            continue
        feats = set(m.features)
        feats.add(_bucket(value))
        is_rule = rule_found is not None and _same(value, rule_value)
        if is_rule:
            rule_seen = True
            feats.add("rule_value")
            if rule_span and m.start < rule_span[1] and rule_span[0] < m.end:
                feats.add("rule_here")
        if any(_same(value, v) for v in seen_values):
            feats.add("repeat")
        else:
            feats.add("first_of_value")
        if not seen_values:
            feats.add("first_of_kind")
        seen_values.append(value)
        out.append(Candidate(value, (m.start, m.end), sentence_of(m.sent), frozenset(feats),
                             is_rule))
    if key in _NOTE_MONEY and any("S:non-convertible" not in c.features for c in out):
        # a non-convertible note's figures are not the convertible financing's
        out = [c for c in out if "S:non-convertible" not in c.features]
    if rule_found is not None and not rule_seen:
        out.append(Candidate(rule_value, rule_found.span, rule_found.sentence,
                             frozenset({"rule_only", "rule_value", "rule_here"}), True))
    return out


@dataclass(frozen=True)
class TermModel:
    bias: float
    weights: dict[str, float]
    mode: str  # rule | rule_then_model | rule_checked | model
    threshold: float

    def score(self, features: frozenset[str]) -> float:
        z = self.bias + sum(self.weights.get(f, 0.0) for f in features)
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


@lru_cache(maxsize=4)
def load_model(path: str = str(MODEL_PATH)) -> dict[str, TermModel]:
    """The per-term models of a model file; none (rules only) when the file is absent."""
    p = Path(path)
    if not p.exists():
        return {}
    data = json.loads(p.read_text(encoding="utf-8"))
    return {key: TermModel(float(t["bias"]), {k: float(w) for k, w in t["weights"].items()},
                           str(t["mode"]), float(t["threshold"]))
            for key, t in data["terms"].items()}


@dataclass
class Decision:
    """What a term's value came from: the chosen ``Found`` and the candidates considered."""
    found: Found | None
    by: str  # rule | model | none
    reason: str
    candidates: list[Candidate]


def decide(key: str, model: TermModel | None, rule_found: Found | None,
           cands: list[Candidate]) -> Decision:
    """The term's value under its policy (see the module's docstring)."""
    if model is None:
        why = "rule (no model for this term)" if rule_found else "no rule match, no model"
        return Decision(rule_found, "rule" if rule_found else "none", why, cands)
    for c in cands:
        c.score = model.score(c.features)
    cands.sort(key=lambda c: -c.score)
    best = cands[0] if cands else None
    if model.mode == "rule" or (model.mode == "rule_then_model" and rule_found is not None):
        if rule_found is not None:
            return Decision(rule_found, "rule", f"rule match (policy {model.mode})", cands)
        return Decision(None, "none", "no rule match (policy rule: the model is not used)", cands)
    if best is None:
        return Decision(None, "none", "no candidate", cands)
    if model.mode == "rule_checked" and rule_found is not None:
        mine = next((c for c in cands if c.rule), None)
        if mine is not None and mine.score >= model.threshold:
            return Decision(rule_found, "rule", f"rule match, scored {mine.score:.2f} ≥ "
                            f"{model.threshold:.2f}", cands)
    if best.score < model.threshold:
        return Decision(None, "none", f"best score {best.score:.2f} is below the threshold "
                        f"{model.threshold:.2f}", cands)
    how = "the rule's value" if best.rule else "not the rule's value"
    return Decision(Found(best.value, best.span, best.sentence), "model",
                    f"highest score {best.score:.2f} ≥ {model.threshold:.2f} ({how})", cands)
