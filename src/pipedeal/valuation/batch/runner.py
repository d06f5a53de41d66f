"""Pricing many notes: ``price_notes`` (the engine behind ``pipedeal value-batch``). CRR, JR and
Hull trees: each note's inputs built in numba (``build._build_note``) and priced there, blocks of
notes on a thread pool of ``numba.get_num_threads()`` threads (the GIL is released inside);
Leisen–Reimer: inputs per note in Python (``build.prepare_fast``), priced by a numba-parallel
loop (``price_setups``). Same rollbacks as single notes (``lattice.kernel``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

import numpy as np
from numba import njit, prange

from pipedeal.errors import UserError
from pipedeal.market.inputs import check_steps
from pipedeal.valuation.batch.build import (
    CONTRACT_ROWS,
    FAST_TREES,
    INPUT_ROWS,
    _build_note,
    call_start_between,
    contract_scratch,
    fields,
    prepare_fast,
)
from pipedeal.valuation.batch.parse import BatchNote
from pipedeal.valuation.lattice.api import (
    DEFAULT_TREE,
    MODEL_CODE,
    MODELS,
    call_start_between_steps,
)
from pipedeal.valuation.lattice.kernel import KernelArgs, lattice_kernel, rollback
from pipedeal.valuation.lattice.rollback_ql import QL_WORK_ROWS, work_width
from pipedeal.valuation.lattice.rollback_tfhz import WORK_ROWS
from pipedeal.valuation.lattice.spec import Call, ConvertibleSpec

_BLOCK = 8  # notes per thread-pool task: small enough to balance two busy cores
_INT_FIELDS = ("model", "n", "window")


@njit(parallel=True, cache=True)
def _batch_kernel(cols: Any, out: np.ndarray) -> None:
    """``lattice_kernel`` of note k for every k, in parallel; ``cols``: a ``KernelArgs`` of
    columns (scalars as arrays over notes, arrays as rows of 2-D arrays)."""
    for k in prange(cols.model.shape[0]):
        n = cols.n[k]
        out[k] = lattice_kernel(
            KernelArgs(
                cols.model[k],
                n,
                cols.dt[k],
                cols.x0[k],
                cols.lnbase[k, : n + 1],
                cols.lnratio[k],
                cols.pu[k, :n],
                cols.rr[k, :n],
                cols.spread[k, :n],
                cols.pdef[k, :n],
                cols.eta[k],
                cols.recovery_value[k],
                cols.kappa[k],
                cols.redemption[k],
                cols.accrued_conv[k],
                cols.cpn_conv[k],
                cols.window[k],
                cols.call_cash[k],
                cols.cpn[k, : n + 1],
                cols.accrued[k, : n + 1],
                cols.conv_ok[k, : n + 1],
                cols.call_px[k, : n + 1],
                cols.call_trig[k, : n + 1],
                cols.put_px[k, : n + 1],
                cols.divadd[k, : n + 1],
                cols.smooth[k],
                cols.svol[k, :n],
                cols.smu[k, :n],
                cols.notice[k],
                np.zeros(3),
            )
        )


def price_setups(setups: Sequence[KernelArgs]) -> np.ndarray:
    """Price prepared kernel arguments (``setup(...).args``) in parallel."""
    m = len(setups)
    width = max(a.n for a in setups) + 1
    cols: dict[str, np.ndarray] = {}
    for name in KernelArgs._fields[:-1]:
        first = getattr(setups[0], name)
        if isinstance(first, np.ndarray):
            arr = np.zeros((m, width))
            for k, a in enumerate(setups):
                row = getattr(a, name)
                arr[k, : row.shape[0]] = row
        else:
            dtype = np.int64 if name in _INT_FIELDS else np.float64
            arr = np.array([getattr(a, name) for a in setups], dtype=dtype)
        cols[name] = arr
    out = np.empty(m)
    # a KernelArgs of columns (every field an array over the notes), read by _batch_kernel
    _batch_kernel(KernelArgs(**cols, early=np.zeros((m, 3))), out)  # type: ignore[arg-type]
    return out


@njit(cache=True, nogil=True, error_model="numpy")
def _price_block(
    ints: np.ndarray,
    flts: np.ndarray,
    lo: int,
    hi: int,
    model: int,
    tree: int,
    n: int,
    g: np.ndarray,
    cpns: np.ndarray,
    out: np.ndarray,
    status: np.ndarray,
) -> None:
    """Build the inputs of notes lo..hi-1 and price them, into ``out``; one thread, reusing
    ``g`` (inputs, then the rollbacks' scratch) and ``cpns`` for every note."""
    early = np.zeros(3)
    work = g[INPUT_ROWS:]
    for k in range(lo, hi):
        st, args = _build_note(ints[k], flts[k], model, tree, n, g, cpns, early)
        status[k] = st
        out[k] = rollback(args, work) if st == 0 else np.nan
        if st == 0 and args.smooth > 0.0:
            # smoothing: the call date between two steps, interpolated (``lattice.api``)
            step, frac, lower = call_start_between(ints[k], n)
            if step >= 0:
                at = (step + 1 if lower else step) * (((ints[k, 2] - ints[k, 0]) / 365.0) / n)
                st2, moved = _build_note(ints[k], flts[k], model, tree, n, g, cpns, early, at)
                other = rollback(moved, work)
                v_lo, v_hi = (out[k], other) if lower else (other, out[k])
                out[k] = v_lo + frac * (v_hi - v_lo)


def price_notes(
    notes: Sequence[BatchNote],
    *,
    model: str = "tf",
    steps: int = 500,
    tree: str | None = None,
    chunk: int = 256,
    on_progress: Callable[[int], None] | None = None,
    smoothing: bool = False,
    richardson: bool = False,
) -> np.ndarray:
    """Values (in the notes' face units) of every note; ``on_progress(done)`` each time at
    least ``chunk`` more notes are done, and at the end.

    CRR, JR and Hull trees: each note's inputs are built in numba and priced there, blocks of
    notes on ``numba.get_num_threads()`` threads (smoothing too); Leisen–Reimer, and notes with a
    term structure: inputs per note in Python, priced by a numba-parallel loop.
    ``smoothing``/``richardson``: for every note (a note's own columns can ask for them too);
    Richardson prices the notes that use it again at ``steps // 2``: 2·V(N) − V(N/2)."""
    if model not in MODELS:
        raise UserError(f"--model: unknown model {model!r} (use {', '.join(MODELS)})")
    check_steps(steps)
    if model == "ql" and (smoothing or any(n.smoothing for n in notes)):
        raise UserError("smoothing: not in ql mode (it reproduces QuantLib's engine step for step)")
    if smoothing or richardson:
        notes = [
            replace(n, smoothing=n.smoothing or smoothing, richardson=n.richardson or richardson)
            for n in notes
        ]
    out = _price_all(notes, model, steps, tree, chunk, on_progress)
    rich = [k for k, n in enumerate(notes) if n.richardson]
    if rich:
        half = _price_all([notes[k] for k in rich], model, max(steps // 2, 1), tree, chunk, None)
        out[rich] = 2.0 * out[rich] - half
    if not np.all(np.isfinite(out)):
        bad = int(np.flatnonzero(~np.isfinite(out))[0])
        raise UserError(f"note {notes[bad].id}: the lattice overflowed (INF); check its inputs")
    return out


def _price_all(
    notes: Sequence[BatchNote],
    model: str,
    steps: int,
    tree: str | None,
    chunk: int,
    on_progress: Callable[[int], None] | None,
) -> np.ndarray:
    tree_name = "hull" if model == "hull" else (tree or DEFAULT_TREE[model])
    slow = [
        k
        for k, n in enumerate(notes)
        if tree_name not in FAST_TREES or n.vol_curve or n.spread_curve
    ]
    if not slow:
        return _price_fast(notes, model, steps, tree_name, chunk, on_progress, tree)
    out = np.empty(len(notes))
    fast = sorted(set(range(len(notes))) - set(slow))
    done = 0
    if fast:
        out[fast] = _price_fast([notes[k] for k in fast], model, steps, tree_name, chunk, None,
                                tree)
        done = len(fast)
        if on_progress is not None:
            on_progress(done)
    # per-note inputs in Python (Leisen–Reimer, term structures)
    for start in range(0, len(slow), chunk):
        part = slow[start : start + chunk]
        args = [prepare_fast(notes[k], model, steps, tree) for k in part]
        values = price_setups(args)
        _interpolate_call_start([notes[k] for k in part], args, values, model, steps, tree)
        out[part] = values
        done += len(part)
        if on_progress is not None:
            on_progress(done)
    return out


def _interpolate_call_start(
    notes: Sequence[BatchNote],
    args: Sequence[KernelArgs],
    values: np.ndarray,
    model: str,
    steps: int,
    tree: str | None,
) -> None:
    """Smoothing's call date, as ``lattice.api`` has it for one note: where a note's first call
    date falls between two steps, its value is interpolated between the lattices with the
    call starting on the step before and on the step after (``values`` updated in place)."""
    todo = []
    for j, note in enumerate(notes):
        if not note.smoothing or note.call_start is None:
            continue
        T = (note.maturity_date - note.valuation_date).days / 365.0
        start = (note.call_start - note.valuation_date).days / 365.0
        spec = ConvertibleSpec(maturity=T, conversion_ratio=1.0, calls=(Call(start, T, 1.0),))
        at = call_start_between_steps(spec, args[j].n)
        if at is not None:
            todo.append((j, at, T / args[j].n))
    if not todo:
        return
    others = [
        prepare_fast(notes[j], model, steps, tree, call_start=(k + 1 if lower else k) * dt)
        for j, (k, _, lower), dt in todo
    ]
    moved = price_setups(others)
    for (j, (_, frac, lower), _), v_other in zip(todo, moved, strict=True):
        v_lo, v_hi = (values[j], v_other) if lower else (v_other, values[j])
        values[j] = v_lo + frac * (v_hi - v_lo)


_pool: tuple[int, ThreadPoolExecutor] | None = None  # (workers, pool)
_pool_lock = threading.Lock()
_local = threading.local()


def _workers() -> int:
    import numba

    return max(1, numba.get_num_threads())


def _executor() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None or _pool[0] != _workers():
            if _pool is not None:
                _pool[1].shutdown(wait=False)
            workers = _workers()
            _pool = (workers, ThreadPoolExecutor(workers, thread_name_prefix="pipedeal-batch"))
        return _pool[1]


def _scratch(n: int, columns: int) -> tuple[np.ndarray, np.ndarray]:
    """This thread's scratch arrays (C-contiguous), kept between calls of the same steps: the
    inputs then the rollback's rows (``g``), and the contract's rows (``cpns``)."""
    g = getattr(_local, "g", None)
    c = getattr(_local, "c", None)
    width = int(work_width(n))
    if g is None or g.shape[1] != width:
        g = _local.g = np.empty((INPUT_ROWS + max(QL_WORK_ROWS, WORK_ROWS), width))
    if c is None or c.shape[1] < columns:
        c = _local.c = np.empty((CONTRACT_ROWS, columns))
    return g, c


def _price_fast(
    notes: Sequence[BatchNote],
    model: str,
    steps: int,
    tree_name: str,
    chunk: int,
    on_progress: Callable[[int], None] | None,
    tree: str | None,
) -> np.ndarray:
    """Inputs built and priced in numba, blocks of ``_BLOCK`` notes handed to a pool of
    ``numba.get_num_threads()`` threads as they free up (the GIL is released inside)."""
    m = len(notes)
    ints, flts = fields(notes, model, tree_name, steps)
    code = MODEL_CODE[model]
    tcode = FAST_TREES[tree_name]
    out = np.empty(m)
    status = np.zeros(m, dtype=np.int64)
    columns = contract_scratch(ints)

    def run(lo: int, hi: int) -> int:
        g, c = _scratch(steps, columns)
        _price_block(ints, flts, lo, hi, code, tcode, steps, g, c, out, status)
        return hi - lo

    blocks = [(lo, min(lo + _BLOCK, m)) for lo in range(0, m, _BLOCK)]
    if len(blocks) <= 1 or _workers() == 1:
        for lo, hi in blocks:
            run(lo, hi)
            if on_progress is not None:
                on_progress(hi)
    else:
        futures = [_executor().submit(run, lo, hi) for lo, hi in blocks]
        done = reported = 0
        for f in futures:  # in order: the first failure raises first
            done += f.result()
            if on_progress is not None and (done - reported >= chunk or done == m):
                on_progress(done)
                reported = done
    bad = np.flatnonzero(status)
    if bad.size:
        k = int(bad[0])
        prepare_fast(notes[k], model, steps, tree)  # raises the note's error
        raise UserError(f"note {notes[k].id}: invalid inputs")
    return out
