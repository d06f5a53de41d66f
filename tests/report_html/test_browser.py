"""The HTML deal book in real headless Chromium: it loads offline with no errors, every chart
draws, and the screenshot and PDF come out of the same file.

Chromium is driven by its own flags (``--dump-dom``, ``--screenshot``, ``--print-to-pdf``). A
harness script injected into a copy of the page records script errors, console errors,
Content-Security-Policy violations and the Resource Timing entries (every fetch the page made),
then writes them into the DOM that ``--dump-dom`` prints.
"""

from __future__ import annotations

import pytest
from tests.conftest import skip_or_fail
from typer.testing import CliRunner

from pipedeal.cli import app
from pipedeal.report.html import SECTION_IDS
from pipedeal.report.html.chromium import dump_dom, find_chromium, screenshot

from .helpers import (
    EXAMPLE,
    harness_result,
    innovo_book,
    ledger_deal,
    no_closes_deal,
    pdf_pages,
    png_size,
    render,
    with_harness,
)

pytestmark = pytest.mark.chromium
runner = CliRunner()


@pytest.fixture(scope="module")
def chromium() -> str:
    exe = find_chromium()
    if exe is None:
        skip_or_fail("headless Chromium not found (PIPEDEAL_CHROMIUM or chromium on PATH)")
    return exe


def open_in_chromium(html: str, path, chromium: str) -> dict:
    path.write_text(with_harness(html), encoding="utf-8")
    proc = dump_dom(path, chromium=chromium, extra=("--enable-logging=stderr", "--v=0"))
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = harness_result(proc.stdout)
    result["stderr"] = proc.stderr
    return result


def assert_clean(result: dict) -> None:
    assert result["errors"] == [], result["errors"]
    assert result["resources"] == [], f"network requests: {result['resources']}"
    # Chromium's own log (--enable-logging=stderr) carries every console message; the page
    # writes none, so any line there is an error, a warning or a blocked fetch
    console = [ln for ln in result["stderr"].splitlines() if ":CONSOLE" in ln]
    assert console == [], console


def test_the_harness_catches_errors_and_fetches(tmp_path, chromium):
    """Control: a page with a script error, an injected inline script and a remote image is
    reported, not passed. The script error sits before the page's CSP (where the harness runs);
    the injected script after it is blocked: the CSP allows only the page's own script by hash."""
    html, _ = innovo_book()
    bad = html.replace("<head>", "<head><script>nope();</script>", 1)
    bad = bad.replace("</body>", '<img src="http://127.0.0.1:9/x.png"><script>injected();'
                                 "</script></body>")
    result = open_in_chromium(bad, tmp_path / "bad.html", chromium)
    assert any("nope" in e for e in result["errors"]), result["errors"]
    assert not any("injected" in e for e in result["errors"]), "the injected script ran"
    assert any(e.startswith("csp: script-src") for e in result["errors"]), result["errors"]
    assert any(e.startswith("csp: img-src") for e in result["errors"]), result["errors"]
    console = [ln for ln in result["stderr"].splitlines() if ":CONSOLE" in ln]
    assert any("Uncaught ReferenceError" in ln for ln in console), console
    assert any("Content Security Policy" in ln for ln in console), console


def test_innovo_book_loads_clean_and_every_chart_draws(tmp_path, chromium):
    html, data = innovo_book()
    result = open_in_chromium(html, tmp_path / "book.html", chromium)
    assert_clean(result)
    assert [s["id"] for s in result["sections"]] == list(SECTION_IDS)
    assert all(s["height"] > 0 for s in result["sections"])
    charts = {c["id"]: c for c in result["charts"]}
    assert len(charts) >= len(data["purchasers"]) + 2
    for cid, c in charts.items():
        assert c["width"] > 100 and c["height"] > 100, cid
        assert c["bbox"][0] > 100 and c["bbox"][1] > 100, cid
        assert c["marks"] > 0, cid
    # the hover script ran and wired every figure; hovering a mark shows its value
    assert int(result["ready"]) == len(charts)
    hover = result["hover"]
    assert hover["readout"] == hover["tip"] and hover["active"], hover
    assert hover["tip"].startswith(data["purchasers"][0]["price_window"][0][:4])


def test_screenshot_and_pdf_of_the_innovo_book(tmp_path, chromium):
    html_out, pdf_out = tmp_path / "book.html", tmp_path / "book.pdf"
    result = runner.invoke(app, ["book", str(EXAMPLE), "--html", str(html_out),
                                 "--pdf", str(pdf_out)])
    assert result.exit_code == 0, result.output
    png = tmp_path / "first-page.png"
    proc = screenshot(html_out, png, width=1200, height=1600, chromium=chromium)
    assert proc.returncode == 0 and png.exists(), proc.stderr[-2000:]
    assert png_size(png.read_bytes()) == (1200, 1600)
    assert png.stat().st_size > 20_000  # a drawn page, not a blank one
    content = pdf_out.read_bytes()
    assert content.startswith(b"%PDF-")
    # every section starts on a new page in print; long ones (journal, schedules) take more,
    # but not a runaway of blank pages
    assert len(SECTION_IDS) <= pdf_pages(content) <= 8 * len(SECTION_IDS)
    assert f"({pdf_pages(content)} pages)" in result.stderr


def test_book_without_closes_loads_clean_and_says_what_is_missing(tmp_path, chromium):
    deal = no_closes_deal(tmp_path)
    html, _ = render(deal)
    result = open_in_chromium(html, tmp_path / "book.html", chromium)
    assert_clean(result)
    assert [s["id"] for s in result["sections"]] == list(SECTION_IDS)
    assert not any(c["id"].startswith("price-window") for c in result["charts"])
    missing = {s["id"] for s in result["sections"] if s["missing"]}
    assert {"ledger", "valuation"} <= missing
    pdf_out = tmp_path / "book.pdf"
    out = runner.invoke(app, ["book", str(deal), "--pdf", str(pdf_out)])
    assert out.exit_code == 0, out.output
    assert pdf_pages(pdf_out.read_bytes()) >= len(SECTION_IDS)


def test_book_with_a_ledger_loads_clean_and_draws_the_timeline(tmp_path, chromium):
    import datetime as dt

    from pipedeal.report.book import book_data, build_context
    from pipedeal.report.html import render_html

    deal = ledger_deal(tmp_path)
    ctx = build_context(deal, as_of=dt.date(2004, 10, 5))
    result = open_in_chromium(render_html(book_data(ctx), ctx), tmp_path / "b.html", chromium)
    assert_clean(result)
    charts = {c["id"]: c for c in result["charts"]}
    assert charts["ledger-timeline"]["marks"] > 0 and charts["ledger-timeline"]["height"] > 100
    assert not {s["id"]: s for s in result["sections"]}["ledger"]["missing"]
