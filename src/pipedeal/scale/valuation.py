"""``value-batch`` in partitions: streamed from CSV or Parquet, priced here or on a Dask cluster by
the batch kernel (``pipedeal.valuation.batch.price_notes``), written in input order. The client
only reads (CSV lines, Parquet record batches: ``columnar.NotesPart``); each partition is parsed
and checked where it is priced, with ``read_batch_csv``'s messages, and a fault surfaces in line
order (the first bad row of the file, as on one machine).

Every note is priced by the same kernel call whatever the partitioning (a note's value depends on
that note alone), so the values are bit-identical to the single-machine ``value-batch``. With
scenarios, each partition also returns its share of the risk aggregates, and the shares are
combined by ``tree_reduce`` in partition order (on the cluster when there is one): the same sums,
in the same order, here and there.

Scenarios (``read_scenarios``): shocks applied to each note's market inputs: spot × (1 + spot),
volatility + vol (floored at ``VOL_FLOOR``), rate + rate, credit spread + spread (floored at 0);
a volatility or spread term structure (``vol_curve``, ``spread_curve``) moves in parallel with it.
Risk: delta and gamma by spot ±1% central differences, vega by volatility ±0.01 (±half the vol
below 0.02; per 1.00 of vol), each on the note's lattice at the run's steps, summed per issuer
(the ``issuer`` column) and in total; P&L per scenario = Σ (value under the scenario − base value).
"""

from __future__ import annotations

import csv
import itertools
import json
import math
import tomllib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from pipedeal.errors import UserError
from pipedeal.scale.cluster import ordered_map, ordered_map_split, tree_reduce
from pipedeal.scale.columnar import NotesPart, TableWriter, is_parquet, iter_parts
from pipedeal.valuation.batch import BatchNote, price_notes

if TYPE_CHECKING:
    from dask.distributed import Client

VOL_FLOOR = 0.01
SPOT_BUMP = 0.01
VOL_BUMP = 0.01

VALUE_COLUMNS = ("id", "model", "steps", "face", "value", "value_per_100")
VALUE_TYPES = {"id": "str", "model": "str", "steps": "int", "face": "float", "value": "float",
               "value_per_100": "float"}
SCENARIO_COLUMNS = ("id", "issuer", "scenario", "value", "pnl")
SCENARIO_TYPES = {"id": "str", "issuer": "str", "scenario": "str", "value": "float",
                  "pnl": "float"}
SHOCKS = ("spot", "vol", "rate", "spread")


@dataclass(frozen=True)
class Scenario:
    name: str
    spot: float = 0.0
    vol: float = 0.0
    rate: float = 0.0
    spread: float = 0.0

    def apply(self, note: BatchNote) -> BatchNote:
        note = _shift_spread(_shift_vol(note, self.vol), self.spread)
        return replace(note, spot=note.spot * (1.0 + self.spot), rate=note.rate + self.rate)


def _shift_vol(note: BatchNote, by: float) -> BatchNote:
    """Volatility moved by ``by`` (floored), and every point of its term structure with it."""
    curve = tuple((t, max(v + by, VOL_FLOOR)) for t, v in note.vol_curve)
    return replace(note, volatility=max(note.volatility + by, VOL_FLOOR), vol_curve=curve)


def _shift_spread(note: BatchNote, by: float) -> BatchNote:
    """Credit spread moved by ``by`` (floored at 0), its term structure with it."""
    curve = tuple((t, max(s + by, 0.0)) for t, s in note.spread_curve)
    return replace(note, credit_spread=max(note.credit_spread + by, 0.0), spread_curve=curve)


def _shock(path: Path, where: str, key: str, text: object) -> float:
    try:
        value = float(text)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise UserError(f"{path}:{where}: {key} {text!r} is not a number") from None
    if not math.isfinite(value) or (key == "spot" and value <= -1.0):
        raise UserError(f"{path}:{where}: {key} {text!r} is out of range")
    return value


def read_scenarios(path: Path) -> list[Scenario]:
    """Scenarios from a CSV (columns ``name`` and any of ``spot``, ``vol``, ``rate``, ``spread``;
    one scenario a row) or a TOML grid (lists ``spot = [...]``, ``vol``, ``rate``, ``spread``:
    every combination, named like ``spot-0.5_vol+0.2``)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"--scenarios {path}: cannot read ({exc})") from None
    out: list[Scenario] = []
    if path.suffix.lower() == ".toml":
        try:
            grid = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise UserError(f"{path}: {exc}") from None
        unknown = sorted(set(grid) - set(SHOCKS))
        if unknown:
            raise UserError(
                f"{path}: unknown key(s) {', '.join(unknown)} (use {', '.join(SHOCKS)})"
            )
        axes = []
        for key in SHOCKS:
            values = grid.get(key, [0.0])
            if not isinstance(values, list) or not values:
                raise UserError(f"{path}: {key} must be a non-empty list of shocks")
            axes.append([_shock(path, key, key, v) for v in values])
        for combo in itertools.product(*axes):
            name = "_".join(f"{k}{v:+g}" for k, v in zip(SHOCKS, combo, strict=True) if v) or "base"
            out.append(Scenario(name, *combo))
    else:
        rows = [r for r in text.splitlines() if r.strip() and not r.lstrip().startswith("#")]
        reader = csv.DictReader(rows)
        header = reader.fieldnames or []
        if "name" not in header:
            raise UserError(f"{path}: a CSV of scenarios needs a name column")
        unknown = sorted(set(header) - {"name", *SHOCKS})
        if unknown:
            raise UserError(f"{path}: unknown column(s) {', '.join(unknown)}")
        for k, row in enumerate(reader, start=2):
            shocks = [_shock(path, str(k), s, row.get(s) or 0.0) for s in SHOCKS]
            out.append(Scenario(str(row["name"]).strip(), *shocks))
    if not out:
        raise UserError(f"{path}: no scenarios")
    names = [s.name for s in out]
    if len(set(names)) != len(names):
        raise UserError(f"{path}: scenario names must be unique")
    return out


@dataclass
class Risk:
    """A partition's (or the run's) risk: per issuer [delta, gamma, vega], P&L per scenario, the
    base value, the number of notes, the pricings the lattice refused (left out of the sums;
    NaN in the table)."""

    issuers: dict[str, list[float]] = field(default_factory=dict)
    pnl: list[float] = field(default_factory=list)
    base: float = 0.0
    notes: int = 0
    failed: int = 0

    def to_json(self, scenarios: Sequence[Scenario]) -> dict[str, Any]:
        total = [0.0, 0.0, 0.0]
        for name in sorted(self.issuers):
            total = [a + b for a, b in zip(total, self.issuers[name], strict=True)]
        return {
            "notes": self.notes,
            "refused_pricings": self.failed,
            "base_value": self.base,
            "greeks": {
                "by_issuer": {
                    k: dict(zip(("delta", "gamma", "vega"), v, strict=True))
                    for k, v in sorted(self.issuers.items())
                },
                "total": dict(zip(("delta", "gamma", "vega"), total, strict=True)),
            },
            "pnl_by_scenario": {s.name: p for s, p in zip(scenarios, self.pnl, strict=True)},
        }


def combine(*parts: Risk) -> Risk:
    """Sum of partial risks, in the order given."""
    out = Risk(pnl=[0.0] * len(parts[0].pnl))
    for part in parts:
        for name, greeks in part.issuers.items():
            acc = out.issuers.setdefault(name, [0.0, 0.0, 0.0])
            for i in range(3):
                acc[i] += greeks[i]
        out.pnl = [a + b for a, b in zip(out.pnl, part.pnl, strict=True)]
        out.base += part.base
        out.notes += part.notes
        out.failed += part.failed
    return out


@dataclass(frozen=True)
class Pricing:
    model: str
    steps: int
    tree: str | None


def value_partition(part: NotesPart | list[BatchNote], how: Pricing) -> dict[str, list[Any]]:
    """A partition's rows of ``value-batch`` (``VALUE_COLUMNS``)."""
    notes = part.notes() if isinstance(part, NotesPart) else part
    values = price_notes(notes, model=how.model, steps=how.steps, tree=how.tree).tolist()
    return {
        "id": [n.id for n in notes],
        "model": [how.model] * len(notes),
        "steps": [how.steps] * len(notes),
        "face": [n.face for n in notes],
        "value": values,
        "value_per_100": [v / n.face * 100.0 for n, v in zip(notes, values, strict=True)],
    }


def scenario_partition(
    part: NotesPart | list[BatchNote], how: Pricing, scenarios: Sequence[Scenario]
) -> tuple[dict[str, list[Any]], Risk]:
    """A partition under every scenario: its long-table rows (note-major) and its risk."""
    notes = part.notes() if isinstance(part, NotesPart) else part
    bumps: list[Callable[[BatchNote], BatchNote]] = [
        lambda n: n,
        lambda n: replace(n, spot=n.spot * (1.0 + SPOT_BUMP)),
        lambda n: replace(n, spot=n.spot * (1.0 - SPOT_BUMP)),
        lambda n: _shift_vol(n, _vol_bump(n)),
        lambda n: _shift_vol(n, -_vol_bump(n)),
    ]
    shocked = [b(n) for n in notes for b in bumps] + [
        s.apply(n) for n in notes for s in scenarios
    ]
    failed = 0
    try:
        flat = price_notes(shocked, model=how.model, steps=how.steps, tree=how.tree)
    except UserError:
        # some shocked note the lattice refuses (a scenario's low vol on a CRR tree, say): price
        # them one by one, NaN where refused, and count them; the run goes on
        flat = np.empty(len(shocked))
        for k, one in enumerate(shocked):
            try:
                flat[k] = price_notes([one], model=how.model, steps=how.steps, tree=how.tree)[0]
            except UserError:
                flat[k] = np.nan
                failed += 1
    head = flat[: len(notes) * len(bumps)].reshape(len(notes), len(bumps))
    grid = flat[len(notes) * len(bumps) :].reshape(len(notes), len(scenarios))
    base = head[:, 0]
    spot = np.array([n.spot for n in notes])
    hv = np.array([_vol_bump(n) for n in notes])
    ds = spot * SPOT_BUMP
    delta = (head[:, 1] - head[:, 2]) / (2.0 * ds)
    gamma = (head[:, 1] - 2.0 * base + head[:, 2]) / (ds * ds)
    vega = (head[:, 3] - head[:, 4]) / (2.0 * hv)
    pnl = grid - base[:, None]
    risk = Risk(pnl=[float(x) for x in np.nansum(pnl, axis=0)], base=float(np.nansum(base)),
                notes=len(notes), failed=failed)
    for k, note in enumerate(notes):
        acc = risk.issuers.setdefault(note.issuer, [0.0, 0.0, 0.0])
        for i, greek in enumerate((delta[k], gamma[k], vega[k])):
            if math.isfinite(greek):
                acc[i] += float(greek)
    rows = {
        "id": [n.id for n in notes for _ in scenarios],
        "issuer": [n.issuer for n in notes for _ in scenarios],
        "scenario": [s.name for _ in notes for s in scenarios],
        "value": grid.ravel().tolist(),
        "pnl": pnl.ravel().tolist(),
    }
    return rows, risk


def _vol_bump(note: BatchNote) -> float:
    lowest = min([note.volatility, *(v for _, v in note.vol_curve)])
    return min(VOL_BUMP, lowest / 2.0)


class ExactSum:
    """The correctly rounded sum of every value added (Shewchuk's partials, as ``math.fsum``):
    the same total whatever the partitioning."""

    def __init__(self) -> None:
        self.partials: list[float] = []

    def add(self, values: Sequence[float]) -> None:
        partials = self.partials
        for x in values:
            i = 0
            for y in partials:
                if abs(x) < abs(y):
                    x, y = y, x
                hi = x + y
                lo = y - (hi - x)
                if lo:
                    partials[i] = lo
                    i += 1
                x = hi
            partials[i:] = [x]

    def value(self) -> float:
        return math.fsum(self.partials)


@dataclass
class Summary:
    notes: int = 0
    rows: int = 0
    total_value: float = 0.0
    partitions: int = 0
    risk: Risk | None = None
    scenarios: list[Scenario] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"count": self.notes, "rows": self.rows,
                                "total_value": self.total_value, "partitions": self.partitions}
        if self.risk is not None:
            data["scenarios"] = [s.name for s in self.scenarios]
            data["risk"] = self.risk.to_json(self.scenarios)
        return data


def partition_size(chunk: int, scenarios: Sequence[Scenario] | None) -> int:
    """Notes per partition: ``chunk`` pricings' worth (a note under scenarios is 5 + S)."""
    per_note = 5 + len(scenarios) if scenarios else 1
    return max(1, chunk // per_note)


def value_file(
    source: Path,
    out: Path,
    *,
    model: str = "hazard",
    steps: int = 500,
    tree: str | None = None,
    client: Client | None = None,
    scenarios: Sequence[Scenario] | None = None,
    chunk: int = 2_000,
    out_format: str | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> Summary:
    """Value every note of ``source`` (CSV or Parquet) into ``out`` (CSV, or Parquet by suffix or
    ``out_format``), in partitions of ``chunk`` pricings, here or on ``client``'s cluster.
    ``on_progress(notes_done)`` after each partition."""
    how = Pricing(model, steps, tree)
    size = partition_size(chunk, scenarios)
    parquet = out_format == "parquet" if out_format else is_parquet(out)
    summary = Summary(scenarios=list(scenarios or []))
    partitions = iter_parts(source, size)
    risks: list[Any] = []
    if scenarios:
        writer = TableWriter(out, SCENARIO_COLUMNS, SCENARIO_TYPES, parquet)
    else:
        writer = TableWriter(out, VALUE_COLUMNS, VALUE_TYPES, parquet)
    try:
        if scenarios:
            for rows, _risk in _scenario_results(partitions, how, list(scenarios), client, risks):
                writer.write(rows)
                summary.notes += len(rows["id"]) // len(scenarios)
                summary.rows += len(rows["id"])
                summary.partitions += 1
                if on_progress is not None:
                    on_progress(summary.notes)
            summary.risk = tree_reduce(combine, risks, client)
            summary.total_value = summary.risk.base
        else:
            total = ExactSum()
            for rows in ordered_map(value_partition, partitions, client, how):
                writer.write(rows)
                summary.notes += len(rows["id"])
                summary.rows += len(rows["id"])
                total.add(rows["value"])
                summary.partitions += 1
                if on_progress is not None:
                    on_progress(summary.notes)
            summary.total_value = total.value()
    finally:
        writer.close()
    if summary.notes == 0:
        raise UserError(f"{source}: no notes (only a header)")
    return summary


def _scenario_results(
    partitions: Iterator[NotesPart],
    how: Pricing,
    scenarios: list[Scenario],
    client: Client | None,
    risks: list[Any],
) -> Iterator[tuple[dict[str, list[Any]], Risk]]:
    """Each partition's (rows, risk), in order; every risk (a future of it on a cluster, where it
    stays until ``tree_reduce`` combines it there) is appended to ``risks``."""
    for rows, risk in ordered_map_split(scenario_partition, partitions, client, how, scenarios):
        risks.append(risk)
        yield rows, risk


def dumps(summary: Summary) -> str:
    return json.dumps(summary.to_json())
