"""The command-line face of ``pipedeal.scale``: what ``value-batch`` and ``extract --jsonl`` do
with a Parquet file, ``--scheduler``, ``--cluster`` or ``--scenarios`` (called from
``pipedeal.cli``; outputs written by ``pipedeal.outfiles`` rules)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from pipedeal.errors import UserError
from pipedeal.outfiles import atomic_path, check_target


def wants_scale(source: Path | str, out: Path | None, *options: object) -> bool:
    """Whether a batch command takes the partitioned path: a Parquet input or output, or any of
    the scale options given."""
    from pipedeal.scale.columnar import is_parquet

    return (
        is_parquet(source)
        or (out is not None and is_parquet(out))
        or any(o is not None and o is not False for o in options)
    )


def value_batch(
    source: Path,
    out: Path | None,
    *,
    model: str,
    steps: int,
    tree: str | None,
    scheduler: str | None,
    cluster: str | None,
    scenarios: Path | None,
    chunk: int | None,
    as_json: bool,
    follow_symlinks: bool,
) -> None:
    """``value-batch`` streamed in partitions (here or on a cluster) into ``--out``."""
    from pipedeal.scale.cluster import connect
    from pipedeal.scale.valuation import read_scenarios, value_file

    if out is None:
        raise UserError(
            "--out: a Parquet input, --scheduler, --cluster or --scenarios writes its table to "
            "--out FILE (.csv or .parquet)"
        )
    if chunk is not None and chunk < 1:
        raise UserError(f"--chunk: must be at least 1, got {chunk}")
    protect = [source] + ([scenarios] if scenarios is not None else [])
    check_target(out, "--out", protect=protect, follow_symlinks=follow_symlinks)
    grid = read_scenarios(scenarios) if scenarios is not None else None
    err = Console(stderr=True)
    with (
        connect(scheduler, cluster) as client,
        atomic_path(out, "--out", protect=protect, follow_symlinks=follow_symlinks) as tmp,
        _progress(err, "valuing notes") as progress,
    ):
        task = progress.add_task("value", total=None)
        summary = value_file(
            source,
            tmp,
            model=model,
            steps=steps,
            tree=tree,
            client=client,
            scenarios=grid,
            chunk=chunk or 2_000,
            out_format="parquet" if _parquet(out) else "csv",
            on_progress=lambda done: progress.update(task, completed=done),
        )
    data: dict[str, Any] = {"schema_version": 1, "input": str(source), "model": model,
                            "steps": steps, "out": str(out), **summary.to_json()}
    if as_json:
        print(json.dumps(data, indent=2))
        return
    where = f" on {scheduler or cluster}" if (scheduler or cluster) else ""
    if grid is None:
        print(f"{summary.notes} notes valued ({model}, {steps} steps{where}): total "
              f"{summary.total_value:,.2f}; written to {out}")
        return
    print(f"{summary.notes} notes × {len(grid)} scenarios ({model}, {steps} steps{where}): "
          f"{summary.rows} rows written to {out}; base value {summary.total_value:,.2f}")
    risk = data["risk"]
    console = Console(file=sys.stdout)
    greeks = Table(title="Greeks (spot ±1%, vol ±0.01; sums over notes)")
    for col in ("issuer", "delta", "gamma", "vega"):
        greeks.add_column(col, justify="left" if col == "issuer" else "right")
    for name, g in [*risk["greeks"]["by_issuer"].items(), ("total", risk["greeks"]["total"])]:
        greeks.add_row(name or "(none)", f"{g['delta']:,.2f}", f"{g['gamma']:,.4f}",
                       f"{g['vega']:,.2f}")
    console.print(greeks)
    pnl = Table(title="P&L per scenario")
    pnl.add_column("scenario")
    pnl.add_column("P&L", justify="right")
    for name, value in risk["pnl_by_scenario"].items():
        pnl.add_row(name, f"{value:,.2f}")
    console.print(pnl)
    if risk["refused_pricings"]:
        print(f"{risk['refused_pricings']} shocked pricings refused by the lattice (NaN in the "
              "table, left out of the sums)")


def _parquet(path: Path) -> bool:
    from pipedeal.scale.columnar import is_parquet

    return is_parquet(path)


def _progress(console: Console, label: str) -> Progress:
    return Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=console, transient=True, disable=not console.is_terminal)


def extract_batch(
    target: str,
    out: Path,
    *,
    scheduler: str | None,
    cluster: str | None,
    follow_symlinks: bool,
) -> int:
    """``extract DIR|GLOB|URL --jsonl OUT`` partitioned by file (here or on a cluster), resuming
    from what ``OUT`` already holds; progress and a summary on stderr. Returns the exit status:
    0, 2 when a file failed, 130 when interrupted (rerun to resume)."""
    from pipedeal.scale.cluster import connect
    from pipedeal.scale.filings import expand_target, extract_files, is_url

    files = expand_target(target)
    local = [Path(f) for f in files if not is_url(f)]
    if Path(target).is_file():
        local.append(Path(target))  # an archive of filings is an input too
    check_target(out, "--jsonl", protect=local, follow_symlinks=follow_symlinks)
    err = Console(stderr=True)
    with (
        connect(scheduler, cluster) as client,
        atomic_path(out, "--jsonl", protect=local, follow_symlinks=follow_symlinks) as tmp,
        Progress(TextColumn("extract"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                 console=err, transient=False) as progress,
    ):
        task = progress.add_task("extract", total=len(files))
        summary = extract_files(
            files, out, tmp, client=client, parquet=_parquet(out),
            on_progress=lambda done: progress.update(task, completed=done),
        )
    err.print(
        f"{summary.files} files, {summary.ok} extracted, {len(summary.failures)} failed, "
        f"{summary.skipped} skipped (already in {out}), {summary.seconds:.2f} s, "
        f"{summary.files_per_second:.1f} files/s → {out}",
        markup=False, highlight=False, soft_wrap=True,
    )
    for source, message in summary.failures:
        err.print(f"failed: {source}: {message}", markup=False, highlight=False, soft_wrap=True)
    if summary.interrupted:
        err.print(f"{summary.interrupted}: {summary.kept + summary.done} files are in {out}; "
                  "run the same command again to resume", markup=False, highlight=False)
        return 130
    return 2 if summary.failures else 0
