"""Where partitions run: in this process, or on a Dask cluster (``dask.distributed``).

``connect`` opens a ``Client`` to ``--scheduler tcp://HOST:PORT`` or to a ``LocalCluster``
started for ``--cluster local:N`` (N worker processes, one task thread each). ``ordered_map``
runs a function over partitions and yields the results **in input order**, keeping at most a
window of partitions in flight (memory bounded on both sides). ``tree_reduce`` combines partial
results in a fixed order (the same tree in this process and on a cluster, so floating-point sums
are bit-identical).

Fault tolerance is Dask's: a worker that dies loses its running and held tasks, and the
scheduler runs them again on another worker (up to ``distributed.scheduler.allowed-failures``
times); each partition's result is consumed once, by index, so no row is written twice.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from pipedeal.errors import UserError

if TYPE_CHECKING:
    from dask.distributed import Client

T = TypeVar("T")
R = TypeVar("R")


def parse_cluster(spec: str) -> int:
    """Workers of ``local:N``."""
    kind, _, count = spec.partition(":")
    if kind != "local" or not count.isdigit() or not 1 <= int(count) <= 256:
        raise UserError(f"--cluster {spec!r}: use local:N (N worker processes, 1 to 256)")
    return int(count)


@contextlib.contextmanager
def connect(
    scheduler: str | None = None, cluster: str | None = None, numba_threads: int | None = None
) -> Iterator[Client | None]:
    """A Dask client for ``scheduler`` (an address) or a new ``LocalCluster`` (``local:N``;
    ``numba_threads`` per worker, default the cores shared out); ``None`` (run here) when
    neither is given."""
    if scheduler and cluster:
        raise UserError("--scheduler and --cluster: give one, not both")
    if not scheduler and not cluster:
        yield None
        return
    from dask.distributed import Client, LocalCluster

    if scheduler:
        try:
            client = Client(scheduler, timeout="20s")
        except OSError as exc:
            raise UserError(f"--scheduler {scheduler}: cannot connect ({exc})") from None
        with client:
            yield client
        return
    assert cluster is not None
    workers = parse_cluster(cluster)
    # one task at a time per worker; numba's threads share the machine's cores between workers
    threads = str(numba_threads or max(1, (os.cpu_count() or 1) // workers))
    with (
        LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
            silence_logs=logging.ERROR,
            env={"NUMBA_NUM_THREADS": threads},
        ) as local,
        Client(local) as client,
    ):
        yield client


def workers(client: Client | None) -> int:
    """Task slots: the cluster's threads (at least 1), or 1 here."""
    if client is None:
        return 1
    info = client.scheduler_info()["workers"]
    return max(1, sum(int(w.get("nthreads", 1)) for w in info.values()))


def _first(pair: tuple[Any, Any]) -> Any:
    return pair[0]


def _second(pair: tuple[Any, Any]) -> Any:
    return pair[1]


def ordered_map(
    fn: Callable[..., R],
    items: Iterable[T],
    client: Client | None,
    *args: Any,
    window: int | None = None,
    retries: int = 1,
) -> Iterator[R]:
    """``fn(item, *args)`` for each item, yielded in the items' order. Here: one after the other.
    On a cluster: up to ``window`` (default 2 per task slot, at least 4) submitted ahead; a task
    that raises is retried ``retries`` times before its error is raised here."""
    if client is None:
        for item in items:
            yield fn(item, *args)
        return
    yield from _ordered(fn, items, client, args, window, retries, split=False)


def ordered_map_split(
    fn: Callable[..., tuple[R, Any]],
    items: Iterable[T],
    client: Client | None,
    *args: Any,
    window: int | None = None,
    retries: int = 1,
) -> Iterator[tuple[R, Any]]:
    """``ordered_map`` of a function returning pairs (a, b): yields (a, b) here; on a cluster
    (a, future of b): b stays on the cluster (recomputed from its lineage if a worker holding it
    dies) for a later reduction there."""
    if client is None:
        for item in items:
            yield fn(item, *args)
        return
    yield from _ordered(fn, items, client, args, window, retries, split=True)


def _ordered(
    fn: Callable[..., Any],
    items: Iterable[Any],
    client: Client,
    args: tuple[Any, ...],
    window: int | None,
    retries: int,
    *,
    split: bool,
) -> Iterator[Any]:
    size = window or max(4, 2 * workers(client))
    pending: deque[Any] = deque()
    source = iter(items)
    exhausted = False
    try:
        while True:
            while not exhausted and len(pending) < size:
                try:
                    item = next(source)
                except StopIteration:
                    exhausted = True
                    break
                whole = client.submit(fn, item, *args, pure=False, retries=retries)
                if split:
                    pending.append((client.submit(_first, whole, pure=False),
                                    client.submit(_second, whole, pure=False)))
                else:
                    pending.append((whole, None))
                del whole
            if not pending:
                return
            future, kept = pending.popleft()
            result = future.result()
            future.release()
            yield (result, kept) if split else result
    finally:
        for future, kept in pending:
            future.cancel()
            if kept is not None:
                kept.cancel()


def tree_reduce(
    fn: Callable[..., T], parts: Sequence[Any], client: Client | None, fanin: int = 8
) -> T:
    """``fn(*group)`` over groups of ``fanin`` parts, level by level, in order, to one value;
    ``parts`` are values here, futures (or values) on a cluster, where every level runs as tasks
    and only the final value comes back."""
    if not parts:
        raise ValueError("tree_reduce of nothing")
    level = list(parts)
    while True:
        groups = [level[i : i + fanin] for i in range(0, len(level), fanin)]
        if client is None:
            level = [fn(*g) for g in groups]
        else:
            level = [client.submit(fn, *g, pure=False) for g in groups]
        if len(level) == 1:
            break
    if client is None:
        out: T = level[0]
        return out
    final: T = level[0].result()
    return final
