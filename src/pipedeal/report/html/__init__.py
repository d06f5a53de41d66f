"""The deal book as one self-contained HTML page (and a PDF printed from it by headless Chromium).

``render_html(ctx, data)`` turns the book dict (``report.book.book_data``) plus the deal's closes
into a single HTML string: styles and the small hover script inlined, charts drawn as SVG in
Python, no network reference of any kind (a Content-Security-Policy of ``default-src 'none'``
enforces it in the browser; the one script runs by its SHA-256 hash, never ``'unsafe-inline'``,
so no injected script could run; control characters of user text are removed). ``write_html`` /
``write_pdf`` write files (``pipedeal.outfiles``) and turn a user's mistake (an unwritable path,
no Chromium) into a one-line ``UserError`` with nothing written.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import tempfile
from collections.abc import Iterable, Mapping
from decimal import ROUND_FLOOR, Decimal
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2

from pipedeal.errors import UserError
from pipedeal.outfiles import CONTROL, check_target, write_atomic
from pipedeal.report.html import extras, sections
from pipedeal.report.html.chromium import print_pdf
from pipedeal.report.html.svg import nice_step
from pipedeal.report.html.valuation import valuation_curves

# The dilution grid drawn when the book's cap table carries none: this many stock prices from
# DILUTION_GRID_LOW to DILUTION_GRID_HIGH times the deal's lowest / highest conversion price, on a
# round step (about DILUTION_GRID_POINTS prices).
DILUTION_GRID_POINTS = 41
DILUTION_GRID_LOW = Decimal("0.25")
DILUTION_GRID_HIGH = Decimal("2.5")

SECTION_IDS = ("summary", "pricing", "cashflows", "ledger", "valuation", "dilution",
               "accounting", "disclosure")


def _template_text(name: str) -> str:
    return resources.files("pipedeal.report.html").joinpath("templates", name).read_text("utf-8")


def _environment() -> jinja2.Environment:
    return jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined,
                              trim_blocks=True, lstrip_blocks=True)


def dilution_grid(ctx: Any, data: dict[str, Any]) -> tuple[list[Mapping[str, Any]] | None, str]:
    """Rows for the dilution charts: the book's own grid, else one computed for the report."""
    cap = data.get("captable")
    if cap is None:
        return None, ""
    if cap.get("dilution"):
        return None, ""
    conv = [Decimal(p["conversion_price"]) for p in data["purchasers"]
            if p.get("conversion_price")]
    if ctx is None or not conv:
        return None, "the cap table has no price grid"
    lo, hi = min(conv) * DILUTION_GRID_LOW, max(conv) * DILUTION_GRID_HIGH
    step = Decimal(str(nice_step(float(hi - lo), DILUTION_GRID_POINTS - 1)))
    start = max(step, (lo / step).to_integral_value(rounding=ROUND_FLOOR) * step)
    grid = []
    while start <= hi + step / 2:
        grid.append(start)
        start += step
    try:
        from pipedeal.captable.report import captable_data

        rows = captable_data(
            ctx.deal_dir, ctx.deal, ctx.prices, ctx.figures, ctx.schedules,
            as_of=dt.date.fromisoformat(cap["as_of"]) if cap.get("as_of") else None,
            grid_prices=grid, ownership_cap=ctx.options.get("ownership_cap"),
            view=ctx.record if ctx.record.recorded else None,
        ).get("dilution")
    except (ImportError, UserError) as exc:
        return None, f"no price grid ({exc})"
    note = (f"prices every ${step} from about {DILUTION_GRID_LOW}× the lowest to "
            f"{DILUTION_GRID_HIGH}× the highest conversion price")
    return rows, note


def ledger_history(
    ctx: Any, data: dict[str, Any]
) -> tuple[list[Mapping[str, Any]] | None, str]:
    """The ledger's recorded events for the timeline (the book's section holds the state)."""
    ledger = data.get("ledger")
    if ledger is None or (isinstance(ledger, dict) and ledger.get("events")):
        return None, ""
    if ctx is None:
        return None, "the book data holds no event list"
    try:
        as_of = dt.date.fromisoformat(ledger["as_of"]) if ledger.get("as_of") else None
        recorded = ctx.record.recorded or ()
        return [r.to_json() for r in recorded if as_of is None or r.event.date <= as_of], ""
    except (ImportError, UserError) as exc:
        return None, str(exc)


def build_sections(data: dict[str, Any], ctx: Any = None) -> list[sections.Section]:
    prices = getattr(ctx, "prices", None)
    grid, grid_note = dilution_grid(ctx, data)
    history, history_note = ledger_history(ctx, data)
    curves, curves_note = valuation_curves(ctx, data)
    return [
        sections.summary_section(data),
        sections.pricing_section(data, prices),
        sections.cashflow_section(data),
        extras.ledger_section(data, history, history_note),
        extras.valuation_section(data, curves, curves_note),
        extras.captable_section(data, grid, grid_note),
        extras.accounting_section(data),
        sections.disclosure_section(data),
    ]


def render_html(data: dict[str, Any], ctx: Any = None, *,
                generated: str | None = None) -> str:
    """The book as one HTML page. ``ctx`` (a ``BookContext``) supplies the closes for charts."""
    from pipedeal import __version__

    secs = build_sections(data, ctx)
    template = _environment().from_string(_template_text("book.html"))
    js = _template_text("book.js")
    page = template.render(
        title=f"{data['deal']['name']} — deal book",
        deal=data["deal"], issuer=data["issuer"], sections=secs, generated=generated,
        version=__version__,
        css=jinja2.utils.markupsafe.Markup(_template_text("book.css")),
        js=jinja2.utils.markupsafe.Markup(js),
        script_hash=script_hash(js),
    )
    # user text may carry NUL, ESC or bidirectional overrides: none of them reach the page
    return CONTROL.sub("", page)


def script_hash(js: str) -> str:
    """The CSP source that allows exactly the page's own script: ``sha256-<base64>``."""
    digest = hashlib.sha256(js.encode("utf-8")).digest()
    return "sha256-" + base64.b64encode(digest).decode("ascii")


def check_targets(
    html: Path | None,
    pdf: Path | None,
    *,
    protect: Iterable[Path] = (),
    follow_symlinks: bool = False,
) -> None:
    """Fail early (before any work is done) when an output path cannot be written
    (``pipedeal.outfiles``: regular files only, never the deal's inputs or ledger)."""
    if html is not None:
        check_target(html, "--html", protect=protect, follow_symlinks=follow_symlinks)
    if pdf is not None:
        check_target(pdf, "--pdf", protect=protect, follow_symlinks=follow_symlinks)


def write_html(
    html: str, path: Path, *, protect: Iterable[Path] = (), follow_symlinks: bool = False
) -> None:
    write_atomic(path, html, "--html", protect=protect, follow_symlinks=follow_symlinks)


def write_pdf(
    html: str,
    path: Path,
    *,
    chromium: str | None = None,
    protect: Iterable[Path] = (),
    follow_symlinks: bool = False,
) -> int:
    """Print ``html`` to ``path`` through headless Chromium; returns the PDF's page count."""
    protect = tuple(protect)
    check_target(path, "--pdf", protect=protect, follow_symlinks=follow_symlinks)
    with tempfile.TemporaryDirectory(prefix="pipedeal-pdf-") as tmp:
        src = Path(tmp) / "book.html"
        src.write_text(html, encoding="utf-8")
        out = Path(tmp) / "book.pdf"
        print_pdf(src, out, chromium=chromium)
        content = out.read_bytes()
    write_atomic(path, content, "--pdf", protect=protect, follow_symlinks=follow_symlinks)
    return pdf_page_count(content)


def pdf_page_count(content: bytes) -> int:
    """Pages of a PDF: ``/Type /Page`` objects (not ``/Pages``)."""
    import re

    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", content))


__all__ = ["SECTION_IDS", "build_sections", "check_targets", "pdf_page_count", "render_html",
           "write_html", "write_pdf"]
