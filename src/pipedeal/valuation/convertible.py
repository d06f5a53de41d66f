"""Convertible notes on binomial lattices: the contract as times and cash amounts, the named
models, and the compiled backward induction (``lattice_kernel``, which runs ``_ql_rollback`` or,
for ``tf``/``hazard``/``hull``, ``_tfhz_rollback``; both one vectorized pass over the nodes per
step wherever the step allows).

Models (``--model``):

``tf``
    Tsiveriotis–Fernandes (1998) as in Ayache–Forsyth–Vetzal (AFV) 2003: the note is split into a
    cash-only part U, discounted at r + credit spread, and the rest V − U (equity-like),
    discounted at r. Conversion sets U = 0; a put or a call paid in cash sets U to the cash paid.
``hazard``
    AFV's hedge model: default arrives with intensity λ (``hazard``, or credit spread /
    (1 − recovery)); the stock drifts at r − q + ηλ and on default falls by the fraction η
    (``eta`` 1: to zero, 0: unaffected); the holder then gets max(κS(1 − η), R·face).
``hull``
    Hull's defaultable-equity tree (OFOD, "Convertible Bonds"): the ``hazard`` model with η = 1 on
    Hull's tree u = exp(sqrt((σ² − λ)Δt)).
``ql``
    QuantLib's ``BinomialConvertibleEngine`` reproduced step for step: one value per node,
    discounted at the blend r + (1 − p)·spread of the backward-induced conversion probability p,
    with simple-interest step discounting 1/(1 + rate·Δt), QuantLib's order of call, put, coupon
    and conversion at a node, and QuantLib's mapping of dates to the nearest grid time. No
    election window (QuantLib has none) and no accrued interest on conversion.

Contract features (all models but ``ql`` as noted): coupons on their payment dates with accrued
interest between them; American conversion in a window of times (accrued interest convertible
when the terms say so); issuer calls in windows at a clean price plus accrued, optionally with a
soft-call trigger; the holder's election window after a call (``notice_years``): the called note
is worth the better of cash and conversion at the END of the window, valued as a European option
over the window's steps (not as an instantaneous choice); puts; redemption at maturity; discrete
cash dividends (escrowed: the tree carries S minus the present value of dividends to come and
conversion sees the tree price plus that value, as QuantLib does); per-step risk-free rates.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np
from numba import njit

from pipedeal.errors import UserError
from pipedeal.valuation.trees import build_tree

MODELS = ("tf", "hazard", "hull", "ql")
_MODEL_CODE = {"ql": 0, "tf": 1, "hazard": 2, "hull": 2}
# TF model: what the cash-only part becomes where the issuer's call binds. "afv": zero, as in
# AFV 2003's TF constraints (reproduces their Table 2/4); "cash": the cash the holder takes.
# With an election window (notice_years > 0) the called note is valued as an option over the
# window and its cash leg is always the cash component ("afv" applies to instant calls only).
TF_CALL_RULES = ("afv", "cash")
DEFAULT_TREE = {"tf": "crr", "hazard": "crr", "hull": "hull", "ql": "crr"}


# --- the contract in model time (years from the valuation or settlement date) -----------------


@dataclass(frozen=True)
class Coupon:
    pay: float  # payment time
    amount: float  # cash paid
    accrual_start: float
    accrual_end: float


@dataclass(frozen=True)
class Call:
    """Issuer call at ``price`` from ``start`` to ``end`` (equal: one date). Clean prices get the
    accrued interest added; ``trigger``: only when the stock is at or above this (soft call)."""

    start: float
    end: float
    price: float
    clean: bool = True
    trigger: float | None = None


@dataclass(frozen=True)
class Put:
    time: float
    price: float
    clean: bool = True


@dataclass(frozen=True)
class Dividend:
    time: float
    amount: float
    discount_time: float | None = None  # time from the curve's reference date, if different


@dataclass(frozen=True)
class ConvertibleSpec:
    maturity: float
    conversion_ratio: float  # shares per note (per ``face``)
    face: float = 100.0
    redemption: float | None = None  # paid at maturity; default face
    coupons: tuple[Coupon, ...] = ()
    calls: tuple[Call, ...] = ()
    puts: tuple[Put, ...] = ()
    conversion_start: float = 0.0
    conversion_end: float | None = None  # default maturity
    accrued_convertible: bool = False
    notice_years: float = 0.0  # holder's election window after a call
    # A holder converting on a payment date before maturity keeps that day's coupon. At maturity
    # the holder takes either redemption plus the last coupon or the shares: False (default, as
    # in AFV 2003) V(T) = max(κS, redemption + coupon); True: κS + coupon. ``ql`` mode follows
    # QuantLib (coupon added before the conversion test) whatever this says.
    final_coupon_on_conversion: bool = False
    # discrete calls as arrays (times, dirty prices): the fast path for many daily call dates
    call_schedule: tuple[np.ndarray, np.ndarray] | None = field(default=None, compare=False)

    @property
    def redemption_amount(self) -> float:
        return self.face if self.redemption is None else self.redemption

    def accrued(self, t: float) -> float:
        for c in self.coupons:
            if c.accrual_start <= t < c.accrual_end:
                return c.amount * (t - c.accrual_start) / (c.accrual_end - c.accrual_start)
        return 0.0

    def shifted(self, years: float) -> ConvertibleSpec:
        """The same contract seen ``years`` later (for theta): every time moves back."""
        s = years
        end = None if self.conversion_end is None else self.conversion_end - s
        return replace(
            self,
            maturity=self.maturity - s,
            coupons=tuple(
                Coupon(c.pay - s, c.amount, c.accrual_start - s, c.accrual_end - s)
                for c in self.coupons
            ),
            calls=tuple(replace(c, start=c.start - s, end=c.end - s) for c in self.calls),
            puts=tuple(replace(p, time=p.time - s) for p in self.puts),
            conversion_start=self.conversion_start - s,
            conversion_end=end,
        )


@dataclass(frozen=True)
class MarketInputs:
    spot: float
    vol: float
    rate: float  # continuous, flat unless ``rate_curve`` is given
    dividend_yield: float = 0.0
    credit_spread: float = 0.0
    recovery: float = 0.0
    hazard: float | None = None  # default credit_spread / (1 - recovery)
    eta: float = 1.0  # fraction the stock falls on default
    dividends: tuple[Dividend, ...] = ()
    rate_curve: tuple[tuple[float, float], ...] = ()  # (time, continuous zero rate) pillars

    @property
    def intensity(self) -> float:
        if self.hazard is not None:
            return self.hazard
        return self.credit_spread / (1.0 - self.recovery)

    def zero_rate(self, t: float) -> float:
        if not self.rate_curve:
            return self.rate
        ts = np.array([p[0] for p in self.rate_curve])
        zs = np.array([p[1] for p in self.rate_curve])
        return float(np.interp(t, ts, zs))

    def discount(self, t: float) -> float:
        return math.exp(-self.zero_rate(t) * t)


def validate(spec: ConvertibleSpec, mkt: MarketInputs) -> None:
    checks = [
        (spec.maturity > 0, "maturity: must be after the valuation date"),
        (mkt.spot > 0, f"spot: must be positive, got {mkt.spot}"),
        (mkt.vol > 0, f"volatility: must be positive, got {mkt.vol}"),
        (spec.conversion_ratio >= 0, "conversion ratio: must not be negative"),
        (spec.face > 0, "face: must be positive"),
        (0 <= mkt.recovery < 1, f"recovery: must be in [0, 1), got {mkt.recovery}"),
        (mkt.credit_spread >= 0, f"credit spread: must not be negative, got {mkt.credit_spread}"),
        (0 <= mkt.eta <= 1, f"eta: must be in [0, 1], got {mkt.eta}"),
        (spec.notice_years >= 0, "notice window: must not be negative"),
    ]
    for ok, message in checks:
        if not ok or any(
            isinstance(v, float) and not math.isfinite(v)
            for v in (mkt.spot, mkt.vol, mkt.rate, mkt.credit_spread)
        ):
            raise UserError(message if not ok else "market inputs: must be finite numbers")


# --- mapping the contract onto a grid ----------------------------------------------------------


@njit(cache=True)
def _fill_accrued(times, sidx, pidx, a0, a1, amt, accrued):
    for k in range(sidx.shape[0]):
        span = a1[k] - a0[k]
        for i in range(sidx[k], pidx[k]):
            frac = (times[i] - a0[k]) / span
            accrued[i] = amt[k] * min(max(frac, 0.0), 1.0)


def closest_indices(times: np.ndarray, ts: np.ndarray) -> np.ndarray:
    """``closest_index`` for many times at once."""
    n = times.shape[0]
    k = np.searchsorted(times, ts, side="left")
    kc = np.clip(k, 1, n - 1)
    upper = (times[kc] - ts) < (ts - times[kc - 1])
    out = np.where(upper, kc, kc - 1)
    out = np.where(k == 0, 0, out)
    return np.where(k == n, n - 1, out)


def closest_index(times: np.ndarray, t: float) -> int:
    """QuantLib's ``TimeGrid::closestIndex``: nearest grid time, ties to the earlier one."""
    n = times.shape[0]
    k = int(np.searchsorted(times, t, side="left"))
    if k == 0:
        return 0
    if k == n:
        return n - 1
    return k if (times[k] - t) < (t - times[k - 1]) else k - 1


@dataclass
class GridInputs:
    """Per-step arrays for the kernel (length steps + 1)."""

    cpn: np.ndarray
    accrued: np.ndarray
    conv_ok: np.ndarray
    call_px: np.ndarray  # clean (tf/hazard) or dirty (ql); +inf where no call
    call_trig: np.ndarray  # -1 where no trigger
    put_px: np.ndarray  # dirty; 0 where no put
    divadd: np.ndarray  # PV at step i of dividends still to come (escrowed model)
    x0: float  # spot less the PV of dividends
    extras: dict = field(default_factory=dict)


def grid_inputs(spec: ConvertibleSpec, mkt: MarketInputs, steps: int, ql: bool) -> GridInputs:
    n = steps
    T = spec.maturity
    times = np.arange(n + 1) * (T / n)  # QuantLib's TimeGrid(end, steps): dt·i
    cpn = np.zeros(n + 1)
    accrued = np.zeros(n + 1)
    conv_ok = np.zeros(n + 1)
    call_px = np.full(n + 1, np.inf)
    call_trig = np.full(n + 1, -1.0)
    put_px = np.zeros(n + 1)
    divadd = np.zeros(n + 1)
    if spec.coupons:
        pay = np.array([c.pay for c in spec.coupons])
        amt = np.array([c.amount for c in spec.coupons])
        a0 = np.array([c.accrual_start for c in spec.coupons])
        a1 = np.array([c.accrual_end for c in spec.coupons])
        live = pay > 1e-12
        pidx = closest_indices(times, pay)
        paid = live & (pay <= T + 1e-12)
        np.add.at(cpn, pidx[paid], amt[paid])
        # accrued interest per step, consistent with the steps the coupons were moved to: the
        # coupon paid at step p accrues over [its start step, p) and is zero again at p
        sidx = closest_indices(times, np.maximum(a0, 0.0))
        ok = live & (a1 > a0)
        _fill_accrued(times, sidx[ok], pidx[ok], a0[ok], a1[ok], amt[ok], accrued)
    c0 = times[closest_index(times, spec.conversion_start)]
    c1 = times[closest_index(times, T if spec.conversion_end is None else spec.conversion_end)]
    conv_ok[(times >= c0) & (times <= c1)] = 1.0
    if ql:
        # QuantLib tests the window with the asset's time, which at maturity is T itself, not
        # the grid's (T/n)·n: when that product rounds below T, QuantLib loses conversion at
        # maturity. Copied so that ``ql`` stays number-for-number.
        conv_ok[n] = 1.0 if c0 <= T <= c1 else 0.0
    if spec.conversion_ratio == 0:
        conv_ok[:] = 0.0
    for c in spec.calls:
        if c.end < -1e-12:
            continue
        i0 = closest_index(times, max(c.start, 0.0))
        i1 = closest_index(times, c.end)
        for i in range(i0, i1 + 1):
            price = c.price
            if ql and c.clean:
                price += accrued[i]
            elif not ql and not c.clean:
                price -= accrued[i]  # the kernel adds accrued at the settlement step
            if price < call_px[i]:
                call_px[i] = price
                call_trig[i] = -1.0 if c.trigger is None else c.trigger
    if spec.call_schedule is not None:
        ct, cpx = spec.call_schedule
        keep = ct >= -1e-12
        if np.any(keep):
            idx = closest_indices(times, ct[keep])
            np.minimum.at(call_px, idx, cpx[keep])
    for p in spec.puts:
        if p.time < -1e-12:
            continue
        i = closest_index(times, p.time)
        price = p.price + (accrued[i] if p.clean else 0.0)
        put_px[i] = max(put_px[i], price)
    x0 = mkt.spot
    r = mkt.zero_rate(T)
    for d in mkt.dividends:
        if d.time <= 1e-12:
            continue
        td = d.time if d.discount_time is None else d.discount_time
        x0 -= d.amount * mkt.discount(td)
        tg = times[closest_index(times, d.time)]
        ahead = (tg >= times) | (np.abs(tg - times) < 1e-12)
        divadd[ahead] += d.amount * math.exp(-r * tg) / np.exp(-r * times[ahead])
    if x0 <= 0:
        raise UserError("dividends: their present value exceeds the spot price")
    return GridInputs(cpn, accrued, conv_ok, call_px, call_trig, put_px, divadd, x0)


# --- the kernel --------------------------------------------------------------------------------


@njit(cache=True)
def _binom_weights(w, p):
    out = np.empty(w + 1)
    c = 1.0
    for k in range(w + 1):
        out[k] = c * p**k * (1.0 - p) ** (w - k)
        c = c * (w - k) / (k + 1)
    return out


@njit(cache=True)
def lattice_kernel(
    model,
    n,
    dt,
    x0,
    lnbase,
    lnratio,
    pu,
    rr,
    spread,
    pdef,
    eta,
    recovery_value,
    kappa,
    redemption,
    accrued_conv,
    cpn_conv,
    window,
    call_cash,
    cpn,
    accrued,
    conv_ok,
    call_px,
    call_trig,
    put_px,
    divadd,
    early,
):
    """Backward induction over a recombining binomial lattice; returns the value at the root.

    ``early`` (length 3) receives the values at the three nodes of step 2, for tree Greeks.

    model 0 = ql, 1 = tf, 2 = hazard. ``rr[i]``: continuous risk-free rate over step i→i+1
    (``ql`` uses rr[0] as its flat rate); ``pdef``: default probability per step (hazard).
    """
    if model == 0:
        return _ql_rollback(
            n,
            dt,
            x0,
            lnbase,
            math.exp(lnratio),
            pu,
            rr[0],
            spread,
            kappa,
            redemption,
            cpn,
            conv_ok,
            call_px,
            call_trig,
            put_px,
            divadd,
            early,
            np.empty((QL_WORK_ROWS, work_width(n))),
        )
    return _tfhz_rollback(
        model,
        n,
        dt,
        x0,
        lnbase,
        math.exp(lnratio),
        pu,
        rr,
        spread,
        pdef,
        eta,
        recovery_value,
        kappa,
        redemption,
        accrued_conv,
        cpn_conv,
        window,
        call_cash,
        cpn,
        accrued,
        conv_ok,
        call_px,
        call_trig,
        put_px,
        divadd,
        early,
        np.empty((WORK_ROWS, n + 2)),
    )


WORK_ROWS = 9  # scratch rows _tfhz_rollback needs (_ql_rollback: QL_WORK_ROWS), each n + 2 long


@njit(cache=True, error_model="numpy")
def _tfhz_rollback(
    model,
    n,
    dt,
    x0,
    lnbase,
    ratio,
    pu,
    rr,
    spread,
    pdef,
    eta,
    recovery_value,
    kappa,
    redemption,
    accrued_conv,
    cpn_conv,
    window,
    call_cash,
    cpn,
    accrued,
    conv_ok,
    call_px,
    call_trig,
    put_px,
    divadd,
    early,
    work,
):
    """The ``tf`` (model 1) and ``hazard`` (model 2) rollbacks; ``work``: at least
    ``WORK_ROWS`` × (n + 1) scratch (reused across notes by the batch pricer).

    A step without an election window in progress (no call at the step, or ``window`` 0) is one
    fused pass over the nodes: the expectation (and, for ``hazard``, default) of the next step,
    then the step's call, put and conversion, written as selects with per-step constants
    (an absent call is a cash price of +inf, an absent put or conversion a bound of −inf, a
    call without a trigger a trigger of −inf), double-buffered, so LLVM vectorizes it. The
    arithmetic is the general form's, operation for operation (no ``fastmath``), so values
    are the same to the bit. A step with a call and the holder's election window is the same
    in four passes: the window's binomial weights (into scratch), its end payoff per node
    (``_window_payoff``), the called value per node as a dot product of the weights with that
    row, k outside and nodes inside (``_window_dot``), then the step's pass with the called
    value read from that row (``_tf_window_pass``, ``_hazard_window_pass``). Maturity takes
    the general node-by-node form (``_tfhz_general_step``)."""
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
    opd = 1.0 - pdef
    ome = 1.0 - eta
    r_last = np.nan
    dr = dc = 1.0
    for i in range(n, -1, -1):
        w = min(i + window, n) - i
        if i == n:
            _tfhz_general_step(
                i,
                model,
                n,
                dt,
                x0,
                lnbase,
                ratio,
                pu,
                rr,
                spread,
                pdef,
                eta,
                recovery_value,
                kappa,
                redemption,
                accrued_conv,
                cpn_conv,
                window,
                call_cash,
                cpn,
                accrued,
                conv_ok,
                call_px,
                call_trig,
                put_px,
                divadd,
                pw,
                v,
                u,
                cum,
                pay_v,
                pay_u,
            )
        else:
            p = pu[i]
            q = 1.0 - p
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
            if rr[i] != r_last:  # flat rates: the same factors as the step before, to the bit
                r_last = rr[i]
                dr = math.exp(-r_last * dt)
                dc = math.exp(-(r_last + spread) * dt)
            if call_px[i] < np.inf and w > 0:
                # a call with the holder's election window: the called value at each node is the
                # window's end payoff under the binomial weights (into v2, u2), then the step
                e = i + w
                _binom_weights_into(w, p, wts)
                r_w = 0.0
                for k in range(i, e):
                    r_w += rr[k] * dt
                d_r = math.exp(-r_w)
                d_c = math.exp(-r_w - spread * (w * dt))
                surv = (1.0 - pdef) ** w
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
                lo, hi = _window_payoff(
                    e,
                    x0 * math.exp(lnbase[e]),
                    pw,
                    divadd[e],
                    kappa,
                    accrued_conv * accrued[e],
                    cdiff,
                    conv_ok[e] > 0.0,
                    cash_e,
                    conv_mult,
                    cash_pay,
                    pay_v,
                    pay_u,
                )
                # nodes j < a see cash at every end node (the same sum for all of them), nodes
                # j >= b conversion at every one (no cash part): the dot products run only where
                # they differ, with the same terms in the same order, so the same bits
                m = i + 1
                a = min(max(lo - w, 0), m)
                b = min(max(hi + 1, a), m)
                cash_sum = 0.0
                for k in range(w + 1):
                    cash_sum += wts[k] * cash_pay
                _window_fill(a, cash_sum, v2)
                _window_dot(m - a, w, wts, pay_v[a:], v2[a:])
                if model == 1:
                    _window_fill(a, cash_sum, u2)
                    _window_dot(b - a, w, wts, pay_u[a:], u2[a:])
                    _window_fill(m - b, 0.0, u2[b:])
                    _tf_window_pass(
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
                )
            v, v2 = v2, v
        if i == 2:
            for j in range(3):
                early[j] = v[j]
    return v[0]


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
    """One ``tf`` step of ``_tfhz_rollback`` without an election window: nodes 0..i of step i
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
    """One ``hazard`` step of ``_tfhz_rollback`` without an election window, as ``_tf_pass``."""
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
    ``_window_dot``), overwritten with the step's values. The arithmetic is
    ``_tfhz_general_step``'s, operation for operation."""
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


@njit(cache=True)
def _binom_weights_into(w, p, out):
    """``_binom_weights`` into ``out[:w + 1]`` (the same arithmetic, no allocation)."""
    c = 1.0
    for k in range(w + 1):
        out[k] = c * p**k * (1.0 - p) ** (w - k)
        c = c * (w - k) / (k + 1)


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
def _tfhz_general_step(
    i,
    model,
    n,
    dt,
    x0,
    lnbase,
    ratio,
    pu,
    rr,
    spread,
    pdef,
    eta,
    recovery_value,
    kappa,
    redemption,
    accrued_conv,
    cpn_conv,
    window,
    call_cash,
    cpn,
    accrued,
    conv_ok,
    call_px,
    call_trig,
    put_px,
    divadd,
    pw,
    v,
    u,
    cum,
    pay_v,
    pay_u,
):
    """Step i of ``_tfhz_rollback`` node by node, in place (rollback from step i + 1 unless
    i = n, then the events, with the holder's election window after a call). The rollback
    calls it at maturity only; every other step takes the vectorized passes, whose arithmetic
    is this form's (the windowed branch here is their reference, kept for reading)."""
    if i < n:
        p = pu[i]
        q = 1.0 - p
        if model == 1:
            dr = math.exp(-rr[i] * dt)
            dc = math.exp(-(rr[i] + spread) * dt)
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
                v[j] = dr * ((1.0 - pdef) * (q * v[j] + p * v[j + 1]) + pdef * dflt)
    # events at step i
    has_call = call_px[i] < np.inf
    convertible = conv_ok[i] > 0.0
    kc = cpn[i] if (i < n or cpn_conv > 0.0) else 0.0  # coupon kept on conversion
    e = min(i + window, n)
    w = e - i
    if has_call and w > 0:
        wts = _binom_weights(w, pu[i])
        tau = w * dt
        r_w = 0.0
        for k in range(i, e):
            r_w += rr[k] * dt
        d_r = math.exp(-r_w)
        d_c = math.exp(-r_w - spread * tau)
        surv = (1.0 - pdef) ** w
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


QL_WORK_ROWS = 7  # scratch rows _ql_rollback needs, each at least steps + 2 long
TINY = 1e-30  # conversion probabilities below this are zero (no subnormal arithmetic)


@njit(cache=True)
def work_width(n):
    """Row length of ``_ql_rollback``'s scratch for n steps: at least n + 2, and 832 bytes past
    a multiple of 4 KiB, so that the rows a pass reads and the rows it writes never sit at
    the same offset within a page (4K aliasing stalls loads behind unrelated stores)."""
    return 512 * max(0, -(-(n + 2 - 104) // 512)) + 104


@njit(cache=True, error_model="numpy", fastmath={"contract"})
def _ql_rollback(
    n,
    dt,
    x0,
    lnbase,
    ratio,
    pu,
    r0,
    spread,
    kappa,
    redemption,
    cpn,
    conv_ok,
    call_px,
    call_trig,
    put_px,
    divadd,
    early,
    work,
):
    """QuantLib's ``TsiveriotisFernandesLattice`` rollback with
    ``DiscretizedConvertible::postAdjustValuesImpl`` (call, put, coupon, conversion) applied at
    each step. ``work``: at least ``QL_WORK_ROWS`` × (n + 2) scratch (reused across notes).

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


# --- the Python face ---------------------------------------------------------------------------


@dataclass(frozen=True)
class LatticeSetup:
    """Everything the kernel needs, as arrays; built once per (contract, market, model)."""

    args: tuple
    model: str
    tree: str
    steps: int


def setup(
    spec: ConvertibleSpec,
    mkt: MarketInputs,
    *,
    model: str = "tf",
    steps: int = 500,
    tree: str | None = None,
    tf_call: str = "afv",
    grid_fn=None,
) -> LatticeSetup:
    """Kernel arguments for one note. ``grid_fn(steps, ql) -> GridInputs`` may replace
    ``grid_inputs`` (the batch pricer builds the per-step arrays of CSV notes in numba)."""
    if model not in MODELS:
        raise UserError(f"model: unknown model {model!r} (use {', '.join(MODELS)})")
    if tf_call not in TF_CALL_RULES:
        raise UserError(f"tf_call: unknown rule {tf_call!r} (use {', '.join(TF_CALL_RULES)})")
    validate(spec, mkt)
    tree = tree or DEFAULT_TREE[model]
    if model == "hull":
        tree = "hull"
    ql = model == "ql"
    if tree == "lr" and not ql and steps % 2 == 0:
        steps += 1  # Leisen–Reimer needs an odd step count (``ql`` copies QuantLib instead)
    g = grid_inputs(spec, mkt, steps, ql) if grid_fn is None else grid_fn(steps, ql)
    T = spec.maturity
    dt = T / steps
    lam = mkt.intensity if model in ("hazard", "hull") else 0.0
    eta = 1.0 if model == "hull" else mkt.eta
    if ql or not mkt.rate_curve:
        rr = np.full(steps, mkt.zero_rate(T))
    else:
        mids = np.array([(i + 0.5) * dt for i in range(steps)])
        ends = np.array([(i + 1) * dt for i in range(steps + 1)])
        disc = np.array([mkt.discount(t) for t in np.concatenate(([0.0], ends[:-1]))])
        rr = -np.diff(np.log(disc)) / dt
        del mids
    drift = rr - mkt.dividend_yield + (eta * lam if model != "hull" else lam)
    param_steps = steps
    if ql and tree == "lr" and steps % 2 == 0:
        param_steps = steps + 1  # QuantLib's LR tree uses steps + 1, its lattice keeps steps
    strike = spec.redemption_amount / spec.conversion_ratio if spec.conversion_ratio else 1.0
    tr = build_tree(
        tree, steps, T, mkt.vol, drift, x0=g.x0, strike=strike, hazard=lam, param_steps=param_steps
    )
    lnbase = tr.lnbase
    lnratio = tr.lnratio
    if ql and tree == "lr" and param_steps != steps:
        # QuantLib keeps the odd tree's nodes but walks them on the even lattice
        tr_odd = build_tree(tree, param_steps, T, mkt.vol, drift[0], x0=g.x0, strike=strike)
        lnbase = tr_odd.lnbase[: steps + 1]
        lnratio = tr_odd.lnratio
    pdef = 1.0 - math.exp(-lam * dt)
    window = int(round(spec.notice_years / dt)) if not ql else 0
    args = (
        _MODEL_CODE[model],
        steps,
        dt,
        g.x0,
        lnbase,
        lnratio,
        tr.pu,
        rr,
        mkt.credit_spread,
        pdef,
        eta,
        mkt.recovery * spec.face,
        spec.conversion_ratio,
        spec.redemption_amount,
        1.0 if spec.accrued_convertible else 0.0,
        1.0 if spec.final_coupon_on_conversion else 0.0,
        window,
        1.0 if tf_call == "cash" else 0.0,
        g.cpn,
        g.accrued,
        g.conv_ok,
        g.call_px,
        g.call_trig,
        g.put_px,
        g.divadd,
        np.zeros(3),  # early: the step-2 node values, for tree Greeks
    )
    return LatticeSetup(args, model, tree, steps)


def price(
    spec: ConvertibleSpec,
    mkt: MarketInputs,
    *,
    model: str = "tf",
    steps: int = 500,
    tree: str | None = None,
    tf_call: str = "afv",
    parity_average: bool = False,
) -> float:
    """Value of the note (same units as ``face``) at time 0 under ``model``.

    ``parity_average``: the mean of the values at ``steps`` and ``steps + 1``, which cancels the
    odd/even oscillation of binomial trees on notes with call and conversion boundaries.
    """
    if parity_average:
        return 0.5 * (
            price(spec, mkt, model=model, steps=steps, tree=tree, tf_call=tf_call)
            + price(spec, mkt, model=model, steps=steps + 1, tree=tree, tf_call=tf_call)
        )
    s = setup(spec, mkt, model=model, steps=steps, tree=tree, tf_call=tf_call)
    value = float(lattice_kernel(*s.args))
    if not math.isfinite(value):
        raise UserError("valuation: the lattice overflowed (INF); check the inputs")
    return value


BUMPS = {
    "spot_rel": 0.01,
    "vol": 0.01,
    "rate": 1e-4,
    "spread": 1e-4,
    "days": 1,
}


def greeks(
    spec: ConvertibleSpec,
    mkt: MarketInputs,
    *,
    model: str = "tf",
    steps: int = 500,
    tree: str | None = None,
    spot_greeks: str = "tree",
) -> dict[str, float]:
    """Value and Greeks.

    delta, gamma: ``spot_greeks="tree"`` (default) reads them off the lattice's three nodes at
    step 2 (one lattice, so no re-gridding noise; they are the Greeks at t = 2Δt); ``"bump"``
    uses central differences of spot ±1% instead. The others are bump-and-reprice, central:
    vega per 1.00 of vol (bump ±0.01); rho per 1.00 of rate (±1bp); credit_spread_sensitivity per
    1.00 of spread (±1bp; the hazard rate moves with it when it is derived from the spread;
    one-sided at a zero spread); theta: value one calendar day later minus value now, × 365.
    """
    if spot_greeks not in ("tree", "bump"):
        raise UserError(f"spot_greeks: use tree or bump, got {spot_greeks!r}")

    def v(sp=spec, m=mkt):
        return price(sp, m, model=model, steps=steps, tree=tree)

    s0 = setup(spec, mkt, model=model, steps=steps, tree=tree)
    base = float(lattice_kernel(*s0.args))
    if not math.isfinite(base):
        raise UserError("valuation: the lattice overflowed (INF); check the inputs")
    if spot_greeks == "tree" and s0.steps >= 2:
        a = s0.args
        x0, lnbase, lnratio, divadd, early = a[3], a[4], a[5], a[24], a[25]
        sn = [x0 * math.exp(lnbase[2] + j * lnratio) + divadd[2] for j in range(3)]
        d_lo = (early[1] - early[0]) / (sn[1] - sn[0])
        d_hi = (early[2] - early[1]) / (sn[2] - sn[1])
        delta = (early[2] - early[0]) / (sn[2] - sn[0])
        gamma = (d_hi - d_lo) / (0.5 * (sn[2] - sn[0]))
    else:
        h = BUMPS["spot_rel"] * mkt.spot
        up, dn = v(m=replace(mkt, spot=mkt.spot + h)), v(m=replace(mkt, spot=mkt.spot - h))
        delta = (up - dn) / (2 * h)
        gamma = (up - 2 * base + dn) / (h * h)
    dv = BUMPS["vol"]
    dr = BUMPS["rate"]
    ds = BUMPS["spread"]
    day = BUMPS["days"] / 365.0
    theta = (
        (v(sp=spec.shifted(day), m=_shift_market(mkt, day)) - base) / day
        if spec.maturity > 2 * day
        else float("nan")
    )
    return {
        "value": base,
        "delta": delta,
        "gamma": gamma,
        "vega": (v(m=replace(mkt, vol=mkt.vol + dv)) - v(m=replace(mkt, vol=mkt.vol - dv)))
        / (2 * dv),
        "theta": theta,
        "rho": (
            v(m=replace(mkt, rate=mkt.rate + dr, rate_curve=_bump_curve(mkt, dr)))
            - v(m=replace(mkt, rate=mkt.rate - dr, rate_curve=_bump_curve(mkt, -dr)))
        )
        / (2 * dr),
        "credit_spread_sensitivity": _spread_derivative(v, mkt, base, ds),
    }


def _spread_derivative(v, mkt: MarketInputs, base: float, h: float) -> float:
    up = v(m=_bump_spread(mkt, h))
    if mkt.credit_spread >= h:
        return (up - v(m=_bump_spread(mkt, -h))) / (2 * h)
    return (up - base) / h  # one-sided at a zero spread


def _bump_curve(mkt: MarketInputs, h: float) -> tuple[tuple[float, float], ...]:
    return tuple((t, z + h) for t, z in mkt.rate_curve)


def _bump_spread(mkt: MarketInputs, h: float) -> MarketInputs:
    spread = max(mkt.credit_spread + h, 0.0)
    hazard = None if mkt.hazard is None else max(mkt.hazard + h / (1.0 - mkt.recovery), 0.0)
    return replace(mkt, credit_spread=spread, hazard=hazard)


def _shift_market(mkt: MarketInputs, years: float) -> MarketInputs:
    return replace(
        mkt,
        dividends=tuple(
            Dividend(
                d.time - years,
                d.amount,
                None if d.discount_time is None else d.discount_time - years,
            )
            for d in mkt.dividends
        ),
    )
