"""The checks gate: `book --check` and `disclose --check` exit 1 naming every term the folder's
8-K states differently from the deal, the prepayment terms included; each line says its source."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from pipedeal.cli import app
from pipedeal.filings.prepayment_terms import prepayment_facts

runner = CliRunner()


def _changed(deal_copy):
    text = (deal_copy / "deal.toml").read_text()
    for old, new in (("earliest_months_after_issue = 3", "earliest_months_after_issue = 6"),
                     ("holder_election_days = 3", "holder_election_days = 10"),
                     ('premium = "0"', 'premium = "0.05"'),
                     ("max_notices = 1", "max_notices = 2")):
        assert old in text
        text = text.replace(old, new)
    (deal_copy / "deal.toml").write_text(text)


def test_the_example_passes_both_gates(example_dir):
    assert runner.invoke(app, ["book", str(example_dir), "--check"]).exit_code == 0
    assert runner.invoke(app, ["disclose", str(example_dir), "--check"]).exit_code == 0


def test_changed_prepayment_terms_fail_both_gates_naming_each_term(deal_copy):
    _changed(deal_copy)
    for args in (["book", str(deal_copy), "--check", "--format", "json"],
                 ["disclose", str(deal_copy), "--check"]):
        r = runner.invoke(app, args)
        assert r.exit_code == 1, r.output
        for term in ("prepayment.earliest_months_after_issue", "prepayment.holder_election_days",
                     "prepayment.premium_pct", "prepayment.max_notices"):
            assert f"MISMATCH {term}" in r.stderr, (args, term)
        assert "8-K.txt" in r.stderr
    data = json.loads(runner.invoke(app, ["book", str(deal_copy), "--format", "json"]).stdout)
    assert data["filing_check"]["all_match"] is False
    lines = {line["term"]: line for line in data["filing_check"]["lines"]}
    assert lines["prepayment.holder_election_days"]["filing"] == 3
    assert lines["prepayment.holder_election_days"]["deal"] == 10
    assert all(line["source"] == "8-K.txt" for line in lines.values())


def test_every_disclosure_check_line_says_where_its_stated_value_comes_from(example_dir):
    data = json.loads(runner.invoke(app, ["book", str(example_dir), "--format", "json"]).stdout)
    sources = {line["figure"]: line["source"] for line in data["disclosure_check"]["lines"]}
    assert "not the 8-K" in sources["first interest payment (Purchaser 1)"]
    assert "8-K.txt" in sources["aggregate principal"]


def test_prepayment_passages_in_other_words():
    assert prepayment_facts("The Company may prepay the notes only in whole on or after six (6) "
                            "months, at a premium of 5% of the principal, and the holder may "
                            "elect within ten business days to convert.") == {
        "partial_allowed": False, "premium_pct": 5, "earliest_months_after_issue": 6,
        "earliest_inclusive": True, "holder_election_days": 10, "election_day_type": "business"}
    assert prepayment_facts("Two prepayments may be made, in whole or in part, without any "
                            "premium, following 90 days")["max_notices"] == 2
    assert prepayment_facts("The notes may not be prepaid.") == {}
