"""Shared output helpers for commands: the ``--format`` choices, JSON and the console.

``Format`` (text | json) is the choice of every command that prints a report; the few commands
with other choices have their own enum here (``ScheduleFormat`` adds csv), so each set of
choices is defined once.
"""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from enum import StrEnum
from typing import Any

from rich.console import Console


class Format(StrEnum):
    """``--format`` of a report: a rich table for people, or JSON for programs."""

    text = "text"
    json = "json"


class ScheduleFormat(StrEnum):
    """``pipedeal schedule --format``: the report formats plus csv."""

    text = "text"
    json = "json"
    csv = "csv"


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def emit_json(data: Any) -> None:
    """Print ``data`` as indented JSON (Decimals as strings, dates ISO)."""
    sys.stdout.write(json.dumps(data, indent=2, default=_default) + "\n")


def stdout_console() -> Console:
    """A rich console on stdout whose tables never cut a figure (``cli.fit``); 160 columns wide
    when stdout is a file or a pipe (``COLUMNS`` still wins when set)."""
    import os

    from pipedeal.cli.fit import FittingConsole

    console = FittingConsole()
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console = FittingConsole(width=160)
    return console


FIRST_RUN = (
    "working... (the first run compiles pipedeal's numba kernels, about 20 s; later runs reuse "
    "the compiled cache)"
)


@contextmanager
def slow_work_notice(
    message: str = FIRST_RUN, *, after_s: float = 1.5, console: Console | None = None
) -> Iterator[None]:
    """A spinner with ``message`` on stderr when the work inside takes longer than ``after_s``
    (the first valuation compiles kernels for ~20 s and printed nothing). Only on a terminal:
    pipes and files get nothing."""
    console = console or Console(stderr=True)
    if not console.is_terminal:
        yield
        return
    status = console.status(message, spinner="dots")
    timer = threading.Timer(after_s, status.start)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
        status.stop()
