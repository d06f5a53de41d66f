"""Batch extraction: many filings to JSON Lines, with progress, failures collected, throughput.

One failing file never stops the rest: its error is recorded (and reported at the end) and the
run carries on. Each output line is the ``extract`` JSON of one filing plus ``source`` and
``sha256`` (of the file's bytes: what a resumed run skips by); failed files get a line
``{"source": ..., "sha256": ..., "error": ...}`` too, so the output lists every input.
``extract_record`` makes one line's record; ``pipedeal.scale.filings`` runs it on Dask workers.
"""

from __future__ import annotations

import glob
import hashlib
import json
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from pipedeal.errors import UserError
from pipedeal.filings.extract import extract_file

SUFFIXES = {".txt", ".htm", ".html", ".xml", ".sgml", ".nc", ""}


@dataclass
class BatchResult:
    files: int = 0
    ok: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def files_per_second(self) -> float:
        return self.files / self.seconds if self.seconds > 0 else 0.0


def expand(target: str) -> list[Path]:
    """The files a folder (recursively) or a glob names, sorted; none is a ``UserError``."""
    path = Path(target)
    if path.is_dir():
        files = [p for p in path.rglob("*") if p.is_file() and not p.name.startswith(".")
                 and p.suffix.lower() in SUFFIXES]
    elif any(c in target for c in "*?["):
        files = [Path(p) for p in glob.glob(target, recursive=True) if Path(p).is_file()]
    elif path.is_file():
        files = [path]
    else:
        raise UserError(f"{target}: no such file, folder or glob")
    if not files:
        raise UserError(f"{target}: no filings found")
    return sorted(files)


def extract_record(path: Path | str, *, rules_only: bool = False
                   ) -> tuple[dict[str, Any], str | None]:
    """One file's output record and its error (``None`` when extracted); never raises.
    ``rules_only``: without the learned scorer (the extractor before it, for comparison)."""
    try:
        digest: str | None = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        digest = None  # extract_file names the fault
    try:
        data = extract_file(path, rules_only=True) if rules_only else extract_file(path)
    except UserError as exc:
        message = exc.message.removeprefix(f"{path}: ")
        return {"source": str(path), "sha256": digest, "error": message}, message
    except Exception as exc:  # noqa: BLE001 - a bug on one file must not stop the batch
        message = f"internal error: {type(exc).__name__}: {exc}"
        return {"source": str(path), "sha256": digest, "error": message}, message
    data["sha256"] = digest
    return data, None


def extract_many(files: Iterable[Path], out: Path, progress: Progress | None = None,
                 task: TaskID | None = None, *, rules_only: bool = False) -> BatchResult:
    """Extract each file into a line of ``out``; errors are recorded, never raised."""
    result = BatchResult()
    start = time.perf_counter()
    with out.open("w", encoding="utf-8") as sink:
        for path in files:
            result.files += 1
            data, message = extract_record(path, rules_only=rules_only)
            if message is None:
                result.ok += 1
            else:
                result.failures.append((str(path), message))
            sink.write(json.dumps(data, separators=(",", ":"), ensure_ascii=False) + "\n")
            if progress is not None and task is not None:
                progress.advance(task)
    result.seconds = time.perf_counter() - start
    return result


def run_batch(target: str, out: Path, console: Console) -> list[tuple[str, str]]:
    """The CLI's batch: progress bar, summary with throughput, failures listed at the end."""
    files = expand(target)
    if out.exists() and out.is_dir():
        raise UserError(f"{out}: is a folder; --jsonl needs a file name")
    with Progress(TextColumn("extract"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console, transient=False) as progress:
        task = progress.add_task("extract", total=len(files))
        result = extract_many(files, out, progress, task)
    console.print(f"{result.files} files, {result.ok} extracted, {len(result.failures)} failed, "
                  f"{result.seconds:.2f} s, {result.files_per_second:.1f} files/s → {out}")
    for source, message in result.failures:
        console.print(f"failed: {source}: {message}", markup=False, highlight=False,
                      soft_wrap=True)
    return result.failures
