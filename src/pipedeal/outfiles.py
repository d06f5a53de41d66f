"""Output files every command writes (``--out``, ``--html``, ``--pdf``, ``--jsonl``,
``--deal-out``): checked before any work, written whole or not at all.

The rules, each a one-line ``UserError`` naming the option (exit 2, nothing written):

* only a regular file is written: an existing device node, FIFO, socket or folder is refused;
  a symbolic link is refused unless the command was given ``--follow-symlinks`` (then its
  target is written, the link stays);
* a deal's own inputs and its ledger are never overwritten: ``deal.toml``, ``market.toml``,
  ``closes.csv`` and ``ledger.sqlite*`` in a deal folder (one that holds a ``deal.toml``), any
  existing SQLite database, and whatever the command reads (``protect``: the filing, the batch
  CSV, the ``--db`` file), also through another name (a hard link);
* a missing or read-only folder is refused up front;
* content goes to a temporary file in the target's folder, is flushed to disk, then
  ``os.replace`` puts it in place: a failure or a kill never leaves a half-written target (at
  worst a ``.NAME.*.tmp`` file beside it after a SIGKILL, safe to delete);
* an existing file keeps its permission bits; a new one gets ``0666`` less the umask.

Text for the terminal is output too: ``plain`` strips control characters (escape sequences,
NUL, carriage returns, bidirectional overrides) from user text, ``markup`` also escapes it for
rich's console markup, and ``safe_tree`` does that to every string of a report dict once, before
a renderer prints it (a name like ``Fund [/y] LP`` prints as written; ``[link=...]`` in a
filing stays text).
"""

from __future__ import annotations

import contextlib
import fnmatch
import os
import re
import stat
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from pipedeal.errors import UserError

DEAL_INPUTS = ("deal.toml", "market.toml", "closes.csv")
"""Files of a deal folder no output may replace."""

FILING_PATTERNS = ("8-K*.txt", "8-K*.htm", "8-K*.html", "8k*.txt", "8k*.htm")
"""A deal folder's filing (as ``pipedeal.filings.disclose.FILING_PATTERNS`` finds it)."""

LEDGER_FILE = "ledger.sqlite"
"""The default ledger of a deal folder; ``ledger.sqlite-wal`` / ``-shm`` / ``-journal`` too."""

_SQLITE_MAGIC = b"SQLite format 3\x00"

_KINDS = (
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
)


def ledger_files(db: str | None) -> tuple[Path, ...]:
    """The files of a SQLite ledger named by ``--db`` (or ``$PIPEDEAL_DB``); none for a server."""
    value = db if db is not None else os.environ.get("PIPEDEAL_DB")
    if not value:
        return ()
    if "://" in value:
        if not value.startswith("sqlite:///"):
            return ()
        value = value.removeprefix("sqlite:///").split("?", 1)[0]
        if not value or value == ":memory:":
            return ()
    main = Path(value)
    return (main, *(main.with_name(main.name + s) for s in ("-wal", "-shm", "-journal")))


def deal_inputs(deal_dir: Path | str | None, db: str | None = None) -> tuple[Path, ...]:
    """What a command on ``deal_dir`` reads: its input files and its ledger's files."""
    paths: list[Path] = list(ledger_files(db))
    if deal_dir is not None:
        folder = Path(deal_dir)
        if folder.is_file():  # a path to deal.toml itself
            folder = folder.parent
        paths += [folder / name for name in DEAL_INPUTS]
        paths += [folder / (LEDGER_FILE + s) for s in ("", "-wal", "-shm", "-journal")]
        paths += [folder / name for name in _named_in_terms(folder / DEAL_INPUTS[0])]
    return tuple(paths)


def _named_in_terms(deal_toml: Path) -> list[str]:
    """The price file and the filing a ``deal.toml`` names (best effort: a broken file names
    nothing here, and its loader reports it)."""
    import tomllib

    try:
        data = tomllib.loads(deal_toml.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return []
    names = []
    closes = data.get("market", {}).get("closes") if isinstance(data.get("market"), dict) else None
    if isinstance(closes, str) and closes:
        names.append(closes)
    disclosure = data.get("disclosure")
    source = disclosure.get("source") if isinstance(disclosure, dict) else None
    if isinstance(source, str) and source.split():
        names.append(source.split()[0])
    return names


def _kind(mode: int) -> str | None:
    for test, name in _KINDS:
        if test(mode):
            return name
    return None if stat.S_ISREG(mode) else "not a regular file"


def _same(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.abspath(a) == os.path.abspath(b)


def _is_sqlite(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(len(_SQLITE_MAGIC)) == _SQLITE_MAGIC
    except OSError:
        return False


def check_target(
    path: Path | str,
    option: str,
    *,
    protect: Iterable[Path | str] = (),
    follow_symlinks: bool = False,
    draft: bool = False,
) -> Path:
    """The file to write for ``path`` (a symlink's target when following), checked against every
    rule of this module; ``UserError`` naming ``option`` otherwise.

    ``draft``: the target is a drafted ``deal.toml`` (``extract --deal-out``), which may replace
    another ``deal.toml`` (the caller asks for ``--force``) as long as no ledger sits beside it.
    """
    given = Path(path)
    if str(given) in ("", "-"):
        raise UserError(f"{option} {str(given)!r}: give a file name")
    target = given
    try:
        info = os.lstat(given)
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise UserError(f"{option} {given}: cannot check: {exc.strerror}") from None
    if info is not None and stat.S_ISLNK(info.st_mode):
        if not follow_symlinks:
            raise UserError(
                f"{option} {given}: is a symbolic link; pass --follow-symlinks to write to its "
                "target"
            )
        target = Path(os.path.realpath(given))
        try:
            info = os.lstat(target)
        except OSError:
            info = None
    if info is not None and stat.S_ISDIR(info.st_mode):
        raise UserError(f"{option} {given}: is a directory; give a file name")
    if info is not None:
        kind = _kind(info.st_mode)
        if kind is not None:
            raise UserError(f"{option} {given}: is {kind}, not a regular file; nothing written")
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise UserError(f"{option} {given}: folder {parent} does not exist")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise UserError(f"{option} {given}: folder {parent} is not writable")
    _check_protected(given, target, option, protect, exists=info is not None, draft=draft)
    if info is not None and not os.access(target, os.W_OK):
        raise UserError(f"{option} {given}: file is not writable")
    return target


def _check_protected(
    given: Path,
    target: Path,
    option: str,
    protect: Iterable[Path | str],
    *,
    exists: bool,
    draft: bool = False,
) -> None:
    name = target.name
    deal_folder = (target.parent / DEAL_INPUTS[0]).is_file()
    is_filing = any(fnmatch.fnmatchcase(name, pattern) for pattern in FILING_PATTERNS)
    if draft and (name == DEAL_INPUTS[0] or is_filing):
        # a draft deal folder gets its deal.toml and its filing, unless a ledger is recorded there
        ledgers = [p for p in target.parent.glob(LEDGER_FILE + "*") if p.is_file()]
        if ledgers:
            raise UserError(
                f"{option} {given}: {target.parent} holds a ledger ({ledgers[0].name}) recorded "
                "under its deal.toml; draft into a new folder"
            )
    elif deal_folder and (name in DEAL_INPUTS or name.startswith(LEDGER_FILE) or is_filing):
        raise UserError(
            f"{option} {given}: would overwrite the deal's own {name} in {target.parent}; "
            "write elsewhere"
        )
    for other in protect:
        other = Path(other)
        if _same(target, other) or (os.path.abspath(target) == os.path.abspath(other)):
            raise UserError(
                f"{option} {given}: is an input of this command ({other}); write elsewhere"
            )
    if exists and _is_sqlite(target):
        raise UserError(f"{option} {given}: is a SQLite database (a ledger?); write elsewhere")


def _new_file_mode() -> int:
    """``0666`` less the process umask (read without changing it where /proc allows)."""
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("Umask:"):
                    return 0o666 & ~int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


@contextlib.contextmanager
def atomic_path(
    path: Path | str,
    option: str,
    *,
    protect: Iterable[Path | str] = (),
    follow_symlinks: bool = False,
    draft: bool = False,
) -> Iterator[Path]:
    """A temporary file beside ``path`` to write; on a clean exit it replaces ``path`` (mode kept
    or from the umask), on an exception it is removed and ``path`` is left as it was."""
    protect = tuple(protect)
    target = check_target(
        path, option, protect=protect, follow_symlinks=follow_symlinks, draft=draft
    )
    try:
        existing = os.stat(target)
        mode = stat.S_IMODE(existing.st_mode)
    except FileNotFoundError:
        mode = _new_file_mode()
    try:
        fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise UserError(f"{option} {path}: cannot write: {exc.strerror}") from None
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        # the target may have changed while we worked: check it again just before replacing
        check_target(path, option, protect=protect, follow_symlinks=follow_symlinks, draft=draft)
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise UserError(f"{option} {path}: cannot write: {exc.strerror}") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _sync_folder(target.parent)


def _sync_folder(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_atomic(
    path: Path | str,
    content: bytes | str,
    option: str,
    *,
    protect: Iterable[Path | str] = (),
    follow_symlinks: bool = False,
    draft: bool = False,
) -> None:
    """Write ``content`` (text as UTF-8) to ``path`` in one piece, by the rules above."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    with atomic_path(
        path, option, protect=protect, follow_symlinks=follow_symlinks, draft=draft
    ) as tmp:
        tmp.write_bytes(data)


# --- text for the terminal ---------------------------------------------------------------------

CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
"""Characters that drive a terminal or reorder text: C0 controls but tab and newline, DEL, C1
controls, and the bidirectional marks, embeddings, overrides and isolates."""


class Safe(str):
    """A string already made safe for rich markup (``markup``): never escaped twice."""

    __slots__ = ()


def plain(text: object) -> str:
    """``text`` as a string without control characters (for ``rich.text.Text`` or plain print)."""
    return CONTROL.sub("", str(text))


def markup(text: object) -> str:
    """``text`` without control characters and escaped for rich console markup."""
    if isinstance(text, Safe):
        return text
    from rich.markup import escape

    return Safe(escape(plain(text)))


def safe_tree(data: Any) -> Any:
    """``data`` (a report dict) with every string, keys included, passed through ``markup``;
    numbers, booleans and None as they are. Idempotent: a tree made safe stays as it is."""
    if isinstance(data, str):
        return markup(data)
    if isinstance(data, dict):
        return {safe_tree(k): safe_tree(v) for k, v in data.items()}
    if isinstance(data, list):
        return [safe_tree(v) for v in data]
    if isinstance(data, tuple):
        return tuple(safe_tree(v) for v in data)
    return data
