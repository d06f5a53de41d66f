"""The labelled set: field-level precision, recall and hallucination of term extraction."""

from __future__ import annotations

from pipedeal.filings.evaluate import DEFAULT, Report, evaluate, load, same


def test_labelled_set_scores():
    passages = load(DEFAULT)
    assert len(passages) >= 40
    assert len({p.id for p in passages}) == len(passages)
    assert all(p.text.strip() for p in passages)
    report = evaluate(passages)
    r = Report.ratios(report.total())
    assert r["precision"] >= 0.9, r
    assert r["recall"] >= 0.9, r
    assert r["accuracy"] >= 0.9, r
    assert r["hallucination"] <= 0.03, r


def test_labelled_file_says_synthetic():
    head = DEFAULT.read_text(encoding="utf-8")[:600]
    assert "SYNTHETIC" in head


def test_same_compares_by_kind():
    assert same("principal_amount_usd", 2500000, 2500000.0)
    assert not same("principal_amount_usd", 2500000, None)
    assert same("conversion_price_usd", [1.53, 1.41], [1.53, 1.41])
    assert not same("conversion_price_usd", [1.53], 1.53)
    assert same("prepayment_terms", "We may prepay the notes at any time.", "prepay the notes")
    assert same("instrument_type", "Convertible Note", "convertible note")
    assert not same("secured", 1, True)


def test_held_out_set_scores():
    """Passages written after the rules were tuned; first scored before any change (see
    docs/filings.md for that first score)."""
    passages = load(DEFAULT.with_name("filings_heldout.txt"))
    assert len(passages) >= 10
    r = Report.ratios(evaluate(passages).total())
    assert r["precision"] >= 0.9, r
    assert r["recall"] >= 0.9, r
    assert r["hallucination"] <= 0.03, r


def test_second_held_out_set_scores():
    """Written after the last rule change and never used to change a rule (see its header)."""
    passages = load(DEFAULT.with_name("filings_heldout2.txt"))
    assert len(passages) >= 10
    r = Report.ratios(evaluate(passages).total())
    assert r["precision"] >= 0.9, r
    assert r["recall"] >= 0.9, r
    assert r["hallucination"] <= 0.03, r


def test_tables_are_aggregates_and_errors_are_refused_on_dev(tmp_path, capsys):
    """The dev split is scored in aggregate only: --show-errors is refused on a dev file, and the
    tables name fields, forms and eras, never a passage."""
    import pytest

    from pipedeal.filings.evaluate import main, tables

    dev = tmp_path / "filings_real_dev.txt"
    dev.write_text('=== secret-passage-id\n@meta = {"form": "8-K", "year": 2012}\n'
                   "@interest_rate_pct = 8\nThe notes bear interest at 8% per annum.\n",
                   encoding="utf-8")
    with pytest.raises(SystemExit):
        main([str(dev), "--show-errors"])
    out = tables(load(dev))
    assert "secret-passage-id" not in out and "bear interest" not in out
    assert "per field" in out and "per form type" in out and "per era" in out
    assert "2010-2019" in out and "8-K" in out


def test_the_shipped_model_is_plain_json_with_a_policy_per_numeric_term(tmp_path):
    import json

    import pytest

    from pipedeal.filings.extraction.scorer import MODEL_PATH, SPECS, load_model
    from pipedeal.filings.train import train

    data = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    assert set(data["terms"]) == set(SPECS)
    assert not any("dev" in name for name in data["trained_on"])
    models = load_model()
    assert {m.mode for m in models.values()} <= {"rule", "rule_then_model", "rule_checked",
                                                 "model"}
    dev = tmp_path / "filings_real_dev.txt"
    dev.write_text("=== x\nThe notes bear interest at 8%.\n", encoding="utf-8")
    with pytest.raises(SystemExit, match="never trained on"):
        train([dev], log=lambda *a: None)
