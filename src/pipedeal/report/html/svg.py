"""Small SVG charts drawn in Python: line, step and bar series on a date or number axis.

No JavaScript library: every chart is plain SVG that prints as drawn. Each data mark carries a
``<title>`` (the browser's tooltip) and a ``data-tip`` attribute that the page's inline script
shows in the figure's value readout. Series differ by colour *and* dash pattern / marker shape so
that a black-and-white print still tells them apart.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from markupsafe import Markup, escape

PALETTE = ("#1f5fa8", "#c4561d", "#2a8a57", "#7b3fa0", "#9a7a12", "#4d4d4d", "#b8336a")
DASHES = ("", "7 3", "2 3", "9 3 2 3", "4 4", "1 2")
SHAPES = ("circle", "square", "diamond", "triangle")

Number = float | int


def day_number(day: dt.date) -> int:
    return day.toordinal()


def from_day_number(x: float) -> dt.date:
    return dt.date.fromordinal(int(round(x)))


@dataclass
class Point:
    x: float
    y: float
    tip: str
    y0: float = 0.0  # bars: the bottom of the bar (stacked bars)


@dataclass
class Series:
    name: str
    points: list[Point]
    kind: str = "line"  # line | step | bars | points
    style: int | None = None  # palette / dash index; None: the series' position
    highlight: Sequence[bool] | None = None  # per point: draw emphasised


@dataclass
class Band:
    x0: float
    x1: float
    label: str
    tip: str = ""
    kind: str = "window"


@dataclass
class Rule:
    """A reference line: vertical (``axis='x'``) or horizontal (``axis='y'``)."""

    value: float
    label: str
    axis: str = "y"
    tip: str = ""


def nice_step(span: float, target: int = 6) -> float:
    if span <= 0 or not math.isfinite(span):
        return 1.0
    raw = span / target
    mag = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if raw <= m * mag:
            return m * mag
    return 10 * mag


def number_ticks(lo: float, hi: float, target: int = 6) -> list[float]:
    step = nice_step(hi - lo, target)
    start = math.ceil(lo / step - 1e-9) * step
    ticks = []
    v = start
    while v <= hi + step * 1e-9:
        ticks.append(round(v, 10))
        v += step
    return ticks


def date_ticks(lo: float, hi: float, width_px: float = 660) -> list[tuple[float, str]]:
    """Ticks on a day-number axis: weeks (Mondays), months or years, as many as fit."""
    a, b = from_day_number(math.ceil(lo)), from_day_number(math.floor(hi))
    span = hi - lo
    fit = max(2, int(width_px // 62))  # labels of about 60 px
    out: list[tuple[float, str]] = []
    if span / 7 <= fit:
        d = a + dt.timedelta(days=(7 - a.weekday()) % 7)
        while d <= b:
            out.append((day_number(d), d.strftime("%b %d").replace(" 0", " ")))
            d += dt.timedelta(days=7)
        return out
    months = next((m for m in (1, 2, 3, 6, 12, 24, 60) if span / 30.44 / m <= fit), 120)
    y, m = a.year, a.month
    d = dt.date(y, m, 1)
    if d < a:
        m += 1
        y, m = (y + 1, 1) if m > 12 else (y, m)
        d = dt.date(y, m, 1)
    while d <= b:
        if (d.month - 1) % months == 0:
            label = (d.strftime("%b %Y") if d.month == 1 or not out else d.strftime("%b")) \
                if months < 12 else str(d.year)
            out.append((day_number(d), label))
        m = d.month + 1
        d = dt.date(d.year + 1, 1, 1) if m > 12 else dt.date(d.year, m, 1)
    return out


@dataclass
class Chart:
    """One chart; ``svg()`` returns the markup. Axis formatters turn numbers into labels."""

    chart_id: str
    title: str
    x_label: str
    y_label: str
    x_kind: str = "date"  # date | number
    y_format: Callable[[float], str] = field(default=lambda v: f"{v:,.2f}")
    x_format: Callable[[float], str] | None = None
    width: int = 760
    height: int = 300
    y_from_zero: bool = False
    series: list[Series] = field(default_factory=list)
    bands: list[Band] = field(default_factory=list)
    rules: list[Rule] = field(default_factory=list)
    bar_width_days: float | None = None
    y_ticks: list[float] | None = None  # explicit y ticks (e.g. one per timeline row)

    # layout
    left: int = 78
    right: int = 24
    top: int = 40
    bottom: int = 46

    def add(self, series: Series) -> Series:
        if series.style is None:
            series.style = len(self.series)
        self.series.append(series)
        return series

    def has_data(self) -> bool:
        return any(s.points for s in self.series)

    # ---- scales -----------------------------------------------------------------------
    def _extent(self) -> tuple[float, float, float, float]:
        xs = [p.x for s in self.series for p in s.points]
        xs += [v for b in self.bands for v in (b.x0, b.x1)]
        xs += [r.value for r in self.rules if r.axis == "x"]
        ys = [p.y for s in self.series for p in s.points]
        ys += [p.y0 for s in self.series if s.kind == "bars" for p in s.points]
        ys += [r.value for r in self.rules if r.axis == "y"]
        x0, x1 = min(xs), max(xs)
        if x1 == x0:
            x0, x1 = x0 - 1, x1 + 1
        pad = (x1 - x0) * 0.03
        if any(s.kind == "bars" for s in self.series):
            pad = max(pad, (self.bar_width_days or 1) * 1.5)
        y0, y1 = min(ys), max(ys)
        if self.y_from_zero:
            y0 = min(0.0, y0)
            y1 = max(0.0, y1)
        if y1 == y0:
            y0, y1 = y0 - 1, y1 + 1
        ypad = (y1 - y0) * 0.08
        lo = y0 if (self.y_from_zero and y0 == 0) else y0 - ypad
        return x0 - pad, x1 + pad, lo, y1 + ypad

    def svg(self) -> Markup:
        if not self.has_data():
            raise ValueError(f"chart {self.chart_id} has no data")
        x_lo, x_hi, y_lo, y_hi = self._extent()
        w, h = self.width, self.height
        pw, ph = w - self.left - self.right, h - self.top - self.bottom

        def sx(x: float) -> float:
            return self.left + (x - x_lo) / (x_hi - x_lo) * pw

        def sy(y: float) -> float:
            return self.top + (1 - (y - y_lo) / (y_hi - y_lo)) * ph

        out: list[str] = []
        e = escape
        out.append(
            f'<svg class="chart" id="{e(self.chart_id)}" viewBox="0 0 {w} {h}" '
            f'width="{w}" height="{h}" role="img" aria-labelledby="{e(self.chart_id)}-t">'
        )
        out.append(f'<title id="{e(self.chart_id)}-t">{e(self.title)}</title>')
        out.append(
            f'<rect class="plot" x="{self.left}" y="{self.top}" width="{pw}" height="{ph}"/>'
        )
        # bands under everything
        label_ends: list[float] = []
        for b in self.bands:
            bx0, bx1 = sx(min(b.x0, b.x1) - 0.5), sx(max(b.x0, b.x1) + 0.5)
            bx0, bx1 = max(bx0, self.left), min(bx1, self.left + pw)
            half = len(b.label) * 3.2
            row = next((i for i, end in enumerate(label_ends) if end < (bx0 + bx1) / 2 - half),
                       len(label_ends))
            if row == len(label_ends):
                label_ends.append(0.0)
            label_ends[row] = (bx0 + bx1) / 2 + half + 4
            out.append(
                f'<g class="band band-{e(b.kind)}" data-tip="{e(b.tip or b.label)}">'
                f'<title>{e(b.tip or b.label)}</title>'
                f'<rect x="{bx0:.1f}" y="{self.top}" width="{max(bx1 - bx0, 1):.1f}" '
                f'height="{ph}"/>'
                f'<text x="{(bx0 + bx1) / 2:.1f}" y="{self.top + 12 + 12 * row}" '
                f'text-anchor="middle">{e(b.label)}</text></g>'
            )
        # y grid + labels
        for t in self.y_ticks if self.y_ticks is not None else number_ticks(y_lo, y_hi):
            y = sy(t)
            out.append(
                f'<line class="grid" x1="{self.left}" x2="{self.left + pw}" '
                f'y1="{y:.1f}" y2="{y:.1f}"/>'
                f'<text class="tick" x="{self.left - 6}" y="{y + 4:.1f}" '
                f'text-anchor="end">{e(self.y_format(t))}</text>'
            )
        # x ticks
        if self.x_kind == "date":
            xt = date_ticks(x_lo, x_hi, pw)
        else:
            fmt = self.x_format or (lambda v: f"{v:g}")
            xt = [(t, fmt(t)) for t in number_ticks(x_lo, x_hi, 8)]
        for t, label in xt:
            x = sx(t)
            out.append(
                f'<line class="grid grid-x" x1="{x:.1f}" x2="{x:.1f}" y1="{self.top}" '
                f'y2="{self.top + ph}"/>'
                f'<text class="tick" x="{x:.1f}" y="{self.top + ph + 16}" '
                f'text-anchor="middle">{e(label)}</text>'
            )
        out.append(
            f'<line class="axis" x1="{self.left}" x2="{self.left + pw}" y1="{self.top + ph}" '
            f'y2="{self.top + ph}"/>'
            f'<line class="axis" x1="{self.left}" x2="{self.left}" y1="{self.top}" '
            f'y2="{self.top + ph}"/>'
            f'<text class="axis-label" x="{self.left + pw / 2:.1f}" y="{h - 6}" '
            f'text-anchor="middle">{e(self.x_label)}</text>'
            f'<text class="axis-label" transform="translate(14 {self.top + ph / 2:.1f}) '
            f'rotate(-90)" text-anchor="middle">{e(self.y_label)}</text>'
        )
        out.append(f'<g class="series-all" clip-path="url(#{e(self.chart_id)}-clip)">')
        out.append(
            f'<clipPath id="{e(self.chart_id)}-clip"><rect x="{self.left - 4}" '
            f'y="{self.top - 4}" width="{pw + 8}" height="{ph + 8}"/></clipPath>'
        )
        bar_series = [s for s in self.series if s.kind == "bars"]
        for s in self.series:
            out.append(self._series(s, sx, sy, bar_series, pw, x_hi - x_lo))
        out.append("</g>")
        x_rules = 0
        used_y: list[float] = []
        for r in self.rules:
            tip = e(r.tip or r.label)
            if r.axis == "y":
                y = sy(r.value)
                ty = y - 5
                if any(abs(ty - u) < 12 for u in used_y):
                    ty = y + 13
                used_y.append(ty)
                out.append(
                    f'<g class="rule rule-y" data-tip="{tip}"><title>{tip}</title>'
                    f'<line x1="{self.left}" x2="{self.left + pw}" y1="{y:.1f}" y2="{y:.1f}"/>'
                    f'<text x="{self.left + pw - 4}" y="{ty:.1f}" text-anchor="end">'
                    f"{e(r.label)}</text></g>"
                )
            else:
                x = sx(r.value)
                ly = self.top + ph - 6 - 13 * x_rules
                x_rules += 1
                anchor = "end" if x > self.left + pw * 0.8 else "start"
                lx = x - 4 if anchor == "end" else x + 4
                out.append(
                    f'<g class="rule rule-x" data-tip="{tip}"><title>{tip}</title>'
                    f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{self.top}" y2="{self.top + ph}"/>'
                    f'<text x="{lx:.1f}" y="{ly:.1f}" text-anchor="{anchor}">'
                    f"{e(r.label)}</text></g>"
                )
        out.append(self._legend())
        out.append("</svg>")
        return Markup("".join(out))

    def _series(self, s, sx, sy, bar_series, pw, x_span) -> str:
        e = escape
        style = s.style or 0
        color = PALETTE[style % len(PALETTE)]
        dash = DASHES[style % len(DASHES)]
        parts = [
            f'<g class="series series-{e(s.kind)}" data-series="{e(s.name)}" '
            f'style="--c:{color}">'
        ]
        pts = sorted(s.points, key=lambda p: p.x)
        if s.kind in ("line", "step") and len(pts) > 1:
            coords: list[tuple[float, float]] = []
            for i, p in enumerate(pts):
                if s.kind == "step" and i:
                    coords.append((sx(p.x), sy(pts[i - 1].y)))
                coords.append((sx(p.x), sy(p.y)))
            d = "M" + " L".join(f"{x:.1f} {y:.1f}" for x, y in coords)
            dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
            parts.append(f'<path class="line" d="{d}" stroke="{color}"{dash_attr}/>')
        if s.kind == "bars":
            n = len(bar_series)
            per_day = pw / max(x_span, 1)
            width = max(2.0, min(14.0, per_day * (self.bar_width_days or 1) * 0.8))
            stacked = any(p.y0 for b in bar_series for p in b.points)
            idx = bar_series.index(s) if s in bar_series else 0
            offset = 0.0 if stacked else (idx - (n - 1) / 2) * width
            for p in pts:
                x = sx(p.x) + offset - width / 2
                y_top, y_bot = sy(max(p.y, p.y0)), sy(min(p.y, p.y0))
                parts.append(
                    f'<rect class="mark bar" x="{x:.1f}" y="{y_top:.1f}" width="{width:.1f}" '
                    f'height="{max(y_bot - y_top, 0.5):.1f}" fill="{color}" '
                    f'data-tip="{e(p.tip)}"><title>{e(p.tip)}</title></rect>'
                )
        else:
            shape = SHAPES[style % len(SHAPES)]
            r = 3.2 if len(pts) <= 80 else 2.0
            for i, p in enumerate(pts):
                hi = bool(s.highlight and i < len(s.highlight) and s.highlight[i])
                parts.append(_marker(shape, sx(p.x), sy(p.y), r * (1.5 if hi else 1), color,
                                     p.tip, hi))
        parts.append("</g>")
        return "".join(parts)

    def _legend(self) -> str:
        e = escape
        items = []
        x = self.left
        for s in self.series:
            style = s.style or 0
            color = PALETTE[style % len(PALETTE)]
            dash = DASHES[style % len(DASHES)]
            dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
            if s.kind == "bars":
                swatch = f'<rect x="{x}" y="12" width="14" height="10" fill="{color}"/>'
            else:
                swatch = (
                    f'<line x1="{x}" x2="{x + 18}" y1="17" y2="17" stroke="{color}" '
                    f'stroke-width="2.2"{dash_attr}/>'
                    + _marker(SHAPES[style % len(SHAPES)], x + 9, 17, 3, color, "", False)
                )
            items.append(
                f'<g class="legend-item">{swatch}<text x="{x + 22}" y="21">{e(s.name)}</text></g>'
            )
            x += 34 + int(len(s.name) * 6.4)
        return f'<g class="legend">{"".join(items)}</g>'


def _marker(shape: str, x: float, y: float, r: float, color: str, tip: str, hi: bool) -> str:
    e = escape
    cls = ("mark point" if tip else "swatch") + (" hi" if hi else "")
    tip_attr = f' data-tip="{e(tip)}"' if tip else ""
    title = f"<title>{e(tip)}</title>" if tip else ""
    if shape == "square":
        el = (f'<rect class="{cls}" x="{x - r:.1f}" y="{y - r:.1f}" width="{2 * r:.1f}" '
              f'height="{2 * r:.1f}" fill="{color}"{tip_attr}>{title}</rect>')
    elif shape == "diamond":
        pts = f"{x:.1f},{y - r * 1.3:.1f} {x + r * 1.3:.1f},{y:.1f} {x:.1f},{y + r * 1.3:.1f} " \
              f"{x - r * 1.3:.1f},{y:.1f}"
        el = f'<polygon class="{cls}" points="{pts}" fill="{color}"{tip_attr}>{title}</polygon>'
    elif shape == "triangle":
        pts = f"{x:.1f},{y - r * 1.3:.1f} {x + r * 1.2:.1f},{y + r:.1f} {x - r * 1.2:.1f}," \
              f"{y + r:.1f}"
        el = f'<polygon class="{cls}" points="{pts}" fill="{color}"{tip_attr}>{title}</polygon>'
    else:
        el = (f'<circle class="{cls}" cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" '
              f'fill="{color}"{tip_attr}>{title}</circle>')
    return el
