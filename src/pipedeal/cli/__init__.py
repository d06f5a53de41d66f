"""The ``pipedeal`` command line: a thin typer layer over the library.

Each command group lives in its own module and registers itself on ``app`` when imported; ``app``
imports a module only when one of its commands runs (``app.COMMANDS``).
User mistakes (``UserError``) become one line on stderr and exit status 2, with nothing written.
"""

from __future__ import annotations

from pipedeal.cli.app import app


def main() -> None:
    """Console entry point."""
    app()


__all__ = ["app", "main"]
