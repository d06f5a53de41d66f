"""``pipedeal value`` / ``value-batch`` and the book's valuation section, end to end."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipedeal.cli import app
from pipedeal.report.book import book_data, build_context
from pipedeal.valuation.batch import prepare, price_notes, read_batch_csv
from pipedeal.valuation.blackscholes import bs_price
from pipedeal.valuation.convertible import lattice_kernel
from pipedeal.valuation.deal import is_finite_tree

runner = CliRunner()
DATA = Path(__file__).parent / "data"


def test_value_json_per_purchaser_with_model_inputs_and_greeks(example_dir):
    result = runner.invoke(app, ["value", str(example_dir), "--format", "json", "--steps", "200"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["model"] == "hazard" and data["steps"] == 200 and data["as_of"] == "2004-07-28"
    assert data["inputs"]["illustrative"] is True
    assert data["inputs"]["shares_outstanding"] == 29_090_390
    assert [p["name"] for p in data["purchasers"]] == ["Purchaser 1", "Purchaser 2", "Purchaser 3"]
    assert is_finite_tree(data)
    p1 = data["purchasers"][0]
    # the note is worth at least its conversion value and its cash floor is below par + coupons
    conv_value = 1_000_000 / 1.53 * 1.32
    assert p1["note"]["value"] > conv_value
    assert p1["note"]["call"]["from"] == "2004-09-16"  # "after three months" from 2004-06-15
    assert p1["note"]["call"]["election_window_calendar_days"] == 5  # 3 business days
    assert set(p1["note"]["greeks"]) == {
        "delta",
        "gamma",
        "vega",
        "theta",
        "rho",
        "credit_spread_sensitivity",
    }
    w = p1["warrant"]
    assert w["shares"] == 125_000 and w["exercise_price"] == "1.53"
    n, m = 29_090_390, 312_500
    expected = n / (n + m) * bs_price(True, 1.32, 1.53, w["years_to_expiry"], 0.015, 0.0, 0.8)
    assert w["value_per_warrant"] == pytest.approx(expected, rel=1e-12)
    total = sum(p["note"]["value"] for p in data["purchasers"])
    assert data["totals"]["note_value"] == pytest.approx(total)


def test_value_model_option_and_as_of(example_dir):
    out = {}
    for model in ("tf", "hazard"):
        r = runner.invoke(
            app,
            [
                "value",
                str(example_dir),
                "--format",
                "json",
                "--steps",
                "100",
                "--model",
                model,
                "--as-of",
                "2004-06-20",
            ],
        )
        assert r.exit_code == 0, r.output
        out[model] = json.loads(r.stdout)
    assert out["hazard"]["model"] == "hazard"
    p3 = out["tf"]["purchasers"][2]
    assert p3["status"] == "not yet issued on the valuation date"  # closes 2004-06-22
    assert out["tf"]["totals"]["note_value"] != out["hazard"]["totals"]["note_value"]


def test_value_bad_model_is_exit_2(example_dir):
    r = runner.invoke(app, ["value", str(example_dir), "--model", "magic"])
    assert r.exit_code == 2
    assert "model" in r.output


def test_value_without_market_toml_is_exit_2(tmp_path, example_dir):
    deal = tmp_path / "deal"
    shutil.copytree(example_dir, deal)
    (deal / "market.toml").unlink()
    r = runner.invoke(app, ["value", str(deal)])
    assert r.exit_code == 2 and "market.toml" in r.output


def test_bad_market_toml_names_file_line_and_field(tmp_path, example_dir):
    deal = tmp_path / "deal"
    shutil.copytree(example_dir, deal)
    text = (deal / "market.toml").read_text().replace("volatility = 0.80", "volatility = -0.8")
    (deal / "market.toml").write_text(text)
    r = runner.invoke(app, ["value", str(deal)])
    assert r.exit_code == 2
    assert "market.toml:" in r.output and "volatility" in r.output


def test_book_has_valuation_section_only_with_market_toml(tmp_path, example_dir):
    data = book_data(build_context(example_dir))
    assert data["valuation"]["model"] == "hazard"
    assert len(data["valuation"]["purchasers"]) == 3
    deal = tmp_path / "deal"
    shutil.copytree(example_dir, deal)
    (deal / "market.toml").unlink()
    assert book_data(build_context(deal))["valuation"] is None


def test_value_batch_csv_out_and_json(tmp_path):
    out = tmp_path / "values.csv"
    r = runner.invoke(
        app,
        [
            "value-batch",
            str(DATA / "notes.csv"),
            "--model",
            "hazard",
            "--steps",
            "200",
            "--out",
            str(out),
            "--format",
            "json",
        ],
    )
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["count"] == 3 and [n["id"] for n in data["notes"]] == ["A", "B", "C"]
    lines = out.read_text().splitlines()
    assert lines[0] == "id,model,steps,face,value,value_per_100" and len(lines) == 4
    notes = read_batch_csv(DATA / "notes.csv")
    single = [lattice_kernel(prepare(n, "hazard", 200)) for n in notes]
    assert [n["value"] for n in data["notes"]] == pytest.approx(single, rel=1e-12)


def test_batch_equals_single_note_pricing_in_every_model():
    notes = read_batch_csv(DATA / "notes.csv") * 5
    for model in ("tf", "hazard", "hull", "ql"):
        values = price_notes(notes, model=model, steps=150, chunk=4)
        single = [lattice_kernel(prepare(n, model, 150)) for n in notes]
        assert list(values) == pytest.approx(single, rel=1e-12)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda t: t.replace(",0.80,", ",abc,", 1), "notes.csv:3:11 (volatility): 'abc'"),
        (lambda t: t.replace("2005-06-15", "2004-01-01", 1), "notes.csv:3:4 (maturity_date)"),
        (lambda t: t.replace(",recovery,face", ",face", 1), "missing column(s) recovery"),
        (lambda t: t.replace(",0.0,1000000\nB", ",1000000\nB", 1), "notes.csv:3: expected 15"),
    ],
)
def test_value_batch_bad_csv_is_one_line_exit_2_naming_line_and_column(tmp_path, edit, message):
    bad = tmp_path / "notes.csv"
    bad.write_text(edit((DATA / "notes.csv").read_text()))
    out = tmp_path / "out.csv"
    r = runner.invoke(app, ["value-batch", str(bad), "--out", str(out)])
    assert r.exit_code == 2
    assert message in r.output
    assert len(r.output.strip().splitlines()) == 1
    assert not out.exists()


def test_fast_batch_setup_equals_the_general_path():
    """``prepare_fast`` (compiled grid for CSV notes) builds exactly the kernel arguments of the
    general ``DatedNote → ConvertibleSpec → setup`` path, for every model and tree."""
    import numpy as np

    from pipedeal.valuation.batch import prepare_fast

    notes = read_batch_csv(DATA / "notes.csv")
    for model, tree in [
        ("ql", None),
        ("ql", "lr"),
        ("tf", None),
        ("tf", "lr"),
        ("hazard", "jr"),
        ("hull", None),
    ]:
        for n in notes:
            a, b = prepare(n, model, 120, tree), prepare_fast(n, model, 120, tree)
            for name in a._fields[:-1]:  # all but the output ``early``
                x, y = getattr(a, name), getattr(b, name)
                assert np.array_equal(np.asarray(x), np.asarray(y)), (model, tree, n.id, name)


def test_warrants_are_valued_after_the_notes_mature_until_they_expire(example_dir):
    r = runner.invoke(
        app,
        ["value", str(example_dir), "--format", "json", "--steps", "50", "--as-of", "2006-01-02"],
    )
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    # on the terms alone the notes were repaid at maturity (the contract performed as scheduled)
    assert all(p["status"] == "repaid" and "note" not in p for p in data["purchasers"])
    assert all(p["warrant"]["value"] > 0 for p in data["purchasers"])
    assert data["totals"]["note_value"] == 0.0
    r = runner.invoke(app, ["value", str(example_dir), "--format", "json", "--as-of", "2009-07-01"])
    data = json.loads(r.stdout)
    assert [p["warrant_status"] for p in data["purchasers"]] == ["expired"] * 3
    assert runner.invoke(app, ["value", str(example_dir), "--as-of", "2006-01-02"]).exit_code == 0
