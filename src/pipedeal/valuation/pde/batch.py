"""Many notes by the PDE (``pipedeal value-batch --engine pde``): each CSV note's contract as
arrays by the lattice batch's compiled builder (``batch.build._note_contract``: the same
contract as ``BatchNote.dated_note``), set up here, the solves on a pool of
``numba.get_num_threads()`` threads (the solver releases the GIL), in input order.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np

from pipedeal.errors import UserError
from pipedeal.valuation.batch.build import CONTRACT_ROWS, _note_contract, contract_scratch, fields
from pipedeal.valuation.batch.parse import BatchNote
from pipedeal.valuation.lattice.spec import ConvertibleSpec
from pipedeal.valuation.pde.api import DEFAULT_STEPS, PDE_MODELS, default_nodes, setup
from pipedeal.valuation.pde.mesh import check_resolution
from pipedeal.valuation.pde.solver import solve

_pool: tuple[int, ThreadPoolExecutor] | None = None
_pool_lock = threading.Lock()
_IN_FLIGHT = 64  # solves queued ahead of the set-up, per worker


def _executor() -> tuple[int, ThreadPoolExecutor]:
    import numba

    global _pool
    workers = max(1, numba.get_num_threads())
    with _pool_lock:
        if _pool is None or _pool[0] != workers:
            if _pool is not None:
                _pool[1].shutdown(wait=False)
            _pool = (workers, ThreadPoolExecutor(workers, thread_name_prefix="pipedeal-pde"))
        return _pool


def price_notes(
    notes: Sequence[BatchNote],
    *,
    model: str = "hazard",
    steps: int = DEFAULT_STEPS,
    nodes: int | None = None,
    chunk: int = 256,
    on_progress: Callable[[int], None] | None = None,
) -> np.ndarray:
    """Values (in the notes' face units) of every note by the PDE; ``on_progress(done)`` each
    time at least ``chunk`` more notes are done, and at the end. A note whose inputs the engine
    refuses is a ``UserError`` naming it."""
    if model not in PDE_MODELS:
        raise UserError(f"--model: the pde engine has {', '.join(PDE_MODELS)}, not {model!r}")
    nodes = default_nodes(steps) if nodes is None else nodes
    check_resolution(steps, nodes)
    m = len(notes)
    out = np.empty(m)
    workers, pool = _executor()
    pending: list[tuple[int, Future[float]]] = []
    done = reported = 0

    def drain(limit: int) -> None:
        nonlocal done, reported
        while len(pending) > limit:
            k, f = pending.pop(0)
            out[k] = f.result()
            done += 1
            if on_progress is not None and (done - reported >= chunk or done == m):
                on_progress(done)
                reported = done

    ints, flts = fields(notes, model, "crr", steps)
    cpns = np.empty((CONTRACT_ROWS, contract_scratch(ints)))
    for k, note in enumerate(notes):
        try:
            args = setup(
                _spec(note), note.market(), model=model, steps=steps, nodes=nodes,
                contract=_note_contract(ints[k], flts[k], False, cpns),
            ).args
        except UserError as exc:
            raise UserError(f"note {note.id}: {exc}") from None
        if workers == 1:
            pending.append((k, _done(solve(args))))
        else:
            pending.append((k, pool.submit(solve, args)))
        drain(_IN_FLIGHT * workers)
    drain(0)
    if not np.all(np.isfinite(out)):
        bad = int(np.flatnonzero(~np.isfinite(out))[0])
        raise UserError(f"note {notes[bad].id}: the PDE solution is not finite; check its inputs")
    return out


def _spec(note: BatchNote) -> ConvertibleSpec:
    """What ``setup`` reads of a CSV note besides its contract arrays (``_note_contract``, the
    lattice batch's compiled builder: coupons, the call window)."""
    return ConvertibleSpec(
        maturity=(note.maturity_date.toordinal() - note.valuation_date.toordinal()) / 365.0,
        conversion_ratio=note.face / note.conversion_price,
        face=note.face,
        accrued_convertible=note.accrued_convertible,
        notice_years=note.window_days / 365.0,
    )


def _done(value: float) -> Future[float]:
    f: Future[float] = Future()
    f.set_result(value)
    return f
