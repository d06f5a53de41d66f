"""The examples of docs/api.md run, in order, in a scratch copy of the bundled example."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BLOCK = re.compile(r"```python\n(.*?)```", re.S)


def test_api_page_examples_run(tmp_path):
    blocks = BLOCK.findall((ROOT / "docs" / "api.md").read_text())
    assert len(blocks) >= 4
    shutil.copytree(ROOT / "examples" / "innovo-2004", tmp_path / "examples" / "innovo-2004")
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        scope: dict[str, object] = {}
        for code in blocks:
            exec(compile(code, "docs/api.md", "exec"), scope)  # noqa: S102 - our own docs
    finally:
        os.chdir(cwd)


def test_import_pipedeal_exports_the_api():
    import pipedeal

    for name in pipedeal.__all__:
        assert getattr(pipedeal, name) is not None
