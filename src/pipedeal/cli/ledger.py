"""``pipedeal ledger``: init, record <event>, state, history, due, verify (and, in
``ledger_anchors``, head, keygen, checkpoint; in ``ledger_import``, import).

The ``record`` sub-commands live in ``ledger_record``; what the commands share (parsing, opening
and closing the ledger, recording and printing) in ``ledger_common``; the options in ``options``.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Annotated

import typer

from pipedeal.cli.app import app
from pipedeal.cli.ledger_common import closing, open_for_command, parse_date
from pipedeal.cli.ledger_record import record_app
from pipedeal.cli.options import By, Db, DealDir, DealKey, FollowSymlinks, FormatOpt
from pipedeal.cli.output import Format, emit_json, stdout_console
from pipedeal.errors import UserError
from pipedeal.ledger import views
from pipedeal.ledger.anchors import parse_head, read_checkpoint
from pipedeal.ledger.chain import VerifyReport
from pipedeal.ledger.contract import Contract
from pipedeal.ledger.corrections import voided_by
from pipedeal.ledger.export_check import check_export, load_export
from pipedeal.ledger.store import init_ledger

ledger_app = typer.Typer(
    help="The lifecycle ledger: record events, replay state, what is due, verify the chain.",
    no_args_is_help=True,
)
ledger_app.add_typer(record_app, name="record")
app.add_typer(ledger_app, name="ledger")


@ledger_app.command("init")
@closing
def init(
    deal_dir: DealDir,
    db: Db = None,
    deal_key: DealKey = None,
    issue: Annotated[
        bool,
        typer.Option(
            "--issue/--no-issue", help="record each purchaser's note issue at its closing"
        ),
    ] = True,
    by: By = None,
    accept_terms: Annotated[
        bool,
        typer.Option(
            "--accept-terms",
            help="deal.toml's contract terms were amended: record the amendment (a memo with the "
            "old and new terms fingerprints) and replay under the new terms",
        ),
    ] = False,
    format: FormatOpt = Format.text,
) -> None:
    """Create the ledger database (or migrate it) and record the closings; safe to re-run."""
    with init_ledger(
        deal_dir, db, deal_key=deal_key, issue=issue, by=by, accept_terms=accept_terms
    ) as ledger:
        n = len(ledger.events())
        if format is Format.json:
            emit_json(
                {
                    "schema_version": views.SCHEMA_VERSION,
                    "location": ledger.location,
                    "deal_key": ledger.deal_key,
                    "events": n,
                }
            )
        else:
            print(f"ledger ready at {ledger.location} (deal {ledger.deal_key!r}, {n} events)")


@ledger_app.command("state")
@closing
def state(
    deal_dir: DealDir,
    as_of: Annotated[str | None, typer.Option("--as-of", help="date (default today)")] = None,
    db: Db = None,
    deal_key: DealKey = None,
    format: FormatOpt = Format.text,
) -> None:
    """Every note and warrant as of a date: a pure replay of the log."""
    day = parse_date(as_of, "--as-of") if as_of else dt.date.today()
    with open_for_command(deal_dir, db, deal_key) as ledger:
        data = views.state_json(ledger.state(day))
    if format is Format.json:
        emit_json(data)
    else:
        views.render_state(data, stdout_console())


@ledger_app.command("history")
@closing
def history(
    deal_dir: DealDir,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="only events dated on or before")
    ] = None,
    instrument: Annotated[
        str | None, typer.Option("--instrument", help="note:NAME, warrant:NAME or deal")
    ] = None,
    db: Db = None,
    deal_key: DealKey = None,
    format: FormatOpt = Format.text,
) -> None:
    """The recorded events in sequence order, with who recorded them and when."""
    day = parse_date(as_of, "--as-of") if as_of else None
    with open_for_command(deal_dir, db, deal_key) as ledger:
        everything = ledger.events()
    voided = voided_by(everything)  # a voided event is marked even if its correction is later
    records = tuple(r for r in everything if day is None or r.event.date <= day)
    if instrument:
        records = tuple(r for r in records if r.event.instrument == instrument)
    data = views.history_json(records, voided)
    if format is Format.json:
        emit_json(data)
    else:
        views.render_history(data, stdout_console())


@ledger_app.command("due")
@closing
def due(
    deal_dir: DealDir,
    as_of: Annotated[str, typer.Option("--as-of", help="date, YYYY-MM-DD")],
    days: Annotated[
        int, typer.Option("--days", min=0, max=3660, help="look ahead this many days")
    ] = 30,
    db: Db = None,
    deal_key: DealKey = None,
    format: FormatOpt = Format.text,
    ics: Annotated[
        Path | None,
        typer.Option("--ics", help="write the list to this iCalendar file instead"),
    ] = None,
    follow_symlinks: FollowSymlinks = False,
) -> None:
    """Interest due, election windows closing, maturities, expiries, registration deadlines."""
    day = parse_date(as_of, "--as-of")
    protect: tuple[Path, ...] = ()
    if ics is not None:
        from pipedeal.outfiles import check_target, deal_inputs

        protect = deal_inputs(deal_dir, db)
        check_target(ics, "--ics", protect=protect, follow_symlinks=follow_symlinks)
    with open_for_command(deal_dir, db, deal_key) as ledger:
        items = ledger.due(day, days)
        contract = ledger.contract
    if ics is not None:
        from pipedeal.interop.ics import due_calendar, write_due_ics

        cal = due_calendar(items, contract, as_of=day, days=days)
        write_due_ics(cal, ics, protect=protect, follow_symlinks=follow_symlinks)
        typer.echo(f"wrote {ics} ({len(items)} events)", err=True)
        return
    data = views.due_json(day, days, items)
    if format is Format.json:
        emit_json(data)
    else:
        views.render_due(data, stdout_console())


@ledger_app.command("verify")
@closing
def verify(
    deal_dir: Annotated[
        Path | None,
        typer.Argument(
            help="deal folder (holds deal.toml); with --export, optional: the export's terms "
            "must be this folder's",
            show_default=False,
        ),
    ] = None,
    db: Db = None,
    deal_key: DealKey = None,
    expect_head: Annotated[
        str | None,
        typer.Option(
            "--expect-head",
            help="SEQ:HASH kept from `ledger head --export` (or a bare hash): it must still be "
            "on the chain",
        ),
    ] = None,
    checkpoint: Annotated[
        Path | None,
        typer.Option("--checkpoint", help="a signed checkpoint (`ledger checkpoint`) to check"),
    ] = None,
    public_key: Annotated[
        Path | None,
        typer.Option("--public-key", help="the public key the checkpoint must be signed with"),
    ] = None,
    export: Annotated[
        Path | None,
        typer.Option(
            "--export",
            help="check a deal room export file offline (no database): its hash chain and head",
        ),
    ] = None,
    format: FormatOpt = Format.text,
) -> None:
    """Walk the hash chain; report the first altered or missing event (exit status 1)."""
    if (checkpoint is None) != (public_key is None):
        raise UserError("--checkpoint and --public-key go together")
    if export is not None:
        if checkpoint is not None or expect_head is not None or db is not None:
            raise UserError("--export: checked on its own (no --db, --checkpoint, --expect-head)")
        data = load_export(export)
        contract = None if deal_dir is None else Contract.from_deal_dir(deal_dir)
        report = check_export(data, contract)
        _print_verify(report, format, "")
        return
    if deal_dir is None:
        raise UserError("DEAL_DIR: the deal folder is required (unless --export FILE)")
    with open_for_command(deal_dir, db, deal_key) as ledger:
        anchors = []
        if checkpoint is not None and public_key is not None:
            anchors.append(read_checkpoint(checkpoint, public_key, ledger.deal_key))
        if expect_head is not None:
            parse_head(expect_head)  # a malformed value is a user error (exit 2)
        report = ledger.verify(expect_head=expect_head, anchors=anchors)
    kept = anchors or expect_head
    _print_verify(report, format, " and the values kept elsewhere" if kept else "")


def _print_verify(report: VerifyReport, format: Format, checked: str) -> None:
    """Print ``verify``'s report; exit status 1 when the chain is broken."""
    if format is Format.json:
        emit_json(views.verify_json(report))
    elif report.ok:
        print(f"ok: {report.events} events, chain intact{checked}, head {report.head_hash}")
    elif report.first_bad_seq is None:
        print(f"FAILED: {report.problem}")
    else:
        print(f"FAILED at event {report.first_bad_seq}: {report.problem}")
    if not report.ok:
        sys.exit(1)


# the commands of other modules register on ledger_app when imported
from pipedeal.cli import ledger_anchors, ledger_import  # noqa: E402

__all__ = ["ledger_anchors", "ledger_app", "ledger_import"]
