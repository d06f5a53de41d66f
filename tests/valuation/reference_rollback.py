"""The node-by-node form of the ``tf``/``hazard`` rollback: the reference that
``pipedeal.valuation.lattice.rollback_tfhz`` (vectorized passes, banded window dot products)
reproduces to the bit. Slow (no vectorizing, the window's weights allocated per step), so it
lives here, not in the package: ``general_form_value`` runs it on a ``setup(...).args``.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from pipedeal.valuation.lattice.kernel import KernelArgs


@njit
def _binom_weights(w, p):
    out = np.empty(w + 1)
    c = 1.0
    for k in range(w + 1):
        out[k] = c * p**k * (1.0 - p) ** (w - k)
        c = c * (w - k) / (k + 1)
    return out


@njit
def general_step(i, args, pw, v, u, cum, pay_v, pay_u):
    """Step i of ``tfhz_rollback`` node by node, in place: the rollback from step i + 1 unless
    i = n, then the events, with the holder's election window after a call (``args``: the
    ``KernelArgs``)."""
    model, n, dt, x0, lnbase = args.model, args.n, args.dt, args.x0, args.lnbase
    pu, rr, spread, pdef, eta = args.pu, args.rr, args.spread, args.pdef, args.eta
    recovery_value, kappa, redemption = args.recovery_value, args.kappa, args.redemption
    accrued_conv, cpn_conv, window = args.accrued_conv, args.cpn_conv, args.window
    call_cash, cpn, accrued, conv_ok = args.call_cash, args.cpn, args.accrued, args.conv_ok
    call_px, call_trig, put_px, divadd = args.call_px, args.call_trig, args.put_px, args.divadd
    if i < n:
        p = pu[i]
        q = 1.0 - p
        if model == 1:
            dr = math.exp(-rr[i] * dt)
            dc = math.exp(-(rr[i] + spread[i]) * dt)
            for j in range(i + 1):
                nu = dc * (q * u[j] + p * u[j + 1])
                v[j] = dr * (q * (v[j] - u[j]) + p * (v[j + 1] - u[j + 1])) + nu
                u[j] = nu
        else:
            dr = math.exp(-rr[i] * dt)
            s_lo = x0 * math.exp(lnbase[i])
            for j in range(i + 1):
                s = s_lo * pw[j] + divadd[i]
                dflt = max(kappa * s * (1.0 - eta), recovery_value)
                v[j] = dr * ((1.0 - pdef[i]) * (q * v[j] + p * v[j + 1]) + pdef[i] * dflt)
    # events at step i
    has_call = call_px[i] < np.inf
    convertible = conv_ok[i] > 0.0
    kc = cpn[i] if (i < n or cpn_conv > 0.0) else 0.0  # coupon kept on conversion
    e = min(i + window, n)
    w = e - i
    if has_call and w > 0:
        wts = _binom_weights(w, pu[i])
        r_w = 0.0
        s_w = 0.0
        surv = 1.0
        for k in range(i, e):
            r_w += rr[k] * dt
            s_w += spread[k] * dt
            surv *= 1.0 - pdef[k]
        d_r = math.exp(-r_w)
        d_c = math.exp(-r_w - s_w)
        cash_e = call_px[i] + accrued[e] + (cum[e] - cum[i])
        if e == n:
            cash_e = max(cash_e, redemption + cpn[n])
        # payoff at the window's end, per node of step e, discounted to step i
        conv_at_end = conv_ok[e] > 0.0
        se_lo = x0 * math.exp(lnbase[e])
        for jj in range(e + 1):
            se = se_lo * pw[jj] + divadd[e]
            conv = kappa * se + accrued_conv * accrued[e] + (cum[e] - cum[i])
            if conv_at_end and conv > cash_e:
                pay_v[jj] = conv * (d_r if model == 1 else d_r * surv)
                pay_u[jj] = 0.0
            elif model == 1:
                pay_v[jj] = cash_e * d_c
                pay_u[jj] = cash_e * d_c
            else:
                pay_v[jj] = cash_e * d_r * surv
                pay_u[jj] = 0.0
    s_lo = x0 * math.exp(lnbase[i])
    for j in range(i + 1):
        s = s_lo * pw[j] + divadd[i]
        val = v[j] + cpn[i]
        cash_part = u[j] + cpn[i]
        if has_call and (call_trig[i] < 0.0 or s >= call_trig[i]):
            if w == 0:
                cash = call_px[i] + accrued[i] + cpn[i]
                conv = kappa * s + accrued_conv * accrued[i] + kc
                if convertible and conv > cash:
                    called, called_u = conv, cpn[i]
                else:
                    called, called_u = cash, cash
            else:
                ev = 0.0
                eu = 0.0
                for k in range(w + 1):
                    ev += wts[k] * pay_v[j + k]
                    eu += wts[k] * pay_u[j + k]
                if model == 2:
                    dflt = max(kappa * s * (1.0 - eta), recovery_value)
                    ev += (1.0 - surv) * d_r * dflt
                called = ev + cpn[i]
                called_u = eu + cpn[i]
            if called < val:
                val = called
                cash_part = called_u if (call_cash > 0.0 or w > 0) else 0.0
        if put_px[i] > 0.0 and val < put_px[i] + cpn[i]:
            val = put_px[i] + cpn[i]
            cash_part = val
        if convertible:
            conv = kappa * s + accrued_conv * accrued[i] + kc
            if val <= conv:
                val = conv
                cash_part = cpn[i] if (i < n or cpn_conv > 0.0) else 0.0
        v[j] = val
        u[j] = cash_part


def general_form_value(args: KernelArgs) -> float:
    """The tf/hazard rollback with ``general_step`` at every step."""
    n = args.n
    ratio = math.exp(args.lnratio)
    pw, cum = np.empty(n + 2), np.empty(n + 2)
    acc_pw, acc_c = 1.0, 0.0
    for j in range(n + 1):
        pw[j] = acc_pw
        acc_pw *= ratio
        acc_c += args.cpn[j]
        cum[j] = acc_c
    v = np.full(n + 2, args.redemption)
    u = np.full(n + 2, args.redemption if args.model == 1 else 0.0)
    pay_v, pay_u = np.empty(n + 2), np.empty(n + 2)
    for i in range(n, -1, -1):
        general_step(i, args, pw, v, u, cum, pay_v, pay_u)
    return float(v[0])
