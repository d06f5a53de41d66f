"""``pipedeal extract`` and ``pipedeal disclose``."""

from __future__ import annotations

import json
import os
from enum import StrEnum
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from pipedeal.cli.app import app
from pipedeal.cli.options import DealDir, FollowSymlinks, FormatOpt
from pipedeal.cli.output import Format, emit_json, stdout_console
from pipedeal.errors import UserError
from pipedeal.outfiles import (
    atomic_path,
    check_target,
    deal_inputs,
    markup,
    plain,
    safe_tree,
    write_atomic,
)


class Style(StrEnum):
    y2004 = "2004"
    current = "current"


def _is_batch(target: str, jsonl: Path | None) -> bool:
    return jsonl is not None or Path(target).is_dir() or any(c in target for c in "*?[")



@app.command()
def extract(
    target: str = typer.Argument(..., help="a filing (text, HTML or EDGAR .txt), or a folder/glob "
                                 "with --jsonl", show_default=False),
    format: FormatOpt = Format.text,
    deal_out: Path | None = typer.Option(None, "--deal-out", help="write a draft deal.toml here"),
    force: bool = typer.Option(False, "--force", help="overwrite an existing deal.toml"),
    jsonl: Path | None = typer.Option(None, "--jsonl", help="batch: one JSON line per filing "
                                      "(Parquet for .parquet)"),
    with_text: bool = typer.Option(False, "--with-text",
                                   help="include the normalised text that spans index into"),
    follow_symlinks: FollowSymlinks = False,
    explain: bool = typer.Option(False, "--explain", help="for each term, the candidates "
                                 "considered (value, span, score, rule) and why one won"),
    rules_only: bool = typer.Option(False, "--rules-only", help="the rules alone, without the "
                                    "learned scorer"),
    scheduler: str | None = typer.Option(None, "--scheduler", help="batch on this Dask "
                                         "scheduler (tcp://HOST:8786); resumes"),
    cluster: str | None = typer.Option(None, "--cluster", help="batch on a new local Dask "
                                       "cluster of N workers (local:N); resumes"),
) -> None:
    """Read a financing 8-K: structure, registrant and deal terms with provenance."""
    import pipedeal
    from pipedeal.filings.extract import read_filing_file

    if _is_batch(target, jsonl) and jsonl is not None and deal_out is None:
        from pipedeal.scale.cli import wants_scale
        from pipedeal.scale.filings import is_tar

        if wants_scale("", jsonl, scheduler, cluster) or "://" in target or is_tar(target):
            from pipedeal.scale.cli import extract_batch

            code = extract_batch(target, jsonl, scheduler=scheduler, cluster=cluster,
                                 follow_symlinks=follow_symlinks)
            if code:
                raise typer.Exit(code)
            return
    if _is_batch(target, jsonl):
        if jsonl is None:
            raise UserError(f"{target}: a folder or glob needs --jsonl OUT")
        if deal_out is not None:
            raise UserError("--deal-out takes a single filing, not a folder or glob")
        if _run_batch(target, jsonl, follow_symlinks):
            raise typer.Exit(2)
        return
    draft_file: Path | None = None
    if deal_out is not None:
        from pipedeal.terms.loader import DEAL_FILE

        if deal_out.exists() and not deal_out.is_dir():
            raise UserError(f"--deal-out {deal_out}: not a folder")
        draft_file = deal_out / DEAL_FILE
        if os.path.lexists(draft_file) and not force:
            raise UserError(f"{draft_file}: already exists; pass --force to overwrite it")
        if deal_out.is_dir():
            check_target(draft_file, "--deal-out", protect=(Path(target),),
                         follow_symlinks=follow_symlinks, draft=True)
    if explain or rules_only:
        from pipedeal.filings.extract import extract_file

        data = extract_file(target, explain=explain, rules_only=rules_only)
    else:
        data = pipedeal.extract_filing(target).to_json()
    if with_text:
        from pipedeal.filings.structure import parse_filing

        data["text"] = parse_filing(read_filing_file(target)).text
    if deal_out is not None and draft_file is not None:
        from pipedeal.filings.draft import draft_toml

        text, missing = draft_toml(data)
        try:
            deal_out.mkdir(parents=True, exist_ok=True)  # a new deal folder
        except OSError as exc:
            raise UserError(f"--deal-out {deal_out}: cannot create the folder: {exc.strerror}"
                            ) from None
        write_atomic(draft_file, text, "--deal-out", protect=(Path(target),),
                     follow_symlinks=follow_symlinks, draft=True)
        # the filing goes with the draft: the book's filing check reads it from the folder
        copy = deal_out / Path(target).name
        same = copy.exists() and copy.resolve() == Path(target).resolve()
        if not same and (not copy.exists() or force):
            write_atomic(copy, Path(target).read_bytes(), "--deal-out", protect=(Path(target),),
                         follow_symlinks=follow_symlinks, draft=True)
        data["deal_draft"] = {"path": str(draft_file), "fill": missing, "filing": str(copy)}
    if format is Format.json:
        emit_json(data)
        return
    _render(data, stdout_console())


def _run_batch(target: str, jsonl: Path, follow_symlinks: bool) -> list[tuple[str, str]]:
    """The local batch: progress bar, JSON Lines written whole (a temporary file beside
    ``--jsonl``, renamed at the end: an interrupted batch leaves the old file as it was; rerun
    it to resume), a summary naming the file, failures listed; returns the failures."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from pipedeal.filings.batch import expand, extract_many

    files = expand(target)
    console = Console(stderr=True)
    columns = (TextColumn("extract"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with (
        atomic_path(jsonl, "--jsonl", protect=files, follow_symlinks=follow_symlinks) as tmp,
        Progress(*columns, console=console, transient=False) as progress,
    ):
        task = progress.add_task("extract", total=len(files))
        result = extract_many(files, tmp, progress, task)
    console.print(f"{result.files} files, {result.ok} extracted, {len(result.failures)} failed, "
                  f"{result.seconds:.2f} s, {result.files_per_second:.1f} files/s → "
                  f"{markup(jsonl)}", highlight=False)
    for source, message in result.failures:
        console.print(plain(f"failed: {source}: {message}"), markup=False, highlight=False,
                      soft_wrap=True)
    return result.failures


def _render(raw: dict, console: Console) -> None:
    data = safe_tree(raw)  # a registrant's name or an exhibit title is text, never markup
    f, reg = data["filing"], data["registrant"]
    console.print(f"[bold]{reg.get('name') or '(no registrant)'}[/bold]  form {f['form_type']}  "
                  f"report {f['report_date']}  earliest event {f['earliest_event_date']}")
    for key in ("state", "commission_file_number", "irs_employer_number", "address", "zip",
                "phone"):
        console.print(f"  {key}: {reg.get(key)}")
    console.print("  items: " + ", ".join(f"{i['number']} {i['title']}" for i in f["items"]))
    console.print("  exhibits: " + ", ".join(f"{e['number']} {e['description']}"
                                              for e in f["exhibits"]))
    for s in f["signatures"]:
        console.print(f"  signed: {s['name']}, {s['title']}, {s['date']}")
    table = Table(title="Terms")
    table.add_column("term")
    table.add_column("value")
    table.add_column("span")
    for key, t in data["terms"].items():
        value = "—" if t["value"] is None else markup(json.dumps(raw["terms"][key]["value"]))
        span = "" if t["span"] is None else f"{t['span'][0]}–{t['span'][1]}"
        table.add_row(key, value, span)
    console.print(table)
    if len(data.get("financings") or []) > 1:
        console.print(f"{len(data['financings'])} financings in this filing (see --format json "
                      "'financings'):")
        for i, fin in enumerate(raw["financings"], start=1):
            t = fin["terms"]
            console.print(plain(f"  {i}. {t['event_date']['value']}  principal "
                                f"{t['principal_amount_usd']['value']}  "
                                f"{t['instrument_type']['value']}"), highlight=False)
    if "explain" in raw:
        _render_explain(raw["explain"], console)
    if "deal_draft" in data:
        d = data["deal_draft"]
        console.print(f"draft written: {d['path']} ({len(d['fill'])} FILL marks)")


def _render_explain(explain: dict, console: Console) -> None:
    """Per term: how its value was chosen and the candidates, best first."""
    console.print("[bold]Why each value[/bold]")
    for key, e in explain.items():
        console.print(plain(f"{key}: {e['by']} — {e['reason']}"), highlight=False)
        for c in e["candidates"]:
            span = "" if c["span"] is None else f"{c['span'][0]}–{c['span'][1]}"
            score = "   —" if c["score"] is None else f"{c['score']:.2f}"
            mark = " rule" if c["rule"] else ""
            console.print(plain(f"    {score}  {json.dumps(c['value'])}  {span}{mark}"),
                          highlight=False)


@app.command()
def disclose(
    deal_dir: DealDir,
    style: Style = typer.Option(Style.current, "--style", help="2004 (Items 5/7) or current "
                                "(Items 1.01, 2.03, 3.02, 9.01)"),
    out: Path | None = typer.Option(None, "--out", "-o", help="write to this file"),
    format: FormatOpt = Format.text,
    follow_symlinks: FollowSymlinks = False,
    check: bool = typer.Option(
        False, "--check", help="also compare the folder's 8-K with the deal's terms; exit 1 on "
        "any difference (each named on stderr)",
    ),
) -> None:
    """Write the Form 8-K narrative for the financing from the deal's terms."""
    import pipedeal

    protect = deal_inputs(deal_dir)
    if out is not None:
        check_target(out, "--out", protect=protect, follow_symlinks=follow_symlinks)
    deal = pipedeal.load_deal(deal_dir)
    text = pipedeal.disclosure(deal, style=style.value)
    if out is not None:
        write_atomic(out, text, "--out", protect=protect, follow_symlinks=follow_symlinks)
    if format is Format.json:
        emit_json({"schema_version": 1, "style": style.value, "out": str(out) if out else None,
                   "text": text})
    elif out is None:
        typer.echo(text, nl=False)
    if check:
        from pipedeal.filings.disclose import filing_check
        from pipedeal.report.book import check_mismatches

        found = filing_check(Path(deal_dir), deal.terms, deal.figures)
        if found is None:
            raise UserError(f"{deal_dir}: --check needs the deal's 8-K in the folder (none found)")
        bad = check_mismatches({"filing_check": found})
        for line in bad:
            typer.echo(f"MISMATCH {line}", err=True)
        if bad:
            raise typer.Exit(1)
