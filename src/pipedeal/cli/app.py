"""The typer application and the error boundary shared by every command."""

from __future__ import annotations

import sys
from typing import Any

import typer
from typer.core import TyperGroup

from pipedeal.errors import EXIT_USER_ERROR, UserError

# Each top-level command: the module that registers it on ``app`` (on import), and the line
# ``pipedeal --help`` shows for it (the first line of its help: a test keeps them equal). A
# command's module is imported only when the command runs, so ``pipedeal --help`` and a command
# that reads no deal do not pay for pandas, the calendars, numba or SQLAlchemy.
COMMANDS: dict[str, tuple[str, str]] = {
    "book": ("book", "The deal book: terms, prices, schedules, checks, ledger, cap table, "
             "accounting, value."),
    "schedule": ("book", "Interest and maturity payments of every note, as a table, JSON or CSV."),
    "captable": ("captable", "Cap table as of a date: fully diluted shares, ownership, the 20% "
                 "rule and dilution."),
    "accounting": ("captable", "Allocation, BCF, amortization and journal entries of the notes "
                   "and warrants."),
    "extract": ("filings", "Read a financing 8-K: structure, registrant and deal terms with "
                "provenance."),
    "disclose": ("filings", "Write the Form 8-K narrative for the financing from the deal's "
                 "terms."),
    "export-ocf": ("ocf", "Write the deal (and its ledger, if any) as an Open Cap Table Format "
                   "1.2.0 package."),
    "import-ocf": ("ocf", "Read an OCF package into a deal folder: the exact deal if pipedeal "
                   "wrote it, else a draft deal.toml with FILL marks."),
    "value": ("value", "Fair value and Greeks of every purchaser's note and warrant (inputs in "
              "market.toml), as they stand on the valuation date in the deal's ledger (or on "
              "the terms alone)."),
    "value-batch": ("value", "Value every note of a CSV or Parquet file (numba, all cores; or a "
                    "Dask cluster); a progress bar on a terminal."),
    "ledger": ("ledger", "The lifecycle ledger: record events, replay state, what is due, verify "
               "the chain."),
    "market": ("market", "Market data: import a vendor's daily prices into a deal's closes file."),
    "serve": ("serve", "Serve the deal room (HTTP API, OpenAPI docs at /docs) over a workspace."),
    "deals": ("serve", "Deals in a deal-room workspace."),
    "users": ("serve", "Users and their roles in a deal-room workspace."),
}  # fmt: skip


def _shortened(line: str, limit: int) -> str:
    """``line`` cut at a word to fit ``limit`` characters, "..." marking the cut (as click does
    for a command's short help)."""
    if len(line) <= limit:
        return line
    return line[: max(limit - 3, 1)].rsplit(" ", 1)[0].rstrip(",;:") + "..."


class _UserErrorBoundary(TyperGroup):
    """Turn a ``UserError`` raised by any command into one stderr line and exit status 2; load
    each command's module when the command is asked for (``COMMANDS``)."""

    def invoke(self, ctx) -> Any:  # noqa: ANN001 - click's Context (typer may vendor click)
        try:
            return super().invoke(ctx)
        except UserError as exc:
            from pipedeal.outfiles import plain  # no control characters reach the terminal

            print(f"pipedeal: error: {plain(exc.message)}", file=sys.stderr)
            sys.exit(EXIT_USER_ERROR)

    def list_commands(self, ctx) -> list[str]:  # noqa: ANN001
        return [*COMMANDS, *(n for n in super().list_commands(ctx) if n not in COMMANDS)]

    def get_command(self, ctx, cmd_name: str) -> Any:  # noqa: ANN001
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            import importlib

            importlib.import_module(f"pipedeal.cli.{COMMANDS[cmd_name][0]}")
            # the module registered its commands on ``app``: build them as click commands
            for name, command in typer.main.get_group(app).commands.items():
                self.commands.setdefault(name, command)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx, formatter) -> None:  # noqa: ANN001
        # the listing from COMMANDS, so that ``--help`` imports no command module
        limit = formatter.width - 6 - max(len(name) for name in COMMANDS)
        rows = [(name, _shortened(line, limit)) for name, (_, line) in COMMANDS.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


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
