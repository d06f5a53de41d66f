"""Issue 18 defects, each with its test: no NaN in the JSON (theta on the day before maturity),
one steps bound everywhere, a byte-order mark in the batch CSV, NaN/±inf refused at the input
boundary naming file, line and field."""

from __future__ import annotations

import datetime as dt
import json
import math
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipedeal.cli import app
from pipedeal.errors import UserError
from pipedeal.market.inputs import MAX_STEPS, MIN_STEPS, check_steps
from pipedeal.valuation.batch import price_notes, read_batch_csv
from pipedeal.valuation.convertible import ConvertibleSpec, Coupon, MarketInputs, greeks
from pipedeal.valuation.results import NoteValuation

runner = CliRunner()
DATA = Path(__file__).parent / "data"


def strict_json(text: str) -> dict:
    """``json.loads`` that refuses NaN and Infinity (not JSON)."""

    def refuse(name: str) -> float:
        raise ValueError(f"{name} is not JSON")

    return json.loads(text, parse_constant=refuse)


# --- theta on the day before maturity: was NaN, printed as "theta": NaN ----------------------


def test_value_json_the_day_before_maturity_is_strict_json_with_a_finite_theta(example_dir):
    """Purchaser 1's note matures 2005-06-15: a one-day bump reached maturity and theta was
    NaN. Now the step is half the remaining life; every Greek is a finite number."""
    r = runner.invoke(
        app,
        ["value", str(example_dir), "--as-of", "2005-06-14", "--format", "json", "--steps", "60"],
    )
    assert r.exit_code == 0, r.output
    data = strict_json(r.stdout)
    notes = [p["note"] for p in data["purchasers"] if "note" in p]
    assert notes and all("greeks_undefined" not in n for n in notes)
    for n in notes:
        assert all(isinstance(v, float) and math.isfinite(v) for v in n["greeks"].values())


@pytest.mark.parametrize("days_left", [0.25, 1, 1.5, 2, 3])
def test_theta_is_finite_close_to_maturity_and_is_the_carry_of_a_bond(days_left):
    """A straight note (no conversion) one coupon from maturity, r = 4%: theta ≈ r·V whatever
    the step (half the remaining life inside two days, one day outside)."""
    t = days_left / 365
    spec = ConvertibleSpec(maturity=t, conversion_ratio=0.0, coupons=(Coupon(t, 5.0, -0.5, t),))
    g = greeks(spec, MarketInputs(spot=1.0, vol=0.3, rate=0.04), model="tf", steps=20)
    assert g["value"] == pytest.approx(105.0 * math.exp(-0.04 * t), rel=1e-12)
    assert g["theta"] == pytest.approx(0.04 * g["value"], rel=1e-3)


def test_a_greek_the_model_cannot_give_is_null_with_a_reason_never_nan():
    nv = NoteValuation(
        value=100.0,
        principal_outstanding=Decimal(100),
        conversion_price=Decimal("1.5"),
        conversion_shares=66.0,
        maturity=dt.date(2005, 6, 15),
        accrued_interest=Decimal(0),
        greeks={"delta": 1.0, "theta": float("nan"), "vega": float("inf")},
    )
    data = nv.to_json()
    text = json.dumps(data, allow_nan=False)  # raises on NaN/Infinity
    assert strict_json(text)["greeks"] == {"delta": 1.0, "theta": None, "vega": None}
    assert set(data["greeks_undefined"]) == {"theta", "vega"}


# --- one steps bound: value, market.toml and value-batch ------------------------------------


def test_check_steps_is_the_one_bound():
    assert check_steps(MIN_STEPS) == MIN_STEPS and check_steps(MAX_STEPS) == MAX_STEPS
    for bad in (0, 1, 2, MIN_STEPS - 1, MAX_STEPS + 1):
        with pytest.raises(UserError, match=f"--steps: must be between {MIN_STEPS} and"):
            check_steps(bad)


@pytest.mark.parametrize("steps", ["1", "2", str(MIN_STEPS - 1)])
def test_value_batch_refuses_the_steps_value_refuses(steps, example_dir, tmp_path):
    """``value-batch --steps 1`` used to price (103.14: the call start and five coupons on
    t = 0) while ``value`` required at least 10."""
    for args in (
        ["value-batch", str(DATA / "notes.csv"), "--steps", steps],
        ["value-batch", str(DATA / "notes.csv"), "--steps", steps, "--out", str(tmp_path / "o.csv"),
         "--chunk", "10"],
        ["value", str(example_dir), "--steps", steps],
    ):
        r = runner.invoke(app, args)
        assert r.exit_code == 2, (args, r.output)
        assert f"--steps: must be between {MIN_STEPS} and" in r.output
    assert not (tmp_path / "o.csv").exists()
    with pytest.raises(UserError, match="--steps"):
        price_notes(read_batch_csv(DATA / "notes.csv"), steps=int(steps))


def test_market_toml_steps_below_the_bound_names_file_line_and_field(tmp_path, example_dir):
    deal = tmp_path / "deal"
    shutil.copytree(example_dir, deal)
    text = (deal / "market.toml").read_text().replace("steps = 500", f"steps = {MIN_STEPS - 1}")
    (deal / "market.toml").write_text(text)
    r = runner.invoke(app, ["value", str(deal)])
    assert r.exit_code == 2
    line = next(k for k, s in enumerate(text.splitlines(), 1) if s.startswith("steps"))
    assert f"market.toml:{line}: field steps" in r.output and str(MIN_STEPS) in r.output


# --- a byte-order mark (Excel's "CSV UTF-8") -------------------------------------------------


def test_batch_csv_with_a_byte_order_mark_and_crlf_reads(tmp_path):
    lines = (DATA / "notes.csv").read_text().splitlines()[1:]  # header first, no comment
    bom = tmp_path / "excel.csv"
    bom.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(lines).encode() + b"\r\n")
    plain = read_batch_csv(DATA / "notes.csv")
    assert read_batch_csv(bom) == plain
    r = runner.invoke(app, ["value-batch", str(bom), "--steps", "50", "--format", "json"])
    assert r.exit_code == 0, r.output
    assert [n["id"] for n in strict_json(r.stdout)["notes"]] == ["A", "B", "C"]
    out = tmp_path / "out.csv"
    r = runner.invoke(app, ["value-batch", str(bom), "--steps", "50", "--out", str(out),
                            "--chunk", "10"])
    assert r.exit_code == 0, r.output
    assert out.read_text().splitlines()[1].startswith("A,")


# --- NaN and ±inf at the input boundary ------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "old", "new"),
    [
        ("volatility", "volatility = 0.80", "volatility = nan"),
        ("spot", "spot = 1.32", "spot = inf"),
        ("rate", "rate = 0.015", "rate = -inf"),
        ("credit_spread", "credit_spread = 0.15", "credit_spread = nan"),
    ],
)
def test_market_toml_nan_and_inf_name_file_line_and_field(tmp_path, example_dir, key, old, new):
    deal = tmp_path / "deal"
    shutil.copytree(example_dir, deal)
    text = (deal / "market.toml").read_text()
    assert old in text
    text = text.replace(old, new)
    (deal / "market.toml").write_text(text)
    r = runner.invoke(app, ["value", str(deal)])
    assert r.exit_code == 2
    line = next(k for k, s in enumerate(text.splitlines(), 1) if s.startswith(new))
    assert f"market.toml:{line}: field {key}: Input should be a finite number" in r.output
    assert len(r.output.strip().splitlines()) == 1


@pytest.mark.parametrize("bad", ["nan", "inf", "-inf", "NaN", "Infinity"])
@pytest.mark.parametrize(("column", "index"), [("volatility", 11), ("spot", 10), ("rate", 12)])
def test_batch_csv_nan_and_inf_name_file_line_and_column(tmp_path, bad, column, index):
    lines = (DATA / "notes.csv").read_text().splitlines()
    cells = lines[2].split(",")
    cells[index - 1] = bad
    lines[2] = ",".join(cells)
    path = tmp_path / "notes.csv"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(UserError) as err:
        read_batch_csv(path)
    assert str(err.value) == f"{path}:3:{index} ({column}): must be finite"
