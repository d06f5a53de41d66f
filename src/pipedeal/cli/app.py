"""The typer application and the error boundary shared by every command."""

from __future__ import annotations

import sys
from typing import Any

import typer
from typer.core import TyperGroup

from pipedeal.errors import EXIT_USER_ERROR, UserError


class _UserErrorBoundary(TyperGroup):
    """Turn a ``UserError`` raised by any command into one stderr line and exit status 2."""

    def invoke(self, ctx) -> Any:  # noqa: ANN001 - click's Context (typer may vendor click)
        try:
            return super().invoke(ctx)
        except UserError as exc:
            from pipedeal.outfiles import plain  # no control characters reach the terminal

            print(f"pipedeal: error: {plain(exc.message)}", file=sys.stderr)
            sys.exit(EXIT_USER_ERROR)


app = typer.Typer(
    cls=_UserErrorBoundary,
    name="pipedeal",
    help="PIPE financings (convertible notes, warrants, registration rights) as code.",
    no_args_is_help=True,
    add_completion=True,  # --install-completion / --show-completion for bash, zsh, fish
    # plain help: rich help turned "A:B:STEP" into an emoji, swallowed "[options]" as markup
    # and printed "<bool>" after every flag
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)


def _show_version(value: bool) -> None:
    if value:
        from pipedeal import __version__

        print(f"pipedeal {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: bool = typer.Option(
        False, "--version", callback=_show_version, is_eager=True, help="print the version"
    ),
) -> None:
    """PIPE financings (convertible notes, warrants, registration rights) as code."""


def _register() -> None:
    # Each module adds its commands to ``app`` on import; one line per command group.
    from pipedeal.cli import (  # noqa: F401
        book,
        captable,
        filings,
        ledger,
        market,
        ocf,
        serve,
        value,
    )


_register()
