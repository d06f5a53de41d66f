"""``pipedeal book`` and ``pipedeal schedule``."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from pipedeal.cli.app import app
from pipedeal.cli.options import FollowSymlinks
from pipedeal.cli.output import Format, ScheduleFormat, emit_json, stdout_console

DealDir = typer.Argument(..., help="deal folder (holds deal.toml)", show_default=False)


@app.command()
def book(
    deal_dir: Path = DealDir,
    format: Format = typer.Option(Format.text, "--format", "-f", help="text or json"),
    html: Path | None = typer.Option(
        None, "--html", help="write the book to this self-contained HTML file instead"
    ),
    pdf: Path | None = typer.Option(
        None, "--pdf", help="write the book to this PDF instead (printed by headless Chromium)"
    ),
    xlsx: Path | None = typer.Option(
        None, "--xlsx", help="write the book to this Excel workbook instead (one sheet per section)"
    ),
    as_of: dt.datetime | None = typer.Option(
        None,
        "--as-of",
        formats=["%Y-%m-%d"],
        help="the book's one date: ledger state, cap table, accounting (default: the later of "
        "the last ledger event and the last closing)",
    ),
    db: str | None = typer.Option(
        None, "--db", help="the ledger's database URL or SQLite file (default $PIPEDEAL_DB, else "
        "DEAL_DIR/ledger.sqlite)",
    ),
    follow_symlinks: FollowSymlinks = False,
    check: bool = typer.Option(
        False, "--check", help="exit 1 when a stated figure or a term of the folder's 8-K differs "
        "from the deal (each difference named on stderr)",
    ),
    regime: str | None = typer.Option(
        None, "--regime", help="accounting regime: legacy or asu-2020-06 (default: the deal's "
        "[accounting] regime, else chosen from the filer status and fiscal year)",
    ),
) -> None:
    """The deal book: terms, prices, schedules, checks, ledger, cap table, accounting, value."""
    day = as_of.date() if as_of else None
    if day is not None:
        from pipedeal.market.calendars import check_in_range

        check_in_range(day, "--as-of")
    if regime is not None and regime not in ("legacy", "asu-2020-06"):
        from pipedeal.errors import UserError

        raise UserError(f"--regime: use legacy or asu-2020-06, got {regime!r}")
    if xlsx is not None:
        from pipedeal.outfiles import check_target, deal_inputs

        protect = deal_inputs(deal_dir, db)
        check_target(xlsx, "--xlsx", protect=protect, follow_symlinks=follow_symlinks)
    ctx = None
    if html is not None or pdf is not None:
        data, ctx = _book_files(deal_dir, html, pdf, day, db, follow_symlinks, regime)
    else:
        import pipedeal

        # a spinner on a terminal (silent otherwise): the first run compiles the kernels
        with Console(stderr=True).status(
            "computing the deal book (the first run also compiles the valuation kernels)..."
        ):
            if xlsx is None:
                data = pipedeal.book(deal_dir, as_of=day, db=db, regime=regime).to_json()
            else:  # the workbook also lists the ledger's events: keep the one read of it
                from pipedeal.report.book import book_data, build_context

                ctx = build_context(deal_dir, as_of=day, db=db, regime=regime)
                data = book_data(ctx)
        if xlsx is not None:
            pass  # the workbook (below) instead of the terminal
        elif format is Format.json:
            emit_json(data)
        else:
            from pipedeal.report.text import render_book

            render_book(data, stdout_console())
    if xlsx is not None:
        from pipedeal.interop.xlsx import ledger_history, write_book_xlsx
        from pipedeal.outfiles import deal_inputs

        assert ctx is not None
        write_book_xlsx(
            data, xlsx, history=ledger_history(ctx), protect=deal_inputs(deal_dir, db),
            follow_symlinks=follow_symlinks,
        )  # fmt: skip
        typer.echo(f"wrote {xlsx}", err=True)
    if check:
        _gate(data)


def _gate(data: dict[str, Any]) -> None:
    """``--check``: name every mismatch on stderr and exit 1 (0 when everything matches)."""
    from pipedeal.report.book import check_mismatches

    bad = check_mismatches(data)
    for line in bad:
        typer.echo(f"MISMATCH {line}", err=True)
    if bad:
        raise typer.Exit(1)


def _book_files(
    deal_dir: Path,
    html: Path | None,
    pdf: Path | None,
    as_of: dt.date | None,
    db: str | None,
    follow_symlinks: bool = False,
    regime: str | None = None,
) -> tuple[dict[str, Any], Any]:
    """``--html`` / ``--pdf``: write the report files and say where they are; the book data and
    its context."""
    from pipedeal.outfiles import deal_inputs
    from pipedeal.report.html import check_targets, render_html, write_html, write_pdf

    protect = deal_inputs(deal_dir, db)
    check_targets(html, pdf, protect=protect, follow_symlinks=follow_symlinks)
    status = Console(stderr=True).status  # a spinner on a terminal; silent otherwise
    with status("computing the deal book (the first run also compiles the valuation kernels)..."):
        from pipedeal.report.book import book_data, build_context

        ctx = build_context(deal_dir, as_of=as_of, db=db, regime=regime)
        data = book_data(ctx)
    with status("drawing the charts..."):
        page = render_html(data, ctx, generated=dt.date.today().isoformat())
    if pdf is not None:
        with status("printing the PDF with headless Chromium..."):
            pages = write_pdf(page, pdf, protect=protect, follow_symlinks=follow_symlinks)
        typer.echo(f"wrote {pdf} ({pages} pages)", err=True)
    if html is not None:
        write_html(page, html, protect=protect, follow_symlinks=follow_symlinks)
        typer.echo(f"wrote {html}", err=True)
    return data, ctx


@app.command()
def schedule(
    deal_dir: Path = DealDir,
    format: ScheduleFormat = typer.Option(ScheduleFormat.text, "--format", "-f"),
    purchaser: str | None = typer.Option(None, help="only this purchaser's note"),
    out: Path | None = typer.Option(
        None, "--out", "-o", help="write to this file instead of stdout"
    ),
    follow_symlinks: FollowSymlinks = False,
) -> None:
    """Interest and maturity payments of every note, as a table, JSON or CSV."""
    from pipedeal.errors import UserError
    from pipedeal.outfiles import check_target, deal_inputs, write_atomic

    protect = deal_inputs(deal_dir)
    if out is not None:
        check_target(out, "--out", protect=protect, follow_symlinks=follow_symlinks)
        if format is ScheduleFormat.text:
            # `--out schedule.csv` alone: the file name says the format
            by_suffix = {".csv": ScheduleFormat.csv, ".json": ScheduleFormat.json}
            if out.suffix.lower() not in by_suffix:
                raise UserError(
                    f"--out {out}: give --format csv or json (or a .csv / .json file name); "
                    "the text table is for the terminal"
                )
            format = by_suffix[out.suffix.lower()]
    import pipedeal
    from pipedeal.schedule.export import schedule_rows, write_schedule_csv

    deal = pipedeal.load_deal(deal_dir)
    schedules = deal.schedules
    if purchaser is not None:
        if purchaser not in deal.notes:
            names = ", ".join(deal.names)
            raise UserError(f"--purchaser: no purchaser named {purchaser!r} (have: {names})")
        schedules = (deal.notes[purchaser].schedule,)
    if format is ScheduleFormat.text:
        from rich.table import Table

        table = Table(title="Payment schedule")
        for col in (
            "purchaser",
            "pay_date",
            "period_start",
            "period_end",
            "days",
            "amount",
            "kind",
        ):
            table.add_column(col)
        from pipedeal.outfiles import markup

        for row in schedule_rows(schedules):
            table.add_row(*(markup(v) for v in row.values()))  # names are text, never markup
        stdout_console().print(table)
        return
    import io

    buffer = io.StringIO()
    if format is ScheduleFormat.csv:
        write_schedule_csv(schedules, buffer)
    else:
        buffer.write(
            json.dumps({"schema_version": 1, "rows": schedule_rows(schedules)}, indent=2) + "\n"
        )
    if out is None:
        sys.stdout.write(buffer.getvalue())
    else:
        write_atomic(
            out, buffer.getvalue(), "--out", protect=protect, follow_symlinks=follow_symlinks
        )
