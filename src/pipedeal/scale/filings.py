"""``extract --jsonl`` partitioned by file, here or on a Dask cluster; resumable.

Files are sent in groups (``files_per_task``) to ``pipedeal.filings.batch.extract_record``, the
same function the single-machine batch runs, so the lines are the same text. A corpus may also be
an fsspec URL (``s3://bucket/edgar/``, ``file:///data/*.txt``, …: ``expand_target``): each worker
reads its files' bytes through fsspec, into a temporary file that ``extract_record`` reads, and
the line names the URL. Each line carries
the file's ``sha256``; a rerun into the same output keeps the earlier extracted lines and skips
every file whose content hash is among them (a failed file's line is dropped and the file tried
again). Per-file errors are lines of the output and never stop the run. An interruption (Ctrl-C,
a lost scheduler) keeps the lines written so far: the output is replaced by them, whole lines
only, and the next run resumes from there.
"""

from __future__ import annotations

import hashlib
import json
import tarfile
import tempfile
import time
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipedeal.errors import UserError
from pipedeal.filings.batch import SUFFIXES, expand, extract_record
from pipedeal.filings.extract import MAX_BYTES
from pipedeal.scale._arrow import fsspec
from pipedeal.scale.cluster import ordered_map, workers
from pipedeal.scale.columnar import RecordWriter, read_records, record_line

if TYPE_CHECKING:
    from dask.distributed import Client


@dataclass
class ExtractSummary:
    files: int = 0
    ok: int = 0
    skipped: int = 0
    kept: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0
    interrupted: str | None = None

    @property
    def done(self) -> int:
        """Files extracted or failed in this run."""
        return self.ok + len(self.failures)

    @property
    def files_per_second(self) -> float:
        return self.done / self.seconds if self.seconds > 0 else 0.0


def is_url(target: str) -> bool:
    return "://" in target


def is_tar(target: str) -> bool:
    """A local tar archive of filings (``extract FILE.tar``; compressed archives are not read:
    fsspec's tar reader takes no compression from a URL the workers could open)."""
    return not is_url(target) and target.lower().endswith(".tar") and Path(target).is_file()


def expand_target(target: str) -> list[str]:
    """The files a folder, glob or file names (``pipedeal.filings.batch.expand``), those of an
    fsspec URL (a folder, searched recursively, a glob or one file), or the members of a tar
    archive (as ``tar://MEMBER::file://ARCHIVE`` URLs), sorted, as strings."""
    shown = target  # the user's words in messages
    if is_tar(target):
        target = f"tar://::file://{Path(target).resolve()}"
    if not is_url(target):
        return [str(p) for p in expand(target)]
    chain = target.split("::", 1)[1] if "::" in target else None
    try:
        fs, _, roots = fsspec().get_fs_token_paths(target)
        found: list[str] = []
        for root in roots:
            if fs.isdir(root):
                found += [p for p in fs.find(root) if _wanted(p)]
            elif fs.isfile(root):
                found.append(root)
    except (OSError, ValueError, ImportError, tarfile.TarError) as exc:
        raise UserError(f"{shown}: cannot list ({type(exc).__name__}: {exc})") from None
    if not found:
        raise UserError(f"{shown}: no filings found")
    urls = [fs.unstrip_protocol(p) for p in found]
    # a chained URL (tar://...::file://archive) names its members with the same chain
    return sorted(f"{u}::{chain}" if chain else u for u in urls)


def _wanted(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    suffix = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return not name.startswith(".") and suffix in SUFFIXES


def _read(path: str) -> bytes:
    if is_url(path):
        with fsspec().open(path, "rb") as handle:
            data: bytes = handle.read(MAX_BYTES + 1)
        return data
    return Path(path).read_bytes()


def _record(path: str, data: bytes | None) -> tuple[dict[str, Any], str | None]:
    """``extract_record`` of a local file, or of a URL's bytes through a temporary file (the
    record and its error name the URL)."""
    if not is_url(path):
        return extract_record(path)
    if data is None:
        try:
            data = _read(path)
        except (OSError, ValueError) as exc:
            fault = f"cannot read: {exc}"
            return {"source": path, "sha256": None, "error": fault}, fault
    suffix = "." + path.rsplit(".", 1)[-1] if "." in path.rsplit("/", 1)[-1] else ""
    with tempfile.TemporaryDirectory(prefix="pipedeal-extract-") as folder:
        local = Path(folder) / f"filing{suffix}"
        local.write_bytes(data)
        record, message = extract_record(local)
    if message is not None:
        message = message.replace(str(local), path)
        record["error"] = message
    record["source"] = path
    return record, message


def extract_group(
    paths: Sequence[str], known: Mapping[str, Collection[str]]
) -> list[tuple[str | None, str | None]]:
    """For each file: (its JSON line, its error or ``None``), or (``None``, ``None``) when its
    content hash is among ``known[path]`` (already in the output)."""
    out: list[tuple[str | None, str | None]] = []
    for path in paths:
        data: bytes | None = None
        if path in known:
            try:
                data = _read(path)
                digest: str | None = hashlib.sha256(data).hexdigest()
            except (OSError, ValueError):
                digest = None
            if digest in known[path]:
                out.append((None, None))
                continue
        record, message = _record(path, data)
        out.append((record_line(record), message))
    return out


def _groups(files: Sequence[Path | str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(files), size):
        yield [str(p) for p in files[start : start + size]]


def _tasks(
    files: Sequence[Path | str], size: int, known: Mapping[str, Collection[str]]
) -> Iterator[tuple[list[str], dict[str, frozenset[str]]]]:
    """Each group with the earlier hashes of its own files (part of the task, so a task lost
    with a worker is rebuilt from the graph alone)."""
    for group in _groups(files, size):
        yield group, {p: frozenset(known[p]) for p in group if p in known}


def _extract_task(
    task: tuple[list[str], dict[str, frozenset[str]]],
) -> list[tuple[str | None, str | None]]:
    return extract_group(*task)


def earlier_records(out: Path) -> tuple[list[str], dict[str, set[str]]]:
    """The lines of an earlier run's output to keep (extracted files) and their hashes by
    source."""
    keep: list[str] = []
    known: dict[str, set[str]] = {}
    for line in read_records(out):
        record = json.loads(line)
        digest, source = record.get("sha256"), record.get("source")
        if isinstance(digest, str) and isinstance(source, str) and "error" not in record:
            keep.append(line)
            known.setdefault(source, set()).add(digest)
    return keep, known


def extract_files(
    files: Sequence[Path | str],
    out: Path,
    tmp: Path,
    *,
    client: Client | None = None,
    parquet: bool = False,
    files_per_task: int | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> ExtractSummary:
    """Extract ``files`` into ``tmp`` (to replace ``out``, whose extracted lines are kept first
    and whose files are skipped); ``on_progress(files_done)`` after each group."""
    summary = ExtractSummary(files=len(files))
    start = time.perf_counter()
    keep, known = earlier_records(out)
    summary.kept = len(keep)
    size = files_per_task or max(1, min(32, len(files) // (4 * workers(client)) or 1))
    writer = RecordWriter(tmp, parquet)
    try:
        writer.write_lines(keep)
        seen = 0
        try:
            for group, results in zip(
                _groups(files, size),
                ordered_map(_extract_task, _tasks(files, size, known), client),
                strict=False,
            ):
                lines = []
                for path, (line, message) in zip(group, results, strict=True):
                    if line is None:
                        summary.skipped += 1
                        continue
                    lines.append(line)
                    if message is None:
                        summary.ok += 1
                    else:
                        summary.failures.append((path, message))
                writer.write_lines(lines)
                seen += len(group)
                if on_progress is not None:
                    on_progress(seen)
        except KeyboardInterrupt:
            summary.interrupted = "interrupted"
        except OSError as exc:  # the scheduler or a worker connection lost for good
            summary.interrupted = f"{type(exc).__name__}: {exc}"
    finally:
        writer.close()
        summary.seconds = time.perf_counter() - start
    return summary
