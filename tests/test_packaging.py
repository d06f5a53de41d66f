"""The package imports only the standard library, itself and its declared dependencies.

A module that is merely installed on the development machine (a dependency of a dependency, such
as click under older typer) would break README command 1 in a fresh virtual environment.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions

from tests.conftest import ROOT


def _declared(extra: str | None = None) -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    specs = project["optional-dependencies"][extra] if extra else project["dependencies"]
    return {re.split(r"[\[<>=!~ ;]", s, maxsplit=1)[0].lower().replace("_", "-") for s in specs}


def _imports(folder) -> set[str]:
    names: set[str] = set()
    for path in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return names


def _undeclared(folder, allowed: set[str]) -> list[str]:
    providers = packages_distributions()
    local = {p.stem for p in folder.rglob("*.py")} | {"pipedeal", "tests"}
    missing = []
    for name in sorted(_imports(folder) - set(sys.stdlib_module_names) - local):
        dists = {d.lower().replace("_", "-") for d in providers.get(name, [])}
        if not dists & allowed:
            missing.append(f"{name} (from {', '.join(sorted(dists)) or 'nothing installed'})")
    return missing


def test_the_package_imports_only_declared_dependencies():
    assert _undeclared(ROOT / "src" / "pipedeal", _declared()) == []


def test_the_tests_import_only_declared_dependencies():
    assert _undeclared(ROOT / "tests", _declared() | _declared("test")) == []


def test_the_package_ships_its_py_typed_marker():
    """PEP 561: ``py.typed`` tells type checkers that pipedeal's inline annotations are its types;
    setuptools puts it in the wheel only when package-data names it."""
    assert (ROOT / "src" / "pipedeal" / "py.typed").is_file()
    package_data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-data"
    ]
    assert "py.typed" in package_data["pipedeal"]


def test_mypy_is_a_test_dependency():
    assert "mypy" in _declared("test")
