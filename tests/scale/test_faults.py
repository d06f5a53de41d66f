"""A worker killed mid-run loses nothing: its partitions run again elsewhere, every row is written
once, in order, with the single-machine values."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from pipedeal.scale.cluster import connect
from pipedeal.scale.valuation import value_file
from pipedeal.valuation.batch import price_notes, read_batch_csv

from .conftest import write_notes


def test_a_killed_worker_loses_no_partition_and_writes_no_row_twice(tmp_path: Path) -> None:
    src = write_notes(tmp_path / "notes.csv", 160, seed=3)
    notes = read_batch_csv(src)
    reference = price_notes(notes, model="hazard", steps=400)
    killed: list[int] = []
    with connect(cluster="local:2") as client:
        assert client is not None
        pids = client.run(os.getpid)  # {worker address: pid}

        def kill_once(done: int) -> None:
            # after the first partition is back, both workers hold running or queued partitions
            if not killed:
                victim = sorted(pids.values())[0]
                os.kill(victim, signal.SIGKILL)
                killed.append(victim)

        summary = value_file(src, tmp_path / "out.parquet", steps=400, client=client, chunk=8,
                             on_progress=kill_once)
        after = client.run(os.getpid)
    assert killed and killed[0] not in after.values()  # the nanny started a new process
    assert summary.partitions == 20 and summary.notes == 160
    table = pq.read_table(tmp_path / "out.parquet").to_pydict()
    assert table["id"] == [n.id for n in notes]  # each once, in order
    assert np.array_equal(np.array(table["value"]), reference)
