"""``pipedeal ledger import DEAL_DIR FILE.jsonl``: many events in one transaction.

Each non-blank line is one event as ``ledger history --format json`` shows it (``{"kind",
"date", "instrument", "payload", "at"?}``), optionally with its idempotency key (``"key"``), or a
whole history record (``{"event": {...}, "idempotency_key": ...}``). Every event is checked
against the bounds and the rules in order, numbered and hashed; all or nothing. An event whose
key is already stored (the same event) is skipped, so importing a file twice adds nothing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError

from pipedeal.cli.ledger import ledger_app
from pipedeal.cli.ledger_common import closing, first_error, open_for_command
from pipedeal.cli.options import By, Db, DealDir, DealKey, FormatOpt
from pipedeal.cli.output import Format, emit_json
from pipedeal.errors import UserError
from pipedeal.ledger import views
from pipedeal.ledger.events import Event

MAX_LINE = 1_000_000  # characters in one line (an event is far smaller)


def read_events(path: Path) -> list[tuple[Event, str | None]]:
    """The events of a JSON Lines file, each with its key (None: the default); a bad line is a
    one-line error naming the file, the line and the field."""
    out: list[tuple[Event, str | None]] = []
    try:
        f = path.open("r", encoding="utf-8", newline="")
    except OSError as exc:
        raise UserError(f"{path}: cannot read: {exc.strerror or exc}") from None
    with f:
        number = 0
        while True:
            try:
                line = f.readline(MAX_LINE + 1)
            except UnicodeDecodeError:
                raise UserError(f"{path} line {number + 1}: not UTF-8") from None
            if not line:
                break
            number += 1
            if len(line) > MAX_LINE:
                raise UserError(f"{path} line {number}: longer than {MAX_LINE:,} characters")
            if not line.strip():
                continue
            out.append(_parse_line(path, number, line))
    return out


def _parse_line(path: Path, number: int, line: str) -> tuple[Event, str | None]:
    where = f"{path} line {number}"
    try:
        data: Any = json.loads(line)
    except (ValueError, RecursionError):
        raise UserError(f"{where}: not a JSON object") from None
    if not isinstance(data, dict):
        raise UserError(f"{where}: not a JSON object")
    if "event" in data:
        key = data.get("idempotency_key", data.get("key"))
        data = data["event"]
        if not isinstance(data, dict):
            raise UserError(f"{where}: event: not a JSON object")
    else:
        data = dict(data)
        key = data.pop("key", None)
    if key is not None and not isinstance(key, str):
        raise UserError(f"{where}: key: not a string")
    try:
        return Event.model_validate(data), key
    except ValidationError as exc:
        raise UserError(f"{where}: {first_error(exc)}") from None


@ledger_app.command("import")
@closing
def import_events(
    deal_dir: DealDir,
    file: Annotated[Path, typer.Argument(help="JSON Lines file of events", show_default=False)],
    db: Db = None,
    deal_key: DealKey = None,
    by: By = None,
    format: FormatOpt = Format.text,
) -> None:
    """Record the events of a JSON Lines file in one transaction (all or nothing; events
    already recorded under the same key are skipped)."""
    items = read_events(file)
    with open_for_command(deal_dir, db, deal_key) as ledger:
        result = ledger.import_events(items, by=by)
    if format is Format.json:
        emit_json(
            {
                "schema_version": views.SCHEMA_VERSION,
                "recorded": result.recorded,
                "already_recorded": result.already_recorded,
                "head_seq": result.head_seq,
                "head_hash": result.head_hash,
            }
        )
    else:
        print(
            f"imported {result.recorded} events ({result.already_recorded} already recorded); "
            f"head event {result.head_seq}, hash {result.head_hash}"
        )
