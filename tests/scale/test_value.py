"""value-batch in partitions: Parquet and CSV streamed, on a 2-worker LocalCluster, scenarios and
risk; every value bit-identical to the single-machine command."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from pipedeal.cli.app import app
from pipedeal.errors import UserError
from pipedeal.scale.columnar import iter_notes
from pipedeal.scale.valuation import Scenario, read_scenarios, value_file
from pipedeal.valuation.batch import iter_batch_csv, price_notes, read_batch_csv

SCENARIOS = [
    Scenario("spot+50", spot=0.5),
    Scenario("spot-50_vol-20", spot=-0.5, vol=-0.2),
    Scenario("spread+500bp", spread=0.05),
    Scenario("rate+1", rate=0.01, vol=0.2),
]


def _single(notes_csv: Path, tmp_path: Path, *args: str) -> str:
    """The single-machine ``value-batch --out`` text (the existing path)."""
    out = tmp_path / "single.csv"
    result = CliRunner().invoke(
        app, ["value-batch", str(notes_csv), "--steps", "120", "--out", str(out), *args]
    )
    assert result.exit_code == 0, result.output
    return out.read_text()


def _typed_parquet(notes_csv: Path, path: Path) -> Path:
    """The CSV as Parquet with Arrow's own types (dates as date32, numbers as doubles)."""
    table = pacsv.read_csv(notes_csv)
    pq.write_table(table, path, row_group_size=64)
    assert pa.types.is_date32(table.schema.field("valuation_date").type)
    return path


def test_csv_is_read_in_chunks_with_the_same_notes(notes_csv):
    chunks = list(iter_batch_csv(notes_csv, chunk=70))
    assert [len(c) for c in chunks] == [70, 70, 70, 70, 20]
    assert [n for c in chunks for n in c] == read_batch_csv(notes_csv)


def test_parquet_in_and_out_bit_identical_to_the_csv_path(notes_csv, tmp_path):
    reference = _single(notes_csv, tmp_path)
    source = _typed_parquet(notes_csv, tmp_path / "notes.parquet")
    assert [n for c in iter_notes(source, 50) for n in c] == read_batch_csv(notes_csv)
    out_csv, out_pq = tmp_path / "a.csv", tmp_path / "a.parquet"
    for out in (out_csv, out_pq):
        result = CliRunner().invoke(
            app, ["value-batch", str(source), "--steps", "120", "--out", str(out),
                  "--chunk", "64"]
        )
        assert result.exit_code == 0, result.output
    assert out_csv.read_text() == reference
    table = pq.read_table(out_pq).to_pydict()
    values = [float(line.split(",")[4]) for line in reference.splitlines()[1:]]
    assert table["value"] == values  # exact floats
    assert table["id"][:2] == ["n0", "n1"]


def test_parquet_faults_name_the_row_and_column(notes_csv, tmp_path):
    table = pacsv.read_csv(notes_csv)
    spot = table.column("spot").to_pylist()
    spot[6] = -1.0
    table = table.set_column(table.schema.get_field_index("spot"), "spot", pa.array(spot))
    pq.write_table(table, tmp_path / "bad.parquet")
    with pytest.raises(UserError, match=r"bad.parquet:row 7:10 \(spot\): must be"):
        for _ in iter_notes(tmp_path / "bad.parquet"):
            pass
    out = tmp_path / "out.parquet"
    result = CliRunner().invoke(app, ["value-batch", str(tmp_path / "bad.parquet"),
                                      "--out", str(out)])
    assert result.exit_code == 2 and not out.exists()


@pytest.mark.parametrize(("model", "tree"), [("hazard", None), ("hull", None), ("ql", None),
                                             ("tf", "lr")])
def test_cluster_values_bit_identical_and_in_order(client, notes_csv, tmp_path, model, tree):
    notes = read_batch_csv(notes_csv)[:120]
    reference = price_notes(notes, model=model, steps=80, tree=tree)
    src = tmp_path / "n.csv"
    src.write_text("\n".join(notes_csv.read_text().splitlines()[:121]) + "\n")
    out = tmp_path / "out.parquet"
    summary = value_file(src, out, model=model, steps=80, tree=tree, client=client, chunk=17)
    assert summary.partitions == 8
    table = pq.read_table(out).to_pydict()
    assert table["id"] == [n.id for n in notes]
    assert np.array_equal(np.array(table["value"]), reference)
    local = value_file(src, tmp_path / "local.parquet", model=model, steps=80, tree=tree,
                       chunk=120)
    assert local.total_value == summary.total_value  # exact sums, whatever the partitions


def test_cli_cluster_option_same_text_as_single_machine(notes_csv, tmp_path):
    reference = _single(notes_csv, tmp_path)
    out = tmp_path / "cluster.csv"
    result = CliRunner().invoke(app, ["value-batch", str(notes_csv), "--steps", "120",
                                      "--cluster", "local:2", "--chunk", "50", "--out", str(out),
                                      "--format", "json"])
    assert result.exit_code == 0, result.output
    assert out.read_text() == reference
    data = json.loads(result.stdout)
    assert data["count"] == 300 and data["partitions"] == 6


def test_scenarios_long_table_and_risk_same_on_the_cluster(client, notes_csv, tmp_path):
    notes = read_batch_csv(notes_csv)[:60]
    src = tmp_path / "n.csv"
    src.write_text("\n".join(notes_csv.read_text().splitlines()[:61]) + "\n")
    here = value_file(src, tmp_path / "here.csv", steps=60, scenarios=SCENARIOS, chunk=90)
    there = value_file(src, tmp_path / "there.csv", steps=60, scenarios=SCENARIOS, chunk=90,
                       client=client)
    assert here.partitions == there.partitions == 6  # 10 notes × (5 + 4) pricings each
    assert (tmp_path / "here.csv").read_text() == (tmp_path / "there.csv").read_text()
    assert here.to_json() == there.to_json()
    # the long table: note-major, every note under every scenario, values as the kernel's
    lines = (tmp_path / "there.csv").read_text().splitlines()
    assert lines[0] == "id,issuer,scenario,value,pnl"
    assert len(lines) == 1 + 60 * 4
    shocked = [s.apply(n) for n in notes for s in SCENARIOS]
    expect = price_notes(shocked, model="hazard", steps=60)
    assert [float(x.split(",")[3]) for x in lines[1:]] == expect.tolist()
    base = price_notes(notes, model="hazard", steps=60)
    risk = there.risk
    assert risk is not None and risk.notes == 60
    pnl = (expect.reshape(60, 4) - base[:, None]).sum(axis=0)
    assert np.allclose(risk.pnl, pnl, rtol=1e-12)
    # delta of one issuer: spot ±1% central differences, summed
    mine = [n for n in notes if n.issuer == "ISSUER1"]
    up = price_notes([Scenario("u", spot=0.01).apply(n) for n in mine], model="hazard", steps=60)
    dn = price_notes([Scenario("d", spot=-0.01).apply(n) for n in mine], model="hazard", steps=60)
    delta = sum((u - d) / (0.02 * n.spot) for u, d, n in zip(up, dn, mine, strict=True))
    assert risk.issuers["ISSUER1"][0] == pytest.approx(delta, rel=1e-9)


def test_scenario_files(tmp_path):
    grid = tmp_path / "grid.toml"
    grid.write_text("spot = [-0.5, 0.0, 0.5]\nvol = [-0.2, 0.2]\nspread = [0.0, 0.05]\n")
    scenarios = read_scenarios(grid)
    assert len(scenarios) == 12
    assert scenarios[0] == Scenario("spot-0.5_vol-0.2", -0.5, -0.2, 0.0, 0.0)
    rows = tmp_path / "s.csv"
    rows.write_text("name,spot,spread\nbase,,\ncrash,-0.5,0.05\n")
    assert read_scenarios(rows) == [Scenario("base"), Scenario("crash", spot=-0.5, spread=0.05)]
    rows.write_text("name,spot\na,-1.5\n")
    with pytest.raises(UserError, match="out of range"):
        read_scenarios(rows)


def test_a_bad_row_on_the_cluster_is_the_single_machine_error_and_nothing_is_written(
    client, notes_csv, tmp_path
):
    lines = notes_csv.read_text().splitlines()
    cells = lines[150].split(",")
    cells[9] = "-1"  # spot
    lines[150] = ",".join(cells)
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join(lines) + "\n")
    single = CliRunner().invoke(app, ["value-batch", str(bad), "--out", str(tmp_path / "a.csv")])
    assert single.exit_code == 2 and "bad.csv:151:" in single.output
    with pytest.raises(UserError) as there:
        value_file(bad, tmp_path / "b.parquet", steps=60, chunk=40, client=client)
    assert f"pipedeal: error: {there.value.message}" == single.output.strip().splitlines()[-1]


def test_scenario_shocks_move_a_term_structure_too(notes_csv):
    from dataclasses import replace

    note = read_batch_csv(notes_csv)[0]
    curved = replace(note, vol_curve=((0.5, note.volatility), (2.0, note.volatility)),
                     spread_curve=((0.5, note.credit_spread), (2.0, note.credit_spread)))
    for shock in (Scenario("vol+20", vol=0.2), Scenario("spread+500bp", spread=0.05)):
        flat = price_notes([shock.apply(note)], model="hazard", steps=60)
        with_curve = price_notes([shock.apply(curved)], model="hazard", steps=60)
        assert with_curve[0] == pytest.approx(flat[0], rel=1e-9), shock.name
    base = price_notes([curved], model="hazard", steps=60)
    assert price_notes([Scenario("v", vol=0.2).apply(curved)], model="hazard",
                       steps=60)[0] != pytest.approx(base[0])
