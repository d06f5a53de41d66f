"""Arguments and options shared by several commands, declared once.

Each is a ``typing.Annotated`` alias: a command writes ``deal_dir: DealDir`` or
``db: Db = None`` and gets the same name, short flag and help everywhere. A default belongs to
the command (``= None``, ``= Format.text``); an alias without one is required.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from typer.models import OptionInfo

from pipedeal.cli.output import Format
from pipedeal.errors import UserError

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
    "optional_date",
    "parse_date",
]


def parse_date(value: str, option: str, *, calendar_range: bool = True) -> dt.date:
    """``value`` as a YYYY-MM-DD date (within the calendars' range unless ``calendar_range`` is
    off: a date of history, like a formation date), or a user error naming ``option``."""
    try:
        day = dt.date.fromisoformat(value.strip())
    except ValueError:
        raise UserError(f"{option}: not a date (YYYY-MM-DD): {value!r}") from None
    if calendar_range:
        from pipedeal.market.calendars import check_in_range  # pandas: only when a date is given

        check_in_range(day, option)
    return day


def optional_date(
    value: str | None, option: str, *, calendar_range: bool = True
) -> dt.date | None:
    """``parse_date`` of an option left out (None) or given."""
    return None if value is None else parse_date(value, option, calendar_range=calendar_range)

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
