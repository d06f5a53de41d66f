"""Shared fixtures: the bundled example, a scratch copy of it, and service gates."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "innovo-2004"
SEED = ROOT.parent / "shared" / "seed"


def services_required() -> bool:
    """In CI every service-backed test must run, never skip."""
    return os.environ.get("PIPEDEAL_REQUIRE_SERVICES") == "1"


def skip_or_fail(reason: str) -> None:
    if services_required():
        pytest.fail(f"required service missing in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture
def example_dir() -> Path:
    return EXAMPLE


@pytest.fixture
def deal_copy(tmp_path: Path) -> Path:
    """A writable copy of the example deal folder."""
    dest = tmp_path / "innovo-2004"
    shutil.copytree(EXAMPLE, dest)
    return dest
