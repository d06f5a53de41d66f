"""Output files every command writes (``--out``, ``--html``, ``--pdf``): checked before any work,
written whole or not at all.

A target in a missing or read-only folder is a user mistake: one line naming the option, exit 2,
and nothing written. Content goes to a temporary file in the target's folder, then ``os.replace``
puts it in place, so a failure never leaves a half-written file behind.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from pipedeal.errors import UserError


def check_target(path: Path | str, option: str) -> Path:
    """``path`` if a file can be written there; ``UserError`` naming ``option`` otherwise."""
    path = Path(path)
    parent = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise UserError(f"{option} {path}: is a directory; give a file name")
    if not parent.is_dir():
        raise UserError(f"{option} {path}: folder {parent} does not exist")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise UserError(f"{option} {path}: folder {parent} is not writable")
    if path.exists() and not os.access(path, os.W_OK):
        raise UserError(f"{option} {path}: file is not writable")
    return path


def write_atomic(path: Path | str, content: bytes | str, option: str) -> None:
    """Write ``content`` (text as UTF-8) to ``path`` in one piece."""
    path = check_target(path, option)
    data = content.encode("utf-8") if isinstance(content, str) else content
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    except OSError as exc:
        raise UserError(f"{option} {path}: cannot write: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise UserError(f"{option} {path}: cannot write: {exc.strerror}") from None
