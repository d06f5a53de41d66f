"""Columnar and streaming I/O for the batch commands: notes from CSV or Parquet in chunks, and
writers of result tables (CSV or Parquet) and of extraction records (JSON Lines or Parquet) that
take one chunk at a time, so memory is bounded by the chunk, not the file.

Parquet notes carry the CSV's columns (``docs/valuation.md``) with any Arrow types: numbers,
strings, dates (``date32``), booleans. Each cell goes through the CSV's own checks
(``pipedeal.valuation.batch.parse_row``) as the text it stands for (a float as its shortest
repr, which reads back to the same double), so a Parquet file and the CSV it came from give the
same notes and the same values. Faults name ``file:row N:column``.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from pipedeal.errors import UserError
from pipedeal.scale._arrow import pa, pq
from pipedeal.valuation.batch import (
    BatchNote,
    check_header,
    iter_batch_rows,
    parse_lines,
    parse_row,
)

PARQUET_SUFFIXES = (".parquet", ".pq")


def is_parquet(path: Path | str) -> bool:
    return Path(path).suffix.lower() in PARQUET_SUFFIXES


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dt.datetime):
        if value.time() != dt.time(0):
            return value.isoformat()  # not a date: parse_row names the cell
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


@dataclass(frozen=True)
class NotesPart:
    """A partition of a batch file as read, not yet parsed: CSV lines (line number, text) or a
    Parquet record batch. ``notes()`` parses it (on a worker, when shipped there: the client
    only reads), with the checks and messages of ``read_batch_csv``. ``fault``: a file fault met
    after these rows (raised after theirs, so faults come in line order)."""

    path: str
    header: list[str]
    lines: list[tuple[int, str]] = field(default_factory=list)
    batch: Any = None
    first_row: int = 0
    fault: str | None = None

    def __len__(self) -> int:
        return len(self.lines) if self.batch is None else int(self.batch.num_rows)

    def notes(self) -> list[BatchNote]:
        if self.batch is None:
            notes = parse_lines(self.path, self.header, self.lines)
        else:
            columns = [self.batch.column(i).to_pylist() for i in range(self.batch.num_columns)]
            notes = [
                parse_row(self.path, f"row {self.first_row + k + 1}", self.header,
                          [_cell(c[k]) for c in columns])
                for k in range(self.batch.num_rows)
            ]
        if self.fault is not None:
            raise UserError(self.fault)
        return notes


def iter_parts(path: Path, chunk: int = 10_000) -> Iterator[NotesPart]:
    """A batch file (CSV, or Parquet by its suffix) as ``NotesPart`` of ``chunk`` notes; faults
    of the file itself (no header, missing columns) raise here, at once."""
    if is_parquet(path):
        yield from _parquet_parts(path, chunk)
        return
    rows = iter_batch_rows(path, chunk)
    header: list[str] = []
    while True:
        try:
            header, lines = next(rows)
        except StopIteration:
            return
        except UserError as exc:
            if not header:
                raise
            yield NotesPart(str(path), header, fault=exc.message)
            return
        yield NotesPart(str(path), header, lines)


def _parquet_parts(path: Path, chunk: int) -> Iterator[NotesPart]:
    try:
        handle = pq().ParquetFile(path)
    except (OSError, ValueError) as exc:  # pyarrow's ArrowInvalid is a ValueError
        raise UserError(f"{path}: cannot read as Parquet ({exc})") from None
    header = list(handle.schema_arrow.names)
    check_header(path, "header", header)
    row = 0
    for batch in handle.iter_batches(batch_size=chunk):
        yield NotesPart(str(path), header, batch=batch, first_row=row)
        row += batch.num_rows


def iter_notes(path: Path, chunk: int = 10_000) -> Iterator[list[BatchNote]]:
    """The notes of a batch file (CSV, or Parquet by its suffix), ``chunk`` at a time."""
    for part in iter_parts(path, chunk):
        yield part.notes()


class TableWriter:
    """Rows of fixed columns to a CSV (as ``csv.DictWriter`` writes them: the same text as the
    single-machine ``value-batch --out``) or a Parquet file (one row group per ``write``)."""

    def __init__(self, path: Path, columns: Sequence[str], types: dict[str, str],
                 parquet: bool) -> None:
        self.columns = list(columns)
        self.parquet = parquet
        self.rows = 0
        self._csv: IO[str] | None = None
        self._pq: Any = None
        if parquet:
            kinds = {"str": pa().string(), "int": pa().int64(), "float": pa().float64()}
            self._schema = pa().schema([(c, kinds[types[c]]) for c in self.columns])
            self._pq = pq().ParquetWriter(path, self._schema)
        else:
            self._csv = path.open("w", encoding="utf-8", newline="")
            self._writer = csv.writer(self._csv)
            self._writer.writerow(self.columns)

    def write(self, data: dict[str, list[Any]]) -> None:
        n = len(data[self.columns[0]])
        if self._pq is not None:
            self._pq.write_table(pa().table(data, schema=self._schema))
        else:
            cols = [data[c] for c in self.columns]
            self._writer.writerows(zip(*cols, strict=True))
        self.rows += n

    def close(self) -> None:
        if self._pq is not None:
            self._pq.close()
            self._pq = None
        if self._csv is not None:
            self._csv.close()
            self._csv = None


RECORD_COLUMNS = ("source", "sha256", "error", "record")
"""Columns of an extraction Parquet file: the file, its content hash, its error (null when
extracted) and the whole ``extract`` JSON line as a string."""


def record_line(data: dict[str, Any]) -> str:
    """An extraction record as its JSON line (as ``pipedeal extract --jsonl`` writes it)."""
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


class RecordWriter:
    """Extraction records to JSON Lines, or to Parquet (``RECORD_COLUMNS``), a batch at a time."""

    def __init__(self, path: Path, parquet: bool) -> None:
        self.parquet = parquet
        self._pq: Any = None
        self._text: IO[str] | None = None
        if parquet:
            self._schema = pa().schema([(c, pa().string()) for c in RECORD_COLUMNS])
            self._pq = pq().ParquetWriter(path, self._schema)
        else:
            self._text = path.open("w", encoding="utf-8")

    def write_lines(self, lines: Sequence[str]) -> None:
        """Records given as their JSON lines."""
        if not lines:
            return
        if self._pq is not None:
            records = [json.loads(line) for line in lines]
            table = pa().table(
                {
                    "source": [r.get("source") for r in records],
                    "sha256": [r.get("sha256") for r in records],
                    "error": [r.get("error") for r in records],
                    "record": list(lines),
                },
                schema=self._schema,
            )
            self._pq.write_table(table)
        elif self._text is not None:
            self._text.write("".join(line + "\n" for line in lines))
            self._text.flush()

    def close(self) -> None:
        if self._pq is not None:
            self._pq.close()
            self._pq = None
        if self._text is not None:
            self._text.close()
            self._text = None


def read_records(path: Path) -> list[str]:
    """The JSON lines of an existing extraction output (JSON Lines or Parquet); a torn last line
    (an interrupted writer) is dropped; no file is no records."""
    if not path.is_file():
        return []
    if is_parquet(path):
        try:
            table = pq().read_table(path, columns=["record"])
        except (OSError, ValueError) as exc:
            raise UserError(f"{path}: cannot read the earlier output as Parquet ({exc})"
                            ) from None
        return [str(r) for r in table.column("record").to_pylist() if r]
    lines = []
    with path.open(encoding="utf-8", errors="replace") as handle:
        for line in handle:
            text = line.rstrip("\n")
            if not text:
                continue
            try:
                json.loads(text)
            except ValueError:
                continue
            lines.append(text)
    return lines
