"""Shared output helpers for commands."""

from __future__ import annotations

import json
import sys
from decimal import Decimal
from typing import Any


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def emit_json(data: Any) -> None:
    """Print ``data`` as indented JSON (Decimals as strings, dates ISO)."""
    sys.stdout.write(json.dumps(data, indent=2, default=_default) + "\n")
