"""Score term extraction against a labelled set: field-level precision, recall, hallucination.

    python3 -m pipedeal.filings.evaluate [FILE ...] [--show-errors] [--tables] [--rules-only]

``--tables`` prints the per-field table (field accuracy = correct / labelled, accuracy over all
pairs, hallucination) and the per-form-type and per-era tables (from each passage's ``@meta``).
``--rules-only`` scores the rules without the learned scorer. ``--show-errors`` (one line per
wrong pair, with the passage id) is refused for a file whose name contains ``dev``: the dev split
is scored in aggregate only, so that no rule is ever written against it.

The labelled file holds passages separated by ``=== <id>`` lines; ``@key = <JSON>`` lines before
the text label the terms the passage states. Every term not labelled is expected to be null.

* precision: correct values / values given;
* recall: correct values / labelled values;
* accuracy: (key, passage) pairs where the prediction equals the label, null included;
* hallucination: values given where the label is null / pairs whose label is null.

A value is correct when it equals the label (numbers compared exactly as decimals, lists element by
element, strings ignoring case). ``prepayment_terms`` is correct when it contains the labelled
phrase.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from pipedeal.filings.extract import TERM_KEYS, extract_text, term_values

DEFAULT = Path(__file__).resolve().parents[3] / "tests" / "data" / "filings_labelled.txt"


@dataclass
class Passage:
    id: str
    labels: dict[str, Any]
    text: str
    # ``@meta = {"form": ..., "year": ..., "issuer": ..., "source": ...}``: where the passage
    # came from (the source is a reference, never the text)
    meta: dict[str, Any] = field(default_factory=dict)


def load(path: Path | str = DEFAULT) -> list[Passage]:
    passages: list[Passage] = []
    current: Passage | None = None
    body: list[str] = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.startswith("=== "):
            if current is not None:
                current.text = "\n".join(body).strip("\n")
                passages.append(current)
            current, body = Passage(line[4:].strip(), {}, ""), []
        elif current is None:
            continue
        elif line.startswith("@") and not body:
            key, _, value = line[1:].partition("=")
            key = key.strip()
            if key == "meta":
                current.meta = json.loads(value)
                continue
            if key not in TERM_KEYS:
                raise ValueError(f"{current.id}: unknown term {key!r}")
            current.labels[key] = json.loads(value)
        else:
            body.append(line)
    if current is not None:
        current.text = "\n".join(body).strip("\n")
        passages.append(current)
    return passages


def same(key: str, got: Any, want: Any) -> bool:
    if got is None or want is None:
        return got is None and want is None
    if key == "prepayment_terms":
        return str(want).lower() in str(got).lower()
    if isinstance(want, list) or isinstance(got, list):
        if not (isinstance(want, list) and isinstance(got, list)) or len(got) != len(want):
            return False
        return all(same(key, g, w) for g, w in zip(got, want, strict=True))
    if isinstance(want, bool) or isinstance(got, bool):
        return got is want
    if isinstance(want, (int, float)) and isinstance(got, (int, float)):
        return Decimal(str(got)) == Decimal(str(want))
    return str(got).strip().lower() == str(want).strip().lower()


@dataclass
class FieldScore:
    given: int = 0
    labelled: int = 0
    correct: int = 0
    null_pairs: int = 0
    hallucinated: int = 0
    agree: int = 0
    pairs: int = 0


@dataclass
class Report:
    fields: dict[str, FieldScore] = field(default_factory=dict)
    errors: list[tuple[str, str, Any, Any]] = field(default_factory=list)

    def total(self) -> FieldScore:
        t = FieldScore()
        for s in self.fields.values():
            for name in vars(t):
                setattr(t, name, getattr(t, name) + getattr(s, name))
        return t

    @staticmethod
    def ratios(s: FieldScore) -> dict[str, float]:
        return {
            "precision": s.correct / s.given if s.given else 1.0,
            "recall": s.correct / s.labelled if s.labelled else 1.0,
            "accuracy": s.agree / s.pairs if s.pairs else 1.0,
            "hallucination": s.hallucinated / s.null_pairs if s.null_pairs else 0.0,
        }


def evaluate(passages: list[Passage], *, rules_only: bool = False) -> Report:
    report = Report({k: FieldScore() for k in TERM_KEYS})
    for p in passages:
        values = term_values(extract_text(p.text, rules_only=rules_only))
        for key in TERM_KEYS:
            want, got = p.labels.get(key), values[key]
            s = report.fields[key]
            s.pairs += 1
            ok = same(key, got, want)
            s.agree += ok
            if got is not None:
                s.given += 1
            if want is not None:
                s.labelled += 1
                s.correct += ok and got is not None
            else:
                s.null_pairs += 1
                s.hallucinated += got is not None
            if not ok:
                report.errors.append((p.id, key, got, want))
    return report


def form_group(meta: dict[str, Any]) -> str:
    """The form-type group of a passage (``@meta`` form), for the per-form table."""
    form = str(meta.get("form") or "").upper()
    if not form:
        return "synthetic (no meta)"
    if form.startswith("8-K"):
        return "8-K"
    if form.startswith("EX-99") or "PRESS" in form:
        return "EX-99 press release"
    if form.startswith(("10-Q", "10-K")):
        return "10-Q/10-K notes"
    if form.startswith(("424", "S-1", "S-3", "SB-2", "F-1", "F-3", "POS")):
        return "prospectus"
    if form.startswith(("EX-4", "EX-10")):
        return "EX-4/EX-10 note or agreement"
    return "other (news, term sheet)"


def era(meta: dict[str, Any]) -> str:
    year = meta.get("year")
    if not isinstance(year, int):
        return "synthetic (no meta)"
    if year < 2004:
        return "pre-2004"
    if year < 2010:
        return "2004-2009"
    if year < 2020:
        return "2010-2019"
    return "2020+"


def _row(name: str, n: int, s: FieldScore) -> str:
    field_acc = s.correct / s.labelled if s.labelled else float("nan")
    r = Report.ratios(s)
    return (f"{name:42} {n:5d} {s.labelled:5d} {s.correct:5d} {field_acc:7.3f} "
            f"{r['accuracy']:7.3f} {s.hallucinated:4d}/{s.null_pairs:<5d} "
            f"{r['hallucination']:6.3f}")


def tables(passages: list[Passage], *, rules_only: bool = False) -> str:
    """Per-field, per-form-type and per-era tables (aggregates only, never a passage)."""
    report = evaluate(passages, rules_only=rules_only)
    head = (f"{'':42} {'pass':>5} {'label':>5} {'right':>5} {'fieldacc':>7} {'acc':>7} "
            f"{'halluc':>10} {'rate':>6}")
    lines = [f"{len(passages)} passages, {len(TERM_KEYS)} terms each"
             + (" (rules only)" if rules_only else ""), "", "per field", head]
    for key, s in report.fields.items():
        lines.append(_row(key, s.pairs, s))
    lines.append(_row("ALL", len(passages), report.total()))
    for title, by in (("per form type", form_group), ("per era", era)):
        groups: dict[str, list[Passage]] = {}
        for p in passages:
            groups.setdefault(by(p.meta), []).append(p)
        lines += ["", title, head]
        for name in sorted(groups):
            lines.append(_row(name, len(groups[name]),
                              evaluate(groups[name], rules_only=rules_only).total()))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="score term extraction on a labelled set")
    ap.add_argument("paths", nargs="*", default=[str(DEFAULT)])
    ap.add_argument("--show-errors", action="store_true")
    ap.add_argument("--tables", action="store_true", help="per-field, per-form, per-era tables")
    ap.add_argument("--rules-only", action="store_true", help="without the learned scorer")
    args = ap.parse_args(argv)
    if args.show_errors and any("dev" in Path(p).name for p in args.paths):
        ap.error("--show-errors is refused on the dev split (aggregates only)")
    passages = [p for path in args.paths for p in load(path)]
    if args.tables:
        print(tables(passages, rules_only=args.rules_only))
        return 0
    report = evaluate(passages, rules_only=args.rules_only)
    print(f"{len(passages)} passages, {len(TERM_KEYS)} terms each")
    print(f"{'term':42} {'given':>5} {'label':>5} {'prec':>6} {'recall':>6} {'halluc':>6}")
    for key, s in report.fields.items():
        r = report.ratios(s)
        print(f"{key:42} {s.given:5d} {s.labelled:5d} {r['precision']:6.2f} {r['recall']:6.2f} "
              f"{r['hallucination']:6.3f}")
    t = report.total()
    r = report.ratios(t)
    print(f"{'ALL':42} {t.given:5d} {t.labelled:5d} {r['precision']:6.3f} {r['recall']:6.3f} "
          f"{r['hallucination']:6.3f}   accuracy {r['accuracy']:.3f}")
    if args.show_errors:
        for pid, key, got, want in report.errors:
            print(f"  {pid}: {key}: got {got!r}, want {want!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
