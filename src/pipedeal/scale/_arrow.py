"""pyarrow and fsspec, imported on first use (they ship no type information: ``Any`` here)."""

from __future__ import annotations

from typing import Any


def pa() -> Any:
    import pyarrow  # type: ignore[import-untyped]

    return pyarrow


def pq() -> Any:
    import pyarrow.parquet  # type: ignore[import-untyped]

    return pyarrow.parquet


def fsspec() -> Any:
    import fsspec as module  # type: ignore[import-untyped]

    return module
