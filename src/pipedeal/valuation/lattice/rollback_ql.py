"""The ``ql`` rollback: QuantLib's ``BinomialConvertibleEngine`` (``TsiveriotisFernandesLattice``
with ``DiscretizedConvertible``'s call, put, coupon and conversion at each node) reproduced step
for step, compiled, as one vectorizable pass over the nodes per step wherever the step allows
(``ql_rollback``), and the node-by-node event form it falls back to (``_ql_events``).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
from numba import njit

if TYPE_CHECKING:
    from pipedeal.valuation.lattice.kernel import KernelArgs


@njit(cache=True)
def _ql_events(m, v, u, s_lo, pw, dv, kappa, cp, trig, convertible, pp, c):
    """QuantLib's ``DiscretizedConvertible::postAdjustValuesImpl`` at one step (call, put,
    coupon, conversion), node by node; the general form (soft-call triggers, the last steps)."""
    if cp < np.inf:
        for j in range(m):
            s = s_lo * pw[j] + dv
            val = v[j]
            if trig >= 0.0:
                called = min(max(cp, kappa * s), val)
                val = called if s >= trig else val
            elif convertible:
                val = min(max(cp, kappa * s), val)
            else:
                val = min(cp, val)
            v[j] = val
    if pp > 0.0 or c != 0.0:
        for j in range(m):
            v[j] = max(v[j], pp) + c
    if convertible:
        for j in range(m):
            ks = kappa * (s_lo * pw[j] + dv)
            conv = v[j] <= ks
            v[j] = ks if conv else v[j]
            u[j] = 1.0 if conv else u[j]


QL_WORK_ROWS = 7  # scratch rows ql_rollback needs, each at least steps + 2 long
TINY = 1e-30  # conversion probabilities below this are zero (no subnormal arithmetic)


@njit(cache=True)
def work_width(n: int) -> int:
    """Row length of ``ql_rollback``'s scratch for n steps: at least n + 2, and 832 bytes past
    a multiple of 4 KiB, so that the rows a pass reads and the rows it writes never sit at
    the same offset within a page (4K aliasing stalls loads behind unrelated stores)."""
    return 512 * max(0, -(-(n + 2 - 104) // 512)) + 104


@njit(cache=True, error_model="numpy", fastmath={"contract"})
def ql_rollback(args: KernelArgs, work: np.ndarray) -> float:
    """QuantLib's ``TsiveriotisFernandesLattice`` rollback with
    ``DiscretizedConvertible::postAdjustValuesImpl`` (call, put, coupon, conversion) applied at
    each step, for the kernel arguments ``args`` (``KernelArgs``; ``rr[0]`` is the flat rate).
    ``work``: at least ``QL_WORK_ROWS`` × (n + 2) scratch (reused across notes).

    Each step is one fused pass over the nodes: expectation of the discounted values ``d`` and
    conversion probabilities ``u`` of the next step, the step's events, then the node's own
    discounting 1/(1 + rate·Δt) with its blended rate, written for the step before. The pass
    has no branches (the events of a step pick the loop), so LLVM vectorizes it; the division
    stays a division, as in QuantLib, and is what bounds the pass (one ``vdivpd`` per four
    nodes). Differences from QuantLib's arithmetic are rounding only: the denominator as
    (1 + rs·Δt) − c·spread·Δt, fused multiply-adds (``contract``), conversion probabilities
    under 1e-30 set to zero (they cannot move a denominator near 1 by an ulp; subnormal
    arithmetic is ~100× slower). ``error_model="numpy"``: no zero-division test per node.
    """
    n = args.n
    dt = args.dt
    x0 = args.x0
    lnbase = args.lnbase
    ratio = math.exp(args.lnratio)
    pu = args.pu
    r0 = args.rr[0]
    spread = args.spread[0]  # QuantLib's engine takes one spread
    kappa = args.kappa
    redemption = args.redemption
    cpn = args.cpn
    conv_ok = args.conv_ok
    call_px = args.call_px
    call_trig = args.call_trig
    put_px = args.put_px
    divadd = args.divadd
    early = args.early
    rs = r0 + spread
    pw = work[0]  # ratio**j, node j's price relative to the lowest node
    d = work[1]  # discounted values of the next step's nodes
    u = work[2]  # conversion probability of the next step's nodes
    d2 = work[3]
    u2 = work[4]
    v = work[5]  # values at the step (general path only)
    rate = work[6]  # blended rate per node (general path only)
    den_a = 1.0 + rs * dt
    den_b = spread * dt
    acc = 1.0
    for j in range(n + 1):
        pw[j] = acc
        acc *= ratio
    # maturity: redemption, then the events of step n
    for j in range(n + 1):
        v[j] = redemption
        u[j] = 0.0
    s_lo = x0 * math.exp(lnbase[n])
    _ql_events(
        n + 1,
        v,
        u,
        s_lo,
        pw,
        divadd[n],
        kappa,
        call_px[n],
        call_trig[n],
        conv_ok[n] > 0.0,
        put_px[n],
        cpn[n],
    )
    for j in range(n + 1):
        rate[j] = u[j] * r0 + (1.0 - u[j]) * rs
        d[j] = v[j] / (1.0 + rate[j] * dt)
    if n == 2:
        for j in range(3):
            early[j] = v[j]
    for i in range(n - 1, -1, -1):
        m = i + 1
        p = pu[i]
        q = 1.0 - p
        s_lo = x0 * math.exp(lnbase[i])
        dv = divadd[i]
        cp = call_px[i]
        trig = call_trig[i]
        convertible = conv_ok[i] > 0.0
        pp = put_px[i]
        c = cpn[i]
        if i > 2 and not (cp < np.inf and trig >= 0.0):
            # the fast pass; cp = +inf (no call) leaves the value as it is. Maxima and minima
            # written as ``a if a > b else b`` (x86 maxpd/minpd); equal operands give the same
            # value either way. The denominator A − c·B is 1 + (c·r0 + (1 − c)·rs)·Δt.
            if pp > 0.0 or c != 0.0:
                for j in range(m):
                    cj = q * u[j] + p * u[j + 1]
                    cj = cj if cj > TINY else 0.0
                    val = q * d[j] + p * d[j + 1]
                    ks = kappa * (s_lo * pw[j] + dv) if convertible else -np.inf
                    hi = cp if cp > ks else ks
                    val = hi if hi < val else val
                    val = (val if val > pp else pp) + c
                    u2[j] = 1.0 if val <= ks else cj
                    val = val if val > ks else ks
                    d2[j] = val / (den_a - cj * den_b)
            elif convertible:
                for j in range(m):
                    cj = q * u[j] + p * u[j + 1]
                    cj = cj if cj > TINY else 0.0
                    val = q * d[j] + p * d[j + 1]
                    ks = kappa * (s_lo * pw[j] + dv)
                    hi = cp if cp > ks else ks
                    val = hi if hi < val else val
                    u2[j] = 1.0 if val <= ks else cj
                    val = val if val > ks else ks
                    d2[j] = val / (den_a - cj * den_b)
            else:
                for j in range(m):
                    cj = q * u[j] + p * u[j + 1]
                    cj = cj if cj > TINY else 0.0
                    val = q * d[j] + p * d[j + 1]
                    val = cp if cp < val else val
                    u2[j] = cj
                    d2[j] = val / (den_a - cj * den_b)
        else:
            for j in range(m):
                cj = q * u[j] + p * u[j + 1]
                u2[j] = cj
                v[j] = q * d[j] + p * d[j + 1]
                rate[j] = cj * r0 + (1.0 - cj) * rs
            _ql_events(m, v, u2, s_lo, pw, dv, kappa, cp, trig, convertible, pp, c)
            for j in range(m):
                d2[j] = v[j] / (1.0 + rate[j] * dt)
            if i == 2:
                for j in range(3):
                    early[j] = v[j]
        d, d2 = d2, d
        u, u2 = u2, u
    return v[0]
