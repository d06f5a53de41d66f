"""The workspace's deals: their stored folders, loaded once, and their ledgers.

A deal is the files of its folder (``deal.toml``, and ``closes.csv``, ``market.toml`` or a
filing when given) copied under ``DATA/deals/<slug>/``, plus its ledger in the workspace
database. The ledger's deal key is the deal's name, because the public API
(``pipedeal.open_ledger``, ``pipedeal.value``, ``pipedeal.book``) opens a ledger by the deal's
name; two deals of one name cannot share a workspace. Each deal is loaded once
(``pipedeal.load_deal``) and its ``Ledger`` kept open; a lock per deal serialises this
process's writes (the ledger itself serialises appends across processes), and reads are served
from the immutable view published after each write (``reading``, ``ledger_view``), so they do
not wait for a write in progress.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import ParamSpec, TypeVar

import sqlalchemy as sa

import pipedeal
from pipedeal.errors import UserError
from pipedeal.instruments.deal import LoadedDeal
from pipedeal.ledger.chain import RecordedEvent
from pipedeal.ledger.ledger import Ledger
from pipedeal.ledger.opening import init_ledger
from pipedeal.ledger.schema import deals as _deals_table
from pipedeal.service.ledger_view import LedgerView, advance
from pipedeal.service.settings import Settings
from pipedeal.service.store import Store

DEAL_FILE = "deal.toml"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
_SKIP = re.compile(r"^ledger\.sqlite.*$")
MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_FILES = 20


_HEAD = sa.select(_deals_table.c.head_seq).where(_deals_table.c.id == sa.bindparam("deal"))

P = ParamSpec("P")
T = TypeVar("T")
# On PostgreSQL (READ COMMITTED) the ledger's catch-up reads the head and then the rows in two
# statements: an append committed between them is reported as "added outside the ledger". The
# same read a moment later is consistent (a real intrusion is reported again).
_RACE = "was added outside the ledger"


def retry_read_race(fn: Callable[P, T]) -> Callable[P, T]:
    """Run ``fn``, again (up to 3 times) if the ledger reported the read race above."""

    @functools.wraps(fn)
    def run(*args: P.args, **kwargs: P.kwargs) -> T:
        for attempt in range(3):
            try:
                return fn(*args, **kwargs)
            except UserError as exc:
                if _RACE not in exc.message or attempt == 2:
                    raise
                time.sleep(0.01 * (attempt + 1))
        raise AssertionError("unreachable")

    return run


class Conflict(Exception):
    """A request that contradicts what exists (a deal of that name, a moved ledger head)."""


@dataclass
class DealHandle:
    key: str
    folder: Path
    loaded: LoadedDeal
    ledger: Ledger
    lock: threading.RLock = field(default_factory=threading.RLock)  # writes (and catch-ups)
    view: LedgerView | None = None  # the last committed state, for reads (``reading``)
    # reads confirm the view against the database's head one at a time; a confirmation that
    # began after a reader arrived answers for it too (``checked_at``: when the last began)
    check_lock: threading.Lock = field(default_factory=threading.Lock)
    read_lock: threading.Lock = field(default_factory=threading.Lock)  # see DealRoom.read
    checked_at: float = float("-inf")

    def publish(self, records: tuple[RecordedEvent, ...] | None = None) -> LedgerView:
        """Bring the view up to ``records`` (the whole log; default: the ledger, read again).
        The caller holds ``lock``."""
        log = records if records is not None else self.ledger.events()
        self.view = advance(self.loaded, self.ledger.deal_key, self.view, log)
        return self.view

    def publish_append(self, before: tuple[RecordedEvent, ...], rec: RecordedEvent) -> None:
        """After appending ``rec`` to the log ``before`` (read under ``lock``): the view without
        reading the log again, unless another process appended in between."""
        last = before[-1].seq if before else 0
        if not rec.already_recorded and rec.seq == last + 1:
            self.publish((*before, rec))
        else:
            self.publish()

    def committed_head(self) -> int:
        """The head sequence number committed in the database (no lock: a plain read)."""
        with self.ledger.engine.connect() as conn:
            seq = conn.execute(_HEAD, {"deal": self.ledger.deal_id}).scalar_one()
            conn.rollback()
        return int(seq)


def _slug(name: str) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:60] or "deal"
    return f"{base}-{hashlib.sha256(name.encode()).hexdigest()[:8]}"


def check_file_name(name: str) -> None:
    if not _NAME.match(name) or _SKIP.match(name):
        raise UserError(
            f"files: {name!r} is not an accepted file name (letters, digits, '.', '_', '-'; "
            "no ledger files: the ledger lives in the workspace)"
        )


class DealRoom:
    """The deals of one workspace."""

    def __init__(self, settings: Settings, store: Store) -> None:
        self.settings = settings
        self.store = store
        self._handles: dict[str, DealHandle] = {}
        self._lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            for h in self._handles.values():
                h.ledger.close()
            self._handles.clear()

    def exists(self, key: str) -> bool:
        return self.store.deal_folder(key) is not None

    def handle(self, key: str) -> DealHandle:
        """The deal ``key``, loaded once per process; ``KeyError`` when there is none."""
        with self._lock:
            h = self._handles.get(key)
            if h is not None:
                return h
            folder = self.store.deal_folder(key)
            if folder is None:
                raise KeyError(key)
            path = self.settings.deals_dir / folder
            loaded = pipedeal.load_deal(path)
            ledger = pipedeal.open_ledger(loaded, self.settings.url)
            h = DealHandle(key, path, loaded, ledger)
            self._handles[key] = h
            return h

    @contextmanager
    def using(self, key: str) -> Iterator[DealHandle]:
        """The deal under its lock, for writes (and reads of the database itself: verify,
        export). A writer publishes the read view before releasing it (``publish``,
        ``publish_append``); a read that finds the database ahead of the view catches up."""
        h = self.handle(key)
        with h.lock:
            yield h

    @contextmanager
    def read(self, key: str) -> Iterator[tuple[DealHandle, LedgerView]]:
        """``reading``, with this deal's reads in this process taken one at a time while they
        use the view (they never wait for a write): a thread parked here leaves the
        interpreter to the others (the write in progress among them)."""
        h = self.handle(key)
        with h.read_lock:
            yield self.reading(key)

    def reading(self, key: str) -> tuple[DealHandle, LedgerView]:
        """The deal and its ledger as last committed, without waiting for a write in progress
        in this process. ``KeyError`` when there is no such deal."""
        h = self.handle(key)
        arrived = time.monotonic()
        with h.check_lock:
            view = h.view
            if view is not None and h.checked_at >= arrived:
                return h, view  # confirmed by a check that began after this read arrived
            began = time.monotonic()
            head = h.committed_head() if view is not None else None
            if view is not None and head == view.seq:
                h.checked_at = began
                return h, view
        with h.lock:  # appended by another process, or a write here about to publish
            view = h.view
            if view is None or head is None or view.seq < head:  # not published meanwhile
                view = h.publish()
            h.checked_at = max(h.checked_at, began)
            return h, view

    def import_files(self, files: Mapping[str, bytes], by: str, at: dt.datetime) -> str:
        """Store a deal from its files, create its ledger (recording the closings, by ``by``);
        its key. ``UserError`` for a bad file; ``Conflict`` if a deal of that name exists."""
        if DEAL_FILE not in files:
            raise UserError(f"files: {DEAL_FILE} is required")
        if len(files) > MAX_FILES:
            raise UserError(f"files: at most {MAX_FILES} files")
        for name, data in files.items():
            check_file_name(name)
            if len(data) > MAX_FILE_BYTES:
                raise UserError(f"files: {name} is larger than {MAX_FILE_BYTES} bytes")
        root = self.settings.deals_dir
        root.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".import-", dir=root))
        try:
            for name, data in files.items():
                (staging / name).write_bytes(data)
            loaded = pipedeal.load_deal(staging)  # UserError names the file and field
            key = loaded.terms.name
            if self.exists(key):
                raise Conflict(f"a deal named {key!r} is already in this workspace")
            dest = root / _slug(key)
            if dest.exists():  # left by an import that failed after the move: replace it
                shutil.rmtree(dest)
            staging.rename(dest)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        try:
            loaded = pipedeal.load_deal(dest)
            init_ledger(dest, self.settings.url, deal_key=key, contract=loaded, by=by).close()
            self.store.add_deal(key, dest.name, by, at)
        except BaseException:
            if not self.exists(key):
                shutil.rmtree(dest, ignore_errors=True)
            raise
        return key

    def import_folder(self, folder: Path, by: str, at: dt.datetime) -> str:
        """``pipedeal deals import DEAL_DIR``: the folder's regular files, minus any ledger."""
        if not (folder / DEAL_FILE).is_file():
            raise UserError(f"{folder}: no {DEAL_FILE} in this folder")
        files = {
            p.name: p.read_bytes()
            for p in sorted(folder.iterdir())
            if p.is_file() and not _SKIP.match(p.name) and _NAME.match(p.name)
        }
        return self.import_files(files, by, at)
