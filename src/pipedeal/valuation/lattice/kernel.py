"""The compiled entry point: the kernel arguments of one note as a named structure
(``KernelArgs``, a ``NamedTuple`` numba passes by value and reads by field) and the kernel that
runs the model's rollback on them (``lattice_kernel``, or ``rollback`` with scratch the caller
keeps). ``api.setup`` builds the arguments of a ``ConvertibleSpec``; the batch pricer builds them
in numba from a CSV row.

Development note: numba's cache keys an entry on the source file of the function it compiled,
not on the files of the functions it calls. After editing a rollback (``rollback_ql``,
``rollback_tfhz``, ``tfhz_passes``), delete ``src/pipedeal/valuation/**/__pycache__/*.nb[ic]``, or
this module and ``valuation.batch`` keep the old code. (An install writes every file anew.)
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from pipedeal.valuation.lattice.rollback_ql import QL_WORK_ROWS, ql_rollback, work_width
from pipedeal.valuation.lattice.rollback_tfhz import WORK_ROWS, tfhz_rollback

MODEL_QL, MODEL_TF, MODEL_HAZARD = 0, 1, 2


class KernelArgs(NamedTuple):
    """Everything a rollback reads, for one note on one lattice of n steps. Arrays of length
    n + 1 are per step (``GridInputs``' rows and the tree's ``lnbase``), of length n per step
    transition (``pu``, ``rr``, ``spread``, ``pdef``)."""

    model: int  # MODEL_QL (0), MODEL_TF (1) or MODEL_HAZARD (2: hazard and hull)
    n: int  # steps
    dt: float  # years per step
    x0: float  # spot less the present value of cash dividends (escrowed)
    lnbase: np.ndarray  # log(lowest node / x0) per step
    lnratio: float  # log(node j + 1 / node j)
    pu: np.ndarray  # up probability from step i (conditional on survival: hazard)
    rr: np.ndarray  # continuous risk-free rate over step i → i + 1 (ql: rr[0], flat)
    spread: np.ndarray  # credit spread over step i → i + 1 (ql: spread[0], flat)
    pdef: np.ndarray  # default probability over step i → i + 1 (hazard)
    eta: float  # fraction the stock falls on default (hazard)
    recovery_value: float  # recovery × face
    kappa: float  # conversion ratio (shares per note)
    redemption: float  # paid at maturity
    accrued_conv: float  # 1.0: accrued interest paid on conversion
    cpn_conv: float  # 1.0: the last coupon is paid on conversion at maturity
    window: int  # the holder's election window after a call, in steps (ql: 0)
    call_cash: float  # tf: 1.0, a binding instant call leaves the cash paid as the cash part
    cpn: np.ndarray  # coupon paid at step i
    accrued: np.ndarray  # accrued interest at step i
    conv_ok: np.ndarray  # 1.0 where conversion is allowed
    call_px: np.ndarray  # call price (tf/hazard clean, ql dirty); +inf: no call
    call_trig: np.ndarray  # soft-call trigger; -1: none
    put_px: np.ndarray  # dirty put price; 0: no put
    divadd: np.ndarray  # value at step i of the dividends still to come
    # smoothing (tf/hazard, ``smooth`` 1.0): the last step and the holder's election window in
    # closed form (lognormal expectations in place of binomial ones), with the volatility and
    # drift of the escrowed stock per step (``svol``, ``smu``) and the window's exact length
    smooth: float
    svol: np.ndarray
    smu: np.ndarray
    notice: float  # the election window in years (ql: 0)
    early: np.ndarray  # output, length 3: the values at the nodes of step 2 (tree Greeks)


@njit(cache=True)
def rollback(args: KernelArgs, work: np.ndarray) -> float:
    """The value at the root of the lattice ``args`` (a ``KernelArgs``) under its model, with
    scratch ``work`` (``QL_WORK_ROWS`` × ``work_width(n)`` for ``ql``, ``WORK_ROWS`` × (n + 2)
    for the others; reused across notes by the batch pricer). Writes ``args.early``."""
    if args.model == MODEL_QL:
        return ql_rollback(args, work)
    return tfhz_rollback(args, work)


@njit(cache=True)
def lattice_kernel(args: KernelArgs) -> float:
    """Backward induction over a recombining binomial lattice; returns the value at the root
    and writes the values at the three nodes of step 2 into ``args.early`` (tree Greeks)."""
    n = args.n
    if args.model == MODEL_QL:
        return ql_rollback(args, np.empty((QL_WORK_ROWS, work_width(n))))
    return tfhz_rollback(args, np.empty((WORK_ROWS, n + 2)))
