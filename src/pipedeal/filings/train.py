"""Fit the extraction scorer on the train split and write the model file the package ships.

    python3 -m pipedeal.filings.train [FILE ...] [--out PATH] [--folds 5]

Default files: the real-filing train split (``tests/data/filings_real_train_*.txt``) and the
project's synthetic sets (``filings_labelled.txt``, ``filings_heldout*.txt``). Never the dev
split: a file whose name contains ``dev`` is refused.

For each numeric term (``extraction.scorer.SPECS``) every candidate of every passage is a row:
its features, and whether its value equals the passage's label. A logistic regression
(scikit-learn, L2) per term is fitted on the rows. The term's policy (``rule``,
``rule_then_model``, ``rule_checked`` or ``model``, with a threshold) and the regularisation C
are chosen by cross-validation grouped by issuer (no issuer in both a fold's fit and its test):
the policy with the most (passage, term) pairs right, a hallucination costing one pair more;
``rule`` unless another does better by at least three pairs, and ``model`` (which may overrule
the rule) only when it does three better than the best policy that keeps the rule's answer.
The weights and policies go to ``pipedeal/filings/extract_model.json`` (plain JSON; the
extractor reads it without scikit-learn).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipedeal.filings.evaluate import Passage, load, same
from pipedeal.filings.extraction import Context, rule_terms
from pipedeal.filings.extraction.mentions import find_mentions
from pipedeal.filings.extraction.scorer import MODEL_PATH, SPECS, candidates
from pipedeal.filings.extraction.sentences import MAX_SENTENCES, narrative_regions, sentences
from pipedeal.filings.structure import parse_filing

DATA = Path(__file__).resolve().parents[3] / "tests" / "data"
THRESHOLDS = [0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]
REGULARISATION = [0.1, 0.3, 1.0]  # logistic regression's C, chosen per term by CV
MARGIN = 3  # (passage, term) pairs a model policy must win by over the rule alone
MIN_WEIGHT = 0.01  # smaller weights are left out of the model file (too small to matter)
HALLUCINATION_COST = 1.0  # a value given where the label is null costs this much more
MODES = ["rule", "rule_then_model", "rule_checked", "model"]


def default_files() -> list[Path]:
    return (sorted(DATA.glob("filings_real_train_*.txt"))
            + [DATA / "filings_labelled.txt", DATA / "filings_heldout.txt",
               DATA / "filings_heldout2.txt"])


@dataclass
class Example:
    """One passage's view of one term: its label, the rule's value and the candidates."""
    group: str
    label: Any
    rule: Any
    feats: list[frozenset[str]]
    values: list[Any]
    hits: list[bool]
    is_rule: list[bool]


def examples(passages: list[Passage]) -> dict[str, list[Example]]:
    out: dict[str, list[Example]] = {k: [] for k in SPECS}
    for p in passages:
        filing = parse_filing(p.text)
        ctx = Context(filing, sentences(filing.text, narrative_regions(filing))[:MAX_SENTENCES])
        rules = rule_terms(ctx)
        mentions = find_mentions(ctx)
        group = str(p.meta.get("issuer") or p.id)
        sent_texts = [s.text for s in ctx.sents]
        for key in SPECS:
            label = p.labels.get(key)
            cands = candidates(key, mentions, rules[key], sent_texts.__getitem__)
            hit = rules[key]
            rule = hit.value if hit is not None else None
            out[key].append(Example(group, label, rule, [c.features for c in cands],
                                    [c.value for c in cands],
                                    [label is not None and same(key, c.value, label)
                                     for c in cands],
                                    [c.rule for c in cands]))
    return out


def _fit(exs: list[Example], c: float = 0.5) -> tuple[float, dict[str, float]] | None:
    from sklearn.feature_extraction import DictVectorizer  # type: ignore[import-untyped]
    from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]

    rows = [{f: 1 for f in fs} for e in exs for fs in e.feats]
    ys = [h for e in exs for h in e.hits]
    if len(set(ys)) < 2:
        return None
    vec = DictVectorizer()
    x = vec.fit_transform(rows)
    lr = LogisticRegression(C=c, max_iter=2000)
    lr.fit(x, ys)
    weights = {name: float(w) for name, w in zip(vec.get_feature_names_out(), lr.coef_[0],
                                                 strict=True) if abs(w) >= MIN_WEIGHT}
    return float(lr.intercept_[0]), weights


def _score(model: tuple[float, dict[str, float]] | None, feats: frozenset[str]) -> float:
    import math

    if model is None:
        return 0.0
    z = model[0] + sum(model[1].get(f, 0.0) for f in feats)
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


def _outcome(key: str, e: Example, scores: list[float], mode: str, thr: float) -> Any:
    if mode == "rule" or (mode == "rule_then_model" and e.rule is not None):
        return e.rule
    if not scores:
        return None
    if mode == "rule_checked" and e.rule is not None:
        mine = next((i for i, r in enumerate(e.is_rule) if r), None)
        if mine is not None and scores[mine] >= thr:
            return e.rule
    best = max(range(len(scores)), key=lambda i: scores[i])
    return e.values[best] if scores[best] >= thr else None


def _utility(key: str, exs: list[Example], scores: list[list[float]], mode: str,
             thr: float) -> float:
    total = 0.0
    for e, sc in zip(exs, scores, strict=True):
        got = _outcome(key, e, sc, mode, thr)
        total += same(key, got, e.label)
        if got is not None and e.label is None:
            total -= HALLUCINATION_COST
    return total


def _counts(key: str, exs: list[Example], scores: list[list[float]], mode: str, thr: float
            ) -> tuple[int, int, int, int]:
    """(right among labelled, labelled, values given where the label is null, null labels)."""
    right = labelled = halluc = nulls = 0
    for e, sc in zip(exs, scores, strict=True):
        got = _outcome(key, e, sc, mode, thr)
        if e.label is None:
            nulls += 1
            halluc += got is not None
        else:
            labelled += 1
            right += got is not None and same(key, got, e.label)
    return right, labelled, halluc, nulls


def choose_policy(key: str, exs: list[Example], folds: int
                  ) -> tuple[str, float, float, float, float, tuple[int, int, int, int]]:
    """(mode, threshold, regularisation C, cross-validated utility of the rule, of the chosen
    policy, the chosen policy's cross-validated counts)."""
    groups = sorted({e.group for e in exs})
    fold_of = {g: i % folds for i, g in enumerate(groups)}
    base = _utility(key, exs, [[] for _ in exs], "rule", 0.5)
    best = ("rule", 0.5, REGULARISATION[0], base)
    counts = _counts(key, exs, [[] for _ in exs], "rule", 0.5)
    for c in REGULARISATION:
        scores: list[list[float]] = [[] for _ in exs]
        for k in range(folds):
            model = _fit([e for e in exs if fold_of[e.group] != k], c)
            for i, e in enumerate(exs):
                if fold_of[e.group] == k:
                    scores[i] = [_score(model, f) for f in e.feats]
        for mode in MODES[1:]:
            for thr in THRESHOLDS:
                u = _utility(key, exs, scores, mode, thr)
                # the rule's answer stays unless the model does clearly better without it
                margin = MARGIN if best[0] == "rule" or (mode == "model" != best[0]) else 0
                if u > best[3] + margin:
                    best = (mode, thr, c, u)
                    counts = _counts(key, exs, scores, mode, thr)
    return best[0], best[1], best[2], base, best[3], counts


def train(files: list[Path], folds: int = 5, log: Any = print) -> dict[str, Any]:
    passages: list[Passage] = []
    for f in files:
        if "dev" in Path(f).name:
            raise SystemExit(f"{f}: the dev split is never trained on")
        passages.extend(load(f))
    data = examples(passages)
    terms: dict[str, Any] = {}
    total = [0, 0, 0, 0]
    for key, exs in data.items():
        mode, thr, c, base, util, counts = choose_policy(key, exs, folds)
        total = [a + b for a, b in zip(total, counts, strict=True)]
        model = _fit(exs, c)
        if model is None:
            mode = "rule"
            model = (0.0, {})
        log(f"{key:42} {mode:16} thr {thr:.1f} C {c:.1f}  cv utility rule {base:6.1f} → "
            f"{util:6.1f}")
        terms[key] = {"mode": mode, "threshold": thr, "bias": round(model[0], 4),
                      "weights": {k: round(w, 3) for k, w in sorted(model[1].items())}}
    log(f"cross-validated over the numeric terms: field accuracy {total[0] / max(total[1], 1):.3f} "
        f"({total[0]}/{total[1]}), hallucination {total[2] / max(total[3], 1):.3f} "
        f"({total[2]}/{total[3]})")
    return {"version": 1, "trained_on": [Path(f).name for f in files],
            "passages": len(passages), "folds": folds, "terms": terms}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="fit the extraction scorer on the train split")
    ap.add_argument("files", nargs="*", type=Path)
    ap.add_argument("--out", type=Path, default=MODEL_PATH)
    ap.add_argument("--folds", type=int, default=5)
    args = ap.parse_args(argv)
    model = train(args.files or default_files(), args.folds)
    args.out.write_text(json.dumps(model, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"{model['passages']} passages → {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
