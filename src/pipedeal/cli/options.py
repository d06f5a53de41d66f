"""Arguments and options shared by several commands, declared once.

Each is a ``typing.Annotated`` alias: a command writes ``deal_dir: DealDir`` or
``db: Db = None`` and gets the same name, short flag and help everywhere. A default belongs to
the command (``= None``, ``= Format.text``); an alias without one is required.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from typer.models import OptionInfo

from pipedeal.cli.output import Format

__all__ = [
    "By",
    "DealDir",
    "DealKey",
    "Db",
    "EventDate",
    "FollowSymlinks",
    "FormatOpt",
    "IdempotencyKey",
    "Purchaser",
    "date_option",
]

DealDir = Annotated[Path, typer.Argument(help="deal folder (holds deal.toml)", show_default=False)]
"""The deal folder, first argument of every command that reads a deal."""

FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="text or json")]
"""``--format text|json``; give it the default ``Format.text``."""

FollowSymlinks = Annotated[
    bool,
    typer.Option(
        "--follow-symlinks",
        help="an output path that is a symbolic link: write to its target (default: refuse)",
    ),
]
"""``--follow-symlinks`` of a command that writes files; give it the default ``False``."""

# --- the ledger: where it lives and who records ------------------------------------------------

Db = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="database URL or SQLite file (default $PIPEDEAL_DB, else DEAL_DIR/ledger.sqlite)",
    ),
]
DealKey = Annotated[
    str | None,
    typer.Option(
        "--deal-key", help="the deal's key in a shared database (default: the deal's name)"
    ),
]
IdempotencyKey = Annotated[
    str | None,
    typer.Option(
        "--key",
        help="idempotency key (default: a digest of the event; a retried command applies once)",
    ),
]
By = Annotated[
    str | None,
    typer.Option("--by", help="who records it (default $PIPEDEAL_USER, else user@host)"),
]

# --- an event's subject and date ---------------------------------------------------------------

Purchaser = Annotated[
    str, typer.Option("--purchaser", "-p", help="purchaser name, as in deal.toml")
]
"""The purchaser an event concerns (required)."""

EventDate = Annotated[str, typer.Option("--date", "-d", help="event date, YYYY-MM-DD")]
"""The event's date (required)."""


def date_option(help: str) -> OptionInfo:
    """``--date``/``-d`` of an event whose date has a default: ``Annotated[str | None,
    date_option("default: the closing date")] = None``."""
    return typer.Option("--date", "-d", help=help)
