"""Load a deal folder: read ``deal.toml``, validate it into a frozen ``Deal``.

Like Beancount's loader, this step only parses and validates; nothing downstream sees raw TOML.
Every failure is a ``UserError`` of one line naming the file, the field and (where TOML lets us
find it) the line.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from pipedeal.errors import UserError
from pipedeal.terms.models import Deal

DEAL_FILE = "deal.toml"

M = TypeVar("M", bound=BaseModel)


def deal_file(deal_dir: Path | str) -> Path:
    """The ``deal.toml`` of a deal folder (a path to the file itself is accepted too)."""
    path = Path(deal_dir)
    if path.is_dir():
        path = path / DEAL_FILE
    if not path.is_file():
        raise UserError(f"{path}: no such deal file (a deal folder holds {DEAL_FILE})")
    return path


MAX_TOML_BYTES = 2 * 1024 * 1024
"""Largest ``deal.toml`` / ``market.toml`` read (2 MB; the Innovo deal is 6 kB)."""
MAX_DEPTH = 16
"""Deepest nesting of tables and arrays (the schema needs 4)."""
MAX_DOTS = 64
"""Most dots outside strings on one line (dotted keys; the schema's deepest has 3)."""
MAX_DIGITS = 4300
"""Longest run of digits ``tomllib`` turns into an integer (Python's own limit)."""


def read_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML file; a syntax error becomes one line with the file, line and column.

    Files over ``MAX_TOML_BYTES``, text that is not UTF-8 and nesting deeper than ``MAX_DEPTH``
    are refused with the line where that happens."""
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_TOML_BYTES + 1)
    except OSError as exc:
        raise UserError(f"{path}: cannot read: {exc.strerror}") from None
    if len(data) > MAX_TOML_BYTES:
        raise UserError(f"{path}: larger than {MAX_TOML_BYTES // 2**20} MB; not a terms file?")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise UserError(
            f"{path}:{line}: not UTF-8 text (byte 0x{data[exc.start]:02x}); save the file as UTF-8"
        ) from None
    deep = _too_deep(text)
    if deep is not None:
        raise UserError(f"{path}:{deep[0]}: {deep[1]}")
    try:
        parsed = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"{path}: invalid TOML: {exc}") from None
    except ValueError:  # an integer over Python's 4,300-digit conversion limit
        long = re.search(rf"\d{{{MAX_DIGITS},}}", text)
        at = f":{text.count(chr(10), 0, long.start()) + 1}" if long else ""
        raise UserError(f"{path}{at}: a number with more than {MAX_DIGITS:,} digits") from None
    except RecursionError:  # pragma: no cover - the scan above refuses such files first
        raise UserError(f"{path}: invalid TOML: nested too deeply") from None
    if _depth(parsed) > MAX_DEPTH:
        raise UserError(f"{path}: nested deeper than {MAX_DEPTH} levels of tables and arrays")
    return parsed


def _too_deep(text: str) -> tuple[int, str] | None:
    """``(line, what)`` where brackets outside strings and comments open more than ``MAX_DEPTH``
    deep, or a line has more than ``MAX_DOTS`` dots outside strings (a dotted key that deep makes
    ``tomllib`` quadratic); a linear scan, so ``tomllib``'s recursion never meets such a file."""
    depth, dots, line, i, n = 0, 0, 1, 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "\n":
            line += 1
            dots = 0
        elif ch == ".":
            dots += 1
            if dots > MAX_DOTS:
                return line, (
                    f"more than {MAX_DOTS} dots outside strings on one line (a key nested "
                    "too deeply?)"
                )
        elif ch == "#":
            end = text.find("\n", i)
            i = n if end < 0 else end
            continue
        elif ch in "\"'":
            quote = text[i : i + 3] if text[i : i + 3] in ('"""', "'''") else ch
            j = i + len(quote)
            while j < n:
                if quote[0] == '"' and text[j] == "\\":
                    line += text[j + 1 : j + 2] == "\n"
                    j += 2
                    continue
                if text.startswith(quote, j):
                    break
                if text[j] == "\n":
                    if len(quote) == 1:
                        j -= len(quote)  # unterminated: tomllib will say so; count the newline
                        break
                    line += 1
                j += 1
            i = j + len(quote)
            continue
        elif ch in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return line, f"nested deeper than {MAX_DEPTH} levels of [ ] and {{ }}"
        elif ch in "]}":
            depth = max(depth - 1, 0)
        i += 1
    return None


def _depth(value: object) -> int:
    """Nesting depth of parsed TOML (iterative: no recursion on hostile input)."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        item, level = stack.pop()
        deepest = max(deepest, level)
        if isinstance(item, dict):
            stack.extend((v, level + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, level + 1) for v in item)
    return deepest


def load_deal(deal_dir: Path | str) -> Deal:
    """Read and validate a deal folder's ``deal.toml``."""
    path = deal_file(deal_dir)
    data = read_toml(path)
    return validate(Deal, data, path)


def validate(model: type[M], data: dict[str, Any], path: Path) -> M:
    """Validate ``data`` into ``model``; the first error becomes a one-line ``UserError``."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise UserError(describe_validation_error(exc, path)) from None


def describe_validation_error(exc: ValidationError, path: Path) -> str:
    """``file:line: field a.b[1].c: message`` for the first (most useful) error."""
    errors = exc.errors()
    # Union members each report; prefer the error with the deepest location (the real culprit).
    err = max(errors, key=lambda e: len([p for p in e["loc"] if not _is_union_tag(p)]))
    loc = tuple(p for p in err["loc"] if not _is_union_tag(p))
    field = _dotted(loc) or "(top level)"
    msg = err["msg"]
    if err.get("input") == "FILL":
        msg = 'still "FILL", a placeholder from a drafted deal file: put the agreement\'s term here'
    elif err["type"] == "missing":
        msg = "required field is missing"
    elif err["type"] == "extra_forbidden":
        msg = "unknown field (check the spelling against docs/deal-file.md)"
    line = _locate(path, loc)
    where = f"{path}:{line}" if line else f"{path}"
    return f"{where}: field {field}: {msg}"


def _is_union_tag(part: object) -> bool:
    # pydantic names union branches in locations, e.g. 'PriceRule' or "literal['conversion_price']"
    return isinstance(part, str) and (part[:1].isupper() or "[" in part)


def _dotted(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z0-9_\-.\"' ]+?)\s*=")


def _locate(path: Path, loc: tuple) -> int | None:
    """Best-effort line number of a location in a TOML file (1-based), or None."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    seen: dict[tuple, int] = {}
    counts: dict[tuple, int] = {}
    current: tuple = ()
    for number, text in enumerate(lines, start=1):
        header = _HEADER.match(text)
        if header:
            names = tuple(p.strip().strip("\"'") for p in header.group(2).split("."))
            if header.group(1) == "[[":
                index = counts.get(names, -1) + 1
                counts[names] = index
                current = (*names, index)
            else:
                current = names
            seen.setdefault(current, number)
            if header.group(1) == "[[":
                seen.setdefault(names, number)
            continue
        key = _KEY.match(text)
        if key:
            parts = tuple(p.strip().strip("\"'") for p in key.group(1).split("."))
            seen.setdefault((*current, *parts), number)
    target = tuple(loc)
    while target:
        if target in seen:
            return seen[target]
        target = target[:-1]
    return None
