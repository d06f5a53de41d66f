"""The error a user can cause.

``UserError`` carries one line naming the file, field or clause at fault. The CLI prints it and
exits with status 2; anything else that escapes is a bug and may raise with a traceback.
"""

from __future__ import annotations

EXIT_USER_ERROR = 2


class UserError(Exception):
    """A mistake in the user's input: bad file, bad field, missing data, a forbidden event."""

    def __init__(self, message: str) -> None:
        # Keep it to one line: the CLI shows exactly this.
        super().__init__(" ".join(message.split()))

    @property
    def message(self) -> str:
        return str(self.args[0])
