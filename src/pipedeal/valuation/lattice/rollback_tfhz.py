"""The ``tf`` and ``hazard`` (and ``hull``) rollbacks: the step loop (``tfhz_rollback``), the
holder's election window after a call (binomial weights over the window, its end payoff row,
banded dot products) and the events at maturity. The per-step vectorized passes are
``tfhz_passes``'.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
from numba import njit

if TYPE_CHECKING:
    from pipedeal.valuation.lattice.kernel import KernelArgs

from pipedeal.valuation.lattice.tfhz_passes import (
    _hazard_pass,
    _hazard_window_pass,
    _tf_pass,
    _tf_window_pass,
)

WORK_ROWS = 9  # scratch rows tfhz_rollback needs (ql_rollback: QL_WORK_ROWS), each n + 2 long


@njit(cache=True, error_model="numpy")
def tfhz_rollback(args: KernelArgs, work: np.ndarray) -> float:
    """The ``tf`` (model 1) and ``hazard`` (model 2) rollbacks of the kernel arguments ``args``
    (``KernelArgs``); ``work``: at least ``WORK_ROWS`` × (n + 2) scratch (reused across notes by
    the batch pricer).

    A step without an election window in progress (no call at the step, or ``window`` 0) is one
    fused pass over the nodes: the expectation (and, for ``hazard``, default) of the next step,
    then the step's call, put and conversion, written as selects with per-step constants
    (an absent call is a cash price of +inf, an absent put or conversion a bound of −inf, a
    call without a trigger a trigger of −inf), double-buffered, so LLVM vectorizes it. The
    arithmetic is the node-by-node form's, operation for operation (no ``fastmath``), so values
    are the same to the bit. A step with a call and the holder's election window is the same
    in four passes: the window's binomial weights (into scratch), its end payoff per node
    (``_window_payoff``), the called value per node as a dot product of the weights with that
    row, k outside and nodes inside (``_window_dot``), then the step's pass with the called
    value read from that row (``_tf_window_pass``, ``_hazard_window_pass``). Maturity is
    node by node (``_tfhz_maturity``). The node-by-node form of every step, which these passes
    reproduce to the bit, is the tests' reference (``tests/valuation/reference_rollback.py``)."""
    model = args.model
    n = args.n
    dt = args.dt
    x0 = args.x0
    lnbase = args.lnbase
    pu = args.pu
    rr = args.rr
    spread = args.spread
    pdef = args.pdef
    smooth = args.smooth > 0.0
    svol = args.svol
    smu = args.smu
    notice = args.notice
    eta = args.eta
    recovery_value = args.recovery_value
    kappa = args.kappa
    redemption = args.redemption
    accrued_conv = args.accrued_conv
    cpn_conv = args.cpn_conv
    window = args.window
    call_cash = args.call_cash
    cpn = args.cpn
    accrued = args.accrued
    conv_ok = args.conv_ok
    call_px = args.call_px
    call_trig = args.call_trig
    put_px = args.put_px
    divadd = args.divadd
    early = args.early
    ratio = math.exp(args.lnratio)
    pw = work[0]  # ratio**j: node j's price relative to the lowest node of its step
    v = work[1]
    u = work[2]  # tf: cash-only part
    v2 = work[3]
    u2 = work[4]
    cum = work[5]  # cumulative coupons, for the election window
    pay_v = work[6]  # election window: discounted payoff at its end, per node
    pay_u = work[7]  # ... and its cash part (tf)
    wts = work[8]  # election window: binomial weights of its end nodes
    acc_c = 0.0
    for i in range(n + 1):
        acc_c += cpn[i]
        cum[i] = acc_c
    for j in range(n + 1):
        v[j] = redemption
        u[j] = redemption if model == 1 else 0.0
    acc_pw = 1.0
    for j in range(n + 1):
        pw[j] = acc_pw
        acc_pw *= ratio
    ome = 1.0 - eta
    r_last = s_last = np.nan
    dr = dc = 1.0
    smoothed = False
    for i in range(n, -1, -1):
        w = min(i + window, n) - i
        if i == n:
            _tfhz_maturity(args, pw, v, u)
            # smoothing: the step-(n-1) expectations of the maturity values, in v and u; the
            # step then takes them with weights (1, 0) instead of the binomial (1 - p, p)
            smoothed = smooth and _smooth_last_step(args, pw, v, u)
        else:
            p = pu[i]
            q = 1.0 - p
            p_e, q_e = (0.0, 1.0) if (smoothed and i == n - 1) else (p, q)
            pd = pdef[i]
            opd = 1.0 - pd
            c = cpn[i]
            dv = divadd[i]
            s_lo = x0 * math.exp(lnbase[i])
            kc = c if (i < n or cpn_conv > 0.0) else 0.0  # coupon kept on conversion
            ac = accrued_conv * accrued[i]
            cash = call_px[i] + accrued[i] + c  # +inf: no call at this step
            trig = call_trig[i] if call_trig[i] >= 0.0 else -np.inf
            convertible = conv_ok[i] > 0.0
            ppc = put_px[i] + c if put_px[i] > 0.0 else -np.inf
            keep_u = call_cash > 0.0
            if rr[i] != r_last or spread[i] != s_last:  # flat: the factors of the step before
                r_last = rr[i]
                s_last = spread[i]
                dr = math.exp(-r_last * dt)
                dc = math.exp(-(r_last + s_last) * dt)
            if call_px[i] < np.inf and (w > 0 or (smooth and notice > 0.0)):
                # a call with the holder's election window: the called value at each node is the
                # window's expected end payoff (into v2, u2), then the step. Binomial over the
                # window's w steps, or (smoothing) in closed form over its exact length
                e = i + w
                if smooth:
                    tau = min(notice, (n - i) * dt)
                    r_w = rr[i] * tau
                    s_w = spread[i] * tau
                    surv = math.exp(math.log1p(-pdef[i]) * (tau / dt)) if pdef[i] < 1.0 else 0.0
                else:
                    _window_weights_into(i, w, pu, wts)
                    r_w = 0.0
                    s_w = 0.0
                    surv = 1.0
                    for k in range(i, e):
                        r_w += rr[k] * dt
                        s_w += spread[k] * dt
                        surv *= 1.0 - pdef[k]
                d_r = math.exp(-r_w)
                d_c = math.exp(-r_w - s_w)
                cdiff = cum[e] - cum[i]
                cash_e = call_px[i] + accrued[e] + cdiff
                if e == n:
                    cash_e = max(cash_e, redemption + cpn[n])
                if model == 1:
                    conv_mult = d_r
                    cash_pay = cash_e * d_c
                else:
                    conv_mult = d_r * surv
                    cash_pay = cash_e * d_r * surv
                if smooth:
                    _window_closed_form(
                        i + 1,
                        s_lo,
                        pw,
                        args.lnratio,
                        svol[i],
                        smu[i],
                        tau,
                        divadd[e],
                        kappa if conv_ok[e] > 0.0 else 0.0,
                        accrued_conv * accrued[e] + cdiff,
                        cash_e,
                        conv_mult,
                        cash_pay,
                        v2,
                        u2,
                    )
                else:
                    _window_binomial(
                        i, w, e, x0 * math.exp(lnbase[e]), pw, divadd[e], kappa,
                        accrued_conv * accrued[e], cdiff, conv_ok[e] > 0.0, cash_e, conv_mult,
                        cash_pay, wts, pay_v, pay_u, v2, u2, model == 1,
                    )
                if model == 1:
                    _tf_window_pass(
                        i,
                        v,
                        u,
                        v2,
                        u2,
                        pw,
                        s_lo,
                        dv,
                        p_e,
                        q_e,
                        dr,
                        dc,
                        c,
                        kappa,
                        ac,
                        kc,
                        convertible,
                        trig,
                        ppc,
                    )
                    u, u2 = u2, u
                else:
                    _hazard_window_pass(
                        i,
                        v,
                        v2,
                        pw,
                        s_lo,
                        dv,
                        p_e,
                        q_e,
                        dr,
                        opd,
                        pd,
                        ome,
                        recovery_value,
                        c,
                        kappa,
                        ac,
                        kc,
                        convertible,
                        trig,
                        ppc,
                        (1.0 - surv) * d_r,
                    )
            elif model == 1:
                _tf_pass(
                    i,
                    v,
                    u,
                    v2,
                    u2,
                    pw,
                    s_lo,
                    dv,
                    p_e,
                    q_e,
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
                )
                u, u2 = u2, u
            else:
                _hazard_pass(
                    i,
                    v,
                    v2,
                    pw,
                    s_lo,
                    dv,
                    p_e,
                    q_e,
                    dr,
                    opd,
                    pd,
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
                )
            v, v2 = v2, v
        if i == 2:
            for j in range(3):
                early[j] = v[j]
    return v[0]


@njit(cache=True, error_model="numpy")
def _window_binomial(
    i, w, e, se_lo, pw, dv_e, kappa, ace, cdiff, conv_at_end, cash_e, conv_mult, cash_pay,
    wts, pay_v, pay_u, v2, u2, tf,
):
    """The called value per node of step i as the binomial expectation of the window's end
    payoff over its w steps: the end payoff row (``_window_payoff``), then banded dot products
    with the weights ``wts``. Nodes j < a see cash at every end node (the same sum for all of
    them), nodes j >= b conversion at every one (no cash part): the dot products run only
    where they differ, with the same terms in the same order, so the same bits."""
    lo, hi = _window_payoff(
        e, se_lo, pw, dv_e, kappa, ace, cdiff, conv_at_end, cash_e, conv_mult, cash_pay,
        pay_v, pay_u,
    )
    m = i + 1
    a = min(max(lo - w, 0), m)
    b = min(max(hi + 1, a), m)
    cash_sum = 0.0
    for k in range(w + 1):
        cash_sum += wts[k] * cash_pay
    _window_fill(a, cash_sum, v2)
    _window_dot(m - a, w, wts, pay_v[a:], v2[a:])
    if tf:
        _window_fill(a, cash_sum, u2)
        _window_dot(b - a, w, wts, pay_u[a:], u2[a:])
        _window_fill(m - b, 0.0, u2[b:])


_DIRECT_WEIGHTS = 512  # up to here the direct product is exact enough and far from overflow


@njit(cache=True)
def _window_weights_into(i, w, pu, out):
    """The probabilities of the window's w end nodes seen from step i: binomial when the up
    probability is the same on every step of the window (``_binom_weights_into``); else (a
    volatility term structure's tree, whose p alternates between skewed steps and their mirror)
    the distribution carried step by step through each step's own p."""
    p = pu[i]
    same = True
    for k in range(i + 1, i + w):
        if pu[k] != p:
            same = False
            break
    if same:
        _binom_weights_into(w, p, out)
        return
    out[0] = 1.0
    for s in range(w):
        pk = pu[i + s]
        out[s + 1] = out[s] * pk
        for j in range(s, 0, -1):
            out[j] = out[j] * (1.0 - pk) + out[j - 1] * pk
        out[0] *= 1.0 - pk


@njit(cache=True)
def _binom_weights_into(w, p, out):
    """The binomial weights C(w, k)·p^k·(1 − p)^(w − k) of the window's end nodes into
    ``out[:w + 1]`` (the reference form's arithmetic, without its allocation). A window of more
    than ``_DIRECT_WEIGHTS`` steps takes them in logarithms: C(w, k) overflows a double past
    w ≈ 1,030 and p^k underflows well before (a 146-day window at 3,000 steps a year was
    priced 3 per 100 too high)."""
    if w <= _DIRECT_WEIGHTS:
        c = 1.0
        for k in range(w + 1):
            out[k] = c * p**k * (1.0 - p) ** (w - k)
            c = c * (w - k) / (k + 1)
        return
    lp = math.log(p) if p > 0.0 else -np.inf
    lq = math.log1p(-p) if p < 1.0 else -np.inf
    lw = math.lgamma(w + 1.0)
    for k in range(w + 1):
        out[k] = math.exp(lw - math.lgamma(k + 1.0) - math.lgamma(w - k + 1.0)
                          + k * lp + (w - k) * lq)


@njit(cache=True, error_model="numpy")
def _window_payoff(
    e, se_lo, pw, dv, kappa, ace, cdiff, conv_at_end, cash_e, conv_mult, cash_pay, pay_v, pay_u
):
    """The election window's end payoff per node of step e, discounted to the call's step:
    conversion (times ``conv_mult``) where convertible and worth more than the cash ``cash_e``,
    else ``cash_pay``; ``pay_u``: its cash part (``tf``; zero where converted). Node prices as
    every other pass takes them, lowest node times ``pw[j]`` (until 2026-11 this row alone
    multiplied up node by node, a serial chain that kept the pass from vectorizing; values
    moved by < 3e-13 per 100 face). Returns the first node converted and the last node not
    converted (e + 1 and −1 where none)."""
    lo = e + 1
    hi = -1
    cut = cash_e if conv_at_end else np.inf
    for jj in range(e + 1):
        se = se_lo * pw[jj] + dv
        conv = kappa * se + ace + cdiff
        take = conv > cut
        pay_v[jj] = conv * conv_mult if take else cash_pay
        pay_u[jj] = 0.0 if take else cash_pay
        t = jj if take else e + 1
        lo = t if t < lo else lo
        t = -1 if take else jj
        hi = t if t > hi else hi
    return lo, hi


@njit(cache=True, error_model="numpy")
def _window_fill(m, x, acc):
    for j in range(m):
        acc[j] = x


@njit(cache=True, error_model="numpy")
def _window_dot(m, w, wts, pay, acc):
    """acc[j] = Σ_k wts[k]·pay[j + k] for j < m, summed in k order from 0.0 (the general
    form's order, so the same bits); k outside so the inner loop vectorizes (indices from 0:
    numba's negative-index wraparound is then provably dead, which vectorizing needs)."""
    for j in range(m):
        acc[j] = 0.0
    for k in range(w + 1):
        wk = wts[k]
        for j in range(m):
            acc[j] += wk * pay[j + k]


@njit(cache=True)
def _tfhz_maturity(args: KernelArgs, pw: np.ndarray, v: np.ndarray, u: np.ndarray) -> None:
    """The events at maturity (step n) on the redemption values in v, u, node by node: the
    node-by-node form's arithmetic at its last step (no rollback; no election window starts
    there), so the rollback equals that form to the bit."""
    n = args.n
    c = args.cpn[n]
    has_call = args.call_px[n] < np.inf
    convertible = args.conv_ok[n] > 0.0
    kc = c if args.cpn_conv > 0.0 else 0.0  # coupon kept on conversion
    trig = args.call_trig[n]
    acc = args.accrued[n]
    s_lo = args.x0 * math.exp(args.lnbase[n])
    for j in range(n + 1):
        s = s_lo * pw[j] + args.divadd[n]
        val = v[j] + c
        cash_part = u[j] + c
        if has_call and (trig < 0.0 or s >= trig):
            cash = args.call_px[n] + acc + c
            conv = args.kappa * s + args.accrued_conv * acc + kc
            if convertible and conv > cash:
                called, called_u = conv, c
            else:
                called, called_u = cash, cash
            if called < val:
                val = called
                cash_part = called_u if args.call_cash > 0.0 else 0.0
        if args.put_px[n] > 0.0 and val < args.put_px[n] + c:
            val = args.put_px[n] + c
            cash_part = val
        if convertible:
            conv = args.kappa * s + args.accrued_conv * acc + kc
            if val <= conv:
                val = conv
                cash_part = kc
        v[j] = val
        u[j] = cash_part


@njit(cache=True)
def _norm_cdf(x: float) -> float:
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


@njit(cache=True)
def _smooth_last_step(args: KernelArgs, pw: np.ndarray, v: np.ndarray, u: np.ndarray) -> bool:
    """Smoothing of the last step: over [t(n-1), T] the stock is lognormal (vol
    ``svol[n - 1]``, drift ``smu[n - 1]``), and the value at maturity is max(A, κS + B) (A: the
    note not converted, after a call without a trigger, a put, the last coupon; B: the coupon
    and accrued interest kept on conversion), so its expectation at each node of step n − 1 is
    closed-form (Black–Scholes). Writes E[v], and for ``tf`` E[u], into v[j], u[j] for the
    n nodes of step n − 1. The maturity kink then no longer sits between nodes, which is what
    makes a tree's error oscillate with n. Returns False (nothing written) where the value at
    maturity is not of that form (a soft-call trigger at maturity)."""
    n = args.n
    if n < 1:
        return False
    has_call = args.call_px[n] < np.inf
    trig = args.call_trig[n]
    if has_call and trig >= 0.0:
        return False
    c = args.cpn[n]
    kc = c if args.cpn_conv > 0.0 else 0.0
    acc = args.accrued[n]
    # the note not converted (``_tfhz_maturity`` with no conversion value)
    a_v = args.redemption + c
    a_u = (args.redemption if args.model == 1 else 0.0) + c
    if has_call:
        cash = args.call_px[n] + acc + c
        if cash < a_v:
            a_v = cash
            a_u = cash if args.call_cash > 0.0 else 0.0
    if args.put_px[n] > 0.0 and a_v < args.put_px[n] + c:
        a_v = args.put_px[n] + c
        a_u = a_v
    kappa = args.kappa
    b = args.accrued_conv * acc + kc
    d_n = args.divadd[n]
    convertible = args.conv_ok[n] > 0.0 and kappa > 0.0
    sig = args.svol[n - 1] * math.sqrt(args.dt)
    mu = args.smu[n - 1]
    growth = math.exp(mu * args.dt)
    s_lo = args.x0 * math.exp(args.lnbase[n - 1])
    strike = (a_v - b) / kappa - d_n if convertible else np.inf
    for j in range(n):
        x = s_lo * pw[j]
        if not convertible:
            ev, eu = a_v, a_u
        elif strike <= 0.0:
            ev, eu = kappa * (x * growth + d_n) + b, kc
        else:
            d1 = (math.log(x / strike) + mu * args.dt) / sig + 0.5 * sig
            n1 = _norm_cdf(d1)
            n2 = _norm_cdf(d1 - sig)
            ev = a_v * (1.0 - n2) + kappa * (x * growth * n1 + d_n * n2) + b * n2
            eu = a_u * (1.0 - n2) + kc * n2
        v[j] = ev
        u[j] = eu
    return True


_CUT = 8.5  # |d| beyond which N(d) is 0 or 1 to within 1e-17


@njit(cache=True, error_model="numpy")
def _window_closed_form(
    m, s_lo, pw, lnratio, vol, mu, tau, d_e, kappa, b_e, cash_e, conv_mult, cash_pay, out_v,
    out_u,
):
    """Smoothing of the election window: the called note's expected payoff at the window's end
    for nodes 0..m-1 of the call's step, with the stock lognormal over the window's exact
    length ``tau`` (vol, drift ``mu``): the holder takes κ(S + d_e) + b_e (times
    ``conv_mult``) where it beats ``cash_e``, else ``cash_pay``; ``kappa`` 0: no conversion at
    the window's end. Into out_v; the cash part (``tf``) into out_u. Black–Scholes with
    strike (cash_e − b_e)/κ − d_e on the escrowed stock, evaluated only on the band of nodes
    where N(d) is neither 0 nor 1 (|d| < 8.5); below it the holder takes the cash, above it
    the shares (node j's price is s_lo·e^{j·lnratio})."""
    if kappa <= 0.0:
        for j in range(m):
            out_v[j] = cash_pay
            out_u[j] = cash_pay
        return
    strike = (cash_e - b_e) / kappa - d_e
    growth = math.exp(mu * tau)
    sig = vol * math.sqrt(tau)
    if strike <= 0.0 or sig <= 0.0:
        j_lo = j_hi = 0
        if strike > 0.0:  # no volatility over the window: the forward decides
            while j_hi < m and s_lo * pw[j_hi] * growth <= strike:
                j_hi += 1
            j_lo = j_hi
    else:
        shift = mu * tau
        x_lo = math.log(strike / s_lo) - _CUT * sig - shift - 0.5 * sig * sig
        x_hi = math.log(strike / s_lo) + _CUT * sig - shift + 0.5 * sig * sig
        j_lo = min(max(int(math.floor(x_lo / lnratio)), 0), m)
        j_hi = min(max(int(math.ceil(x_hi / lnratio)) + 1, j_lo), m)
    for j in range(j_lo):
        out_v[j] = cash_pay
        out_u[j] = cash_pay
    # d1 at node j: (log(s_lo / strike) + j·lnratio + mu·tau) / sig + sig / 2, one log per step
    d_base = (math.log(s_lo / strike) + mu * tau) / sig + 0.5 * sig
    d_step = lnratio / sig
    for j in range(j_lo, j_hi):
        x = s_lo * pw[j]
        d1 = d_base + j * d_step
        n1 = _norm_cdf(d1)
        n2 = _norm_cdf(d1 - sig)
        out_v[j] = cash_pay * (1.0 - n2) + conv_mult * (
            kappa * (x * growth * n1 + d_e * n2) + b_e * n2
        )
        out_u[j] = cash_pay * (1.0 - n2)
    for j in range(j_hi, m):
        out_v[j] = conv_mult * (kappa * (s_lo * pw[j] * growth + d_e) + b_e)
        out_u[j] = 0.0
