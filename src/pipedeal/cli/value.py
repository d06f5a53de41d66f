"""``pipedeal value`` (a deal's notes and warrants) and ``pipedeal value-batch`` (a CSV)."""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from pipedeal.cli.app import app
from pipedeal.cli.options import FollowSymlinks, optional_date
from pipedeal.cli.output import Format, emit_json, slow_work_notice, stdout_console
from pipedeal.errors import UserError
from pipedeal.outfiles import check_target, markup, write_atomic
from pipedeal.valuation.render import render_valuation


@app.command()
def value(
    deal_dir: Path = typer.Argument(..., help="deal folder (deal.toml + market.toml)"),
    as_of: str | None = typer.Option(None, "--as-of", help="valuation date (default: market.toml)"),
    model: str | None = typer.Option(None, "--model", help="tf | hazard | hull | ql"),
    steps: int | None = typer.Option(None, "--steps", help="lattice steps (pde: time steps)"),
    engine: str | None = typer.Option(
        None, "--engine", help="lattice | pde (default: market.toml's, else lattice)"
    ),
    greeks_check: bool = typer.Option(
        False, "--greeks-check", help="also value at twice the steps; flag Greeks moving > 1%"
    ),
    smoothing: bool = typer.Option(
        False, "--smoothing", help="lattice: last step and election window in closed form"
    ),
    richardson: bool = typer.Option(
        False, "--richardson", help="lattice: 2 V(steps) - V(steps/2)"
    ),
    format: Format = typer.Option(Format.text, "--format", "-f", help="text or json"),
    db: str | None = typer.Option(
        None, "--db", help="the ledger's database URL or SQLite file (default $PIPEDEAL_DB, else "
        "DEAL_DIR/ledger.sqlite)",
    ),
) -> None:
    """Fair value and Greeks of every purchaser's note and warrant (inputs in market.toml),
    as they stand on the valuation date in the deal's ledger (or on the terms alone)."""
    import pipedeal

    deal: Any = deal_dir
    if smoothing or richardson:  # market.toml's settings, turned on for this run
        deal = pipedeal.load_deal(deal_dir)
        if deal.market is not None:
            m = deal.market
            update = {"smoothing": m.smoothing or smoothing,
                      "richardson": m.richardson or richardson}
            deal = replace(deal, market=m.model_copy(update=update))
    with slow_work_notice():  # a spinner on a terminal if it takes long (first run compiles)
        data = pipedeal.value(
            deal, as_of=optional_date(as_of, "--as-of"), model=model, steps=steps, db=db,
            engine=engine, greeks_check=greeks_check,
        ).to_json()
    if format is Format.json:
        emit_json(data)
        return
    render_valuation(data, stdout_console())


@app.command("value-batch")
def value_batch(
    input_csv: Path = typer.Argument(
        ..., help="one note per row, CSV or .parquet (columns: docs/valuation.md)"
    ),
    model: str = typer.Option("hazard", "--model", help="hazard | tf | hull | ql"),
    steps: int = typer.Option(500, "--steps", help="lattice steps"),
    tree: str | None = typer.Option(None, "--tree", help="crr | jr | lr (default per model)"),
    out: Path | None = typer.Option(
        None, "--out", "-o", help="write values here (CSV, or Parquet for .parquet)"
    ),
    format: Format = typer.Option(Format.text, "--format", "-f", help="text or json"),
    follow_symlinks: FollowSymlinks = False,
    scheduler: str | None = typer.Option(
        None, "--scheduler", help="run on this Dask scheduler (tcp://HOST:8786)"
    ),
    cluster: str | None = typer.Option(
        None, "--cluster", help="run on a new local Dask cluster of N workers (local:N)"
    ),
    scenarios: Path | None = typer.Option(
        None, "--scenarios", help="shocks (CSV rows or TOML grid): a long table and risk"
    ),
    chunk: int | None = typer.Option(
        None, "--chunk", help="pricings per partition (default 2000)"
    ),
    engine: str = typer.Option(
        "lattice", "--engine", help="lattice | pde (pde: --steps are time steps)"
    ),
    smoothing: bool = typer.Option(
        False, "--smoothing", help="every note (else the smoothing column): closed-form last step"
    ),
    richardson: bool = typer.Option(
        False, "--richardson", help="every note (else the richardson column): 2 V(N) - V(N/2)"
    ),
) -> None:
    """Value every note of a CSV or Parquet file (numba, all cores; or a Dask cluster); a
    progress bar on a terminal."""
    from pipedeal.market.inputs import check_steps
    from pipedeal.scale.cli import wants_scale
    from pipedeal.valuation.batch import BatchNote, price_notes, read_batch_csv

    check_steps(steps)  # before reading the file (and before a cluster is started)

    if engine not in ("lattice", "pde"):
        raise UserError(f"--engine: unknown engine {engine!r} (use lattice, pde)")
    if engine == "pde" and tree is not None:
        raise UserError("--tree: the pde engine has no tree")
    if engine == "pde" and wants_scale(input_csv, out, scheduler, cluster, scenarios, chunk):
        raise UserError("--engine pde: a CSV file to a CSV --out (or none), without "
                        "--scheduler, --cluster, --scenarios or --chunk")

    def price(notes: list[BatchNote], on_progress: Callable[[int], None] | None = None) -> Any:
        if engine == "pde":
            from pipedeal.valuation.pde.batch import price_notes as pde_price_notes

            return pde_price_notes(notes, model=model, steps=steps, on_progress=on_progress)
        return price_notes(notes, model=model, steps=steps, tree=tree, on_progress=on_progress,
                           smoothing=smoothing, richardson=richardson)

    if (smoothing or richardson) and (
        engine == "pde" or wants_scale(input_csv, out, scheduler, cluster, scenarios, chunk)
    ):
        raise UserError("--smoothing/--richardson: the lattice on a CSV file to a CSV --out (or "
                        "none); elsewhere use the smoothing and richardson columns")

    if wants_scale(input_csv, out, scheduler, cluster, scenarios, chunk):
        from pipedeal.scale.cli import value_batch as scaled

        scaled(input_csv, out, model=model, steps=steps, tree=tree, scheduler=scheduler,
               cluster=cluster, scenarios=scenarios, chunk=chunk,
               as_json=format is Format.json, follow_symlinks=follow_symlinks)
        return

    if out is not None:
        # before minutes of pricing, not after
        check_target(out, "--out", protect=(input_csv,), follow_symlinks=follow_symlinks)
    notes = read_batch_csv(input_csv)
    err = Console(stderr=True)
    if err.is_terminal:
        from rich.progress import Progress

        with Progress(console=err, transient=True) as progress:
            task = progress.add_task(f"valuing {len(notes)} notes", total=len(notes))
            values = price(notes, lambda done: progress.update(task, completed=done))
    else:
        values = price(notes)
    how = model if engine == "lattice" else f"{model} by the PDE"
    rows = [
        {
            "id": n.id,
            "model": model,
            "steps": steps,
            "face": n.face,
            "value": float(v),
            "value_per_100": float(v) / n.face * 100.0,
        }
        for n, v in zip(notes, values, strict=True)
    ]
    if out is not None:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
        write_atomic(
            out,
            buffer.getvalue(),
            "--out",
            protect=(input_csv,),
            follow_symlinks=follow_symlinks,
        )
    if format is Format.json:
        emit_json(
            {
                "schema_version": 1,
                "input": str(input_csv),
                "model": model,
                "engine": engine,
                "steps": steps,
                "count": len(rows),
                "total_value": float(values.sum()),
                "notes": rows,
            }
        )
        return
    if out is not None:
        print(
            f"{len(rows)} notes valued ({how}, {steps} steps): total "
            f"{values.sum():,.2f}; written to {out}"
        )
        return
    t = Table(title=markup(f"{len(rows)} notes, model {how}, {steps} steps"))
    for col in ("id", "face", "value", "per 100"):
        t.add_column(col, justify="left" if col == "id" else "right")
    for r in rows:
        t.add_row(
            markup(r["id"]), f"{r['face']:,.2f}", f"{r['value']:,.2f}", f"{r['value_per_100']:.4f}"
        )
    Console(file=sys.stdout).print(t)
