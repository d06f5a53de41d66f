"""The PDE engine's convergence on a log-log plot: error against grid size N (time steps; space
nodes 2N) for a European convertible (exact reference: Black-Scholes), the AFV 2003 note
without its call (American conversion, a put, coupons) and with it (an instant call: the value
has a kink where the call price meets the conversion value, which moves with the accrued
interest and lies between nodes, so first order), and the Innovo Purchaser 1 note (daily calls
with a 3-business-day election window), all but the first against the PDE at 3,200. Writes an
SVG (no plotting library needed) and prints each curve's errors and fitted slope.

    python3 benchmarks/convergence.py [--out docs/pde-convergence.svg]
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipedeal.valuation import pde  # noqa: E402
from pipedeal.valuation.blackscholes import bs_price  # noqa: E402
from pipedeal.valuation.convertible import ConvertibleSpec, MarketInputs  # noqa: E402

LADDER = (25, 50, 100, 200, 400, 800)
REFERENCE = 3200
COLOURS = ("#1f77b4", "#ff7f0e", "#d62728", "#2ca02c")


def cases() -> list[tuple[str, ConvertibleSpec, MarketInputs, str, float | None]]:
    """(label, spec, market, model, exact value or None)."""
    from tests.valuation.test_reference_cases import AFV_MARKET, AFV_NOTE

    import pipedeal
    from pipedeal.valuation.dated import to_spec
    from pipedeal.valuation.deal import dated_note, market_inputs

    mkt = MarketInputs(spot=100.0, vol=0.30, rate=0.04)
    euro = ConvertibleSpec(maturity=2.0, conversion_ratio=1.0, conversion_start=2.0)
    exact = 100 * math.exp(-0.08) + bs_price(True, 100.0, 100.0, 2.0, 0.04, 0.0, 0.30)
    loaded = pipedeal.load_deal(ROOT / "examples" / "innovo-2004")
    day = loaded.market.as_of
    note, _ = dated_note(loaded.notes["Purchaser 1"], after=day)
    innovo = to_spec(note, day)
    return [
        ("European convertible (tf, exact)", euro, mkt, "tf", exact),
        ("AFV note without its call (hazard)", replace(AFV_NOTE, calls=()), AFV_MARKET, "hazard",
         None),
        ("AFV 2003 note (hazard, eta = 1)", AFV_NOTE, AFV_MARKET, "hazard", None),
        ("Innovo Purchaser 1 (hazard, window)", innovo, market_inputs(loaded.market, day),
         "hazard", None),
    ]


def errors() -> list[tuple[str, list[float], float]]:
    out = []
    for label, spec, mkt, model, exact in cases():
        per_100 = 100.0 / spec.face
        t0 = time.perf_counter()
        ref = exact if exact is not None else pde.price(spec, mkt, model=model, steps=REFERENCE)
        errs = [abs(pde.price(spec, mkt, model=model, steps=n) - ref) * per_100 for n in LADDER]
        slope = float(np.polyfit(np.log(LADDER[1:]), np.log(np.maximum(errs[1:], 1e-16)), 1)[0])
        print(f"{label}: reference {ref * per_100:.6f} per 100; errors "
              + " ".join(f"{n}:{e:.2e}" for n, e in zip(LADDER, errs, strict=True))
              + f"; fitted slope {slope:.2f} ({time.perf_counter() - t0:.1f} s)")
        out.append((label, errs, slope))
    return out


def svg(curves: list[tuple[str, list[float], float]]) -> str:
    """A log-log chart: N on x, |error| per 100 face on y, a slope −2 guide."""
    w, h, left, right, top, bottom = 680, 440, 70, 20, 40, 60
    xs = np.log10(LADDER)
    all_e = [e for _, errs, _ in curves for e in errs if e > 0]
    y_lo = math.floor(math.log10(min(all_e)))
    y_hi = math.ceil(math.log10(max(all_e)))
    x_lo, x_hi = math.log10(LADDER[0]) - 0.1, math.log10(LADDER[-1]) + 0.1

    def px(x: float) -> float:
        return left + (x - x_lo) / (x_hi - x_lo) * (w - left - right)

    def py(y: float) -> float:
        return top + (y_hi - y) / (y_hi - y_lo) * (h - top - bottom)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" '
        f'viewBox="0 0 {w} {h}" font-family="sans-serif" font-size="12">',
        f'<rect width="{w}" height="{h}" fill="white"/>',
        f'<text x="{w / 2}" y="20" text-anchor="middle" font-size="14">PDE engine: error '
        "against grid size (log-log)</text>",
        f'<line x1="{left}" y1="{py(y_lo)}" x2="{w - right}" y2="{py(y_lo)}" stroke="black"/>',
        f'<line x1="{left}" y1="{py(y_lo)}" x2="{left}" y2="{top}" stroke="black"/>',
        f'<text x="{(left + w - right) / 2}" y="{h - 15}" text-anchor="middle">N (time steps '
        "= space nodes)</text>",
        f'<text x="15" y="{(top + h - bottom) / 2}" text-anchor="middle" '
        f'transform="rotate(-90 15 {(top + h - bottom) / 2})">|error| per 100 face</text>',
    ]
    for n in LADDER:
        x = px(math.log10(n))
        parts.append(f'<line x1="{x}" y1="{py(y_lo)}" x2="{x}" y2="{py(y_lo) + 5}" '
                     'stroke="black"/>')
        parts.append(f'<text x="{x}" y="{py(y_lo) + 18}" text-anchor="middle">{n}</text>')
    for y in range(y_lo, y_hi + 1):
        parts.append(f'<line x1="{left - 5}" y1="{py(y)}" x2="{w - right}" y2="{py(y)}" '
                     'stroke="#ddd"/>')
        parts.append(f'<text x="{left - 8}" y="{py(y) + 4}" text-anchor="end">1e{y}</text>')
    # slope −2 guide through the first curve's second point
    e0 = curves[0][1][1]
    gx = [xs[1], xs[-1]]
    gy = [math.log10(e0), math.log10(e0) - 2 * (xs[-1] - xs[1])]
    parts.append(f'<polyline points="{px(gx[0])},{py(gy[0])} {px(gx[1])},{py(gy[1])}" '
                 'fill="none" stroke="gray" stroke-dasharray="6 4"/>')
    for k, (label, errs, slope) in enumerate(curves):
        c = COLOURS[k % len(COLOURS)]
        pts = " ".join(f"{px(x)},{py(math.log10(e))}" for x, e in zip(xs, errs, strict=True)
                       if e > 0)
        parts.append(f'<polyline points="{pts}" fill="none" stroke="{c}" stroke-width="2"/>')
        for x, e in zip(xs, errs, strict=True):
            if e > 0:
                parts.append(f'<circle cx="{px(x)}" cy="{py(math.log10(e))}" r="3" fill="{c}"/>')
        ly = h - bottom - 12 - 18 * (len(curves) - k)
        parts.append(f'<line x1="{left + 10}" y1="{ly}" x2="{left + 35}" y2="{ly}" '
                     f'stroke="{c}" stroke-width="2"/>')
        parts.append(f'<text x="{left + 40}" y="{ly + 4}">{label}, slope {slope:.2f}</text>')
    ly = h - bottom - 12
    parts.append(f'<line x1="{left + 10}" y1="{ly}" x2="{left + 35}" y2="{ly}" stroke="gray" '
                 'stroke-dasharray="6 4"/>')
    parts.append(f'<text x="{left + 40}" y="{ly + 4}">slope -2 (second order)</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "pde-convergence.svg")
    args = ap.parse_args()
    curves = errors()
    args.out.write_text(svg(curves), encoding="utf-8")
    print(f"written {args.out}")


if __name__ == "__main__":
    main()
