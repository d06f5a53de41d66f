"""The vectorized per-step passes of the ``tf`` and ``hazard`` rollbacks (``rollback_tfhz``): one
step's expectation, default leg (``hazard``), call, put and conversion over all nodes, written
as selects with per-step constants so that LLVM vectorizes them; with and without the holder's
election window in progress.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, error_model="numpy")
def _tf_pass(
    i,
    v,
    u,
    v2,
    u2,
    pw,
    s_lo,
    dv,
    p,
    q,
    dr,
    dc,
    c,
    kappa,
    ac,
    kc,
    convertible,
    cash,
    trig,
    ppc,
    keep_u,
):
    """One ``tf`` step of ``tfhz_rollback`` without an election window: nodes 0..i of step i
    from v, u (step i + 1) into v2, u2; selects only, so it vectorizes."""
    for j in range(i + 1):
        uj = u[j]
        uj1 = u[j + 1]
        nu = dc * (q * uj + p * uj1)
        vv = dr * (q * (v[j] - uj) + p * (v[j + 1] - uj1)) + nu
        s = s_lo * pw[j] + dv
        val = vv + c
        cash_part = nu + c
        conv = kappa * s + ac + kc
        conv = conv if convertible else -np.inf
        by_conv = conv > cash
        called = conv if by_conv else cash
        called_u = c if by_conv else cash
        called = called if s >= trig else np.inf
        hit = called < val
        val = called if hit else val
        cash_part = (called_u if keep_u else 0.0) if hit else cash_part
        hit = val < ppc
        val = ppc if hit else val
        cash_part = ppc if hit else cash_part
        hit = val <= conv
        val = conv if hit else val
        cash_part = kc if hit else cash_part
        v2[j] = val
        u2[j] = cash_part


@njit(cache=True, error_model="numpy")
def _hazard_pass(
    i,
    v,
    v2,
    pw,
    s_lo,
    dv,
    p,
    q,
    dr,
    opd,
    pdef,
    ome,
    recovery_value,
    c,
    kappa,
    ac,
    kc,
    convertible,
    cash,
    trig,
    ppc,
):
    """One ``hazard`` step of ``tfhz_rollback`` without an election window, as ``_tf_pass``."""
    if ome == 0.0 and recovery_value >= 0.0:
        # η = 1: the default leg max(κS·0, R) is R at every node (the select below gives the
        # same bits)
        dflt = recovery_value
        for j in range(i + 1):
            s = s_lo * pw[j] + dv
            val = dr * (opd * (q * v[j] + p * v[j + 1]) + pdef * dflt) + c
            conv = kappa * s + ac + kc
            conv = conv if convertible else -np.inf
            called = conv if conv > cash else cash
            called = called if s >= trig else np.inf
            val = called if called < val else val
            val = ppc if val < ppc else val
            val = conv if val <= conv else val
            v2[j] = val
        return
    for j in range(i + 1):
        s = s_lo * pw[j] + dv
        dflt = kappa * s * ome
        dflt = dflt if dflt > recovery_value else recovery_value
        val = dr * (opd * (q * v[j] + p * v[j + 1]) + pdef * dflt) + c
        conv = kappa * s + ac + kc
        conv = conv if convertible else -np.inf
        called = conv if conv > cash else cash
        called = called if s >= trig else np.inf
        val = called if called < val else val
        val = ppc if val < ppc else val
        val = conv if val <= conv else val
        v2[j] = val


@njit(cache=True, error_model="numpy")
def _tf_window_pass(
    i, v, u, v2, u2, pw, s_lo, dv, p, q, dr, dc, c, kappa, ac, kc, convertible, trig, ppc
):
    """One ``tf`` step with a call and the holder's election window: as ``_tf_pass``, the called
    value and its cash part being v2[j] + c and u2[j] + c (the window's expected payoff, from
    ``_window_dot``), overwritten with the step's values. The arithmetic is the
    node-by-node reference form's (``tests/valuation/reference_rollback.py``), operation for
    operation."""
    for j in range(i + 1):
        uj = u[j]
        uj1 = u[j + 1]
        nu = dc * (q * uj + p * uj1)
        vv = dr * (q * (v[j] - uj) + p * (v[j + 1] - uj1)) + nu
        s = s_lo * pw[j] + dv
        val = vv + c
        cash_part = nu + c
        called = v2[j] + c
        called_u = u2[j] + c
        called = called if s >= trig else np.inf
        hit = called < val
        val = called if hit else val
        cash_part = called_u if hit else cash_part
        hit = val < ppc
        val = ppc if hit else val
        cash_part = ppc if hit else cash_part
        conv = kappa * s + ac + kc
        conv = conv if convertible else -np.inf
        hit = val <= conv
        val = conv if hit else val
        cash_part = kc if hit else cash_part
        v2[j] = val
        u2[j] = cash_part


@njit(cache=True, error_model="numpy")
def _hazard_window_pass(
    i,
    v,
    v2,
    pw,
    s_lo,
    dv,
    p,
    q,
    dr,
    opd,
    pdef,
    ome,
    recovery_value,
    c,
    kappa,
    ac,
    kc,
    convertible,
    trig,
    ppc,
    dflt_w,
):
    """One ``hazard`` step with a call and the holder's election window, as
    ``_tf_window_pass``: the called value is v2[j] (``_window_dot``) plus the default leg over
    the window, ``dflt_w`` = (1 − survival)·discount times the node's default value, plus c."""
    for j in range(i + 1):
        s = s_lo * pw[j] + dv
        dflt = kappa * s * ome
        dflt = dflt if dflt > recovery_value else recovery_value
        val = dr * (opd * (q * v[j] + p * v[j + 1]) + pdef * dflt) + c
        called = (v2[j] + dflt_w * dflt) + c
        called = called if s >= trig else np.inf
        val = called if called < val else val
        val = ppc if val < ppc else val
        conv = kappa * s + ac + kc
        conv = conv if convertible else -np.inf
        val = conv if val <= conv else val
        v2[j] = val
