"""A worker killed mid-run loses nothing: its partitions run again elsewhere, every row is written
once, in order, with the single-machine values (and the same extraction lines)."""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq

from pipedeal.filings.batch import expand, extract_many
from pipedeal.scale.filings import extract_files
from pipedeal.scale.valuation import value_file
from pipedeal.valuation.batch import price_notes, read_batch_csv

from .conftest import write_notes
from .test_extract import _corpus


def _killer(client: Any, killed: list[tuple[int, int]]) -> Any:
    """A progress callback that SIGKILLs, once, the first worker process it finds running
    partitions (recording its pid and how many it held)."""

    def kill_once(done: int) -> None:
        if killed:
            return
        pids = client.run(os.getpid)  # {worker address: pid}
        held = {w: len(k) for w, k in client.processing().items() if k and w in pids}
        if not held:
            return  # try again at the next partition
        victim = max(held, key=held.__getitem__)
        os.kill(pids[victim], signal.SIGKILL)
        killed.append((pids[victim], held[victim]))

    return kill_once


def test_a_killed_worker_loses_no_partition_and_writes_no_row_twice(
    tmp_path: Path, client: Any
) -> None:
    """On the session's 2-worker cluster (the nanny restarts the killed worker for the tests
    after this one)."""
    src = write_notes(tmp_path / "notes.csv", 160, seed=3)
    notes = read_batch_csv(src)
    reference = price_notes(notes, model="hazard", steps=800)
    killed: list[tuple[int, int]] = []
    second: list[tuple[int, int]] = []
    summary = value_file(src, tmp_path / "out.parquet", steps=800, client=client, chunk=8,
                         on_progress=_killer(client, killed))
    after = client.run(os.getpid)
    # the same cluster (one worker restarted by its nanny) extracts a corpus, killed again
    files = expand(str(_corpus(tmp_path, copies=3)))
    extract_many(files, tmp_path / "single.jsonl")
    lines = tmp_path / "cluster.jsonl"
    result = extract_files(files, lines, lines, client=client, files_per_task=1,
                           on_progress=_killer(client, second))
    pid, held = killed[0]
    assert held >= 1 and pid not in after.values()  # it held work; the nanny made a new one
    assert second and second[0][1] >= 1
    assert summary.partitions == 20 and summary.notes == 160
    table = pq.read_table(tmp_path / "out.parquet").to_pydict()
    assert table["id"] == [n.id for n in notes]  # each once, in order
    assert np.array_equal(np.array(table["value"]), reference)
    assert result.done == len(files) and result.interrupted is None
    assert lines.read_text() == (tmp_path / "single.jsonl").read_text()
