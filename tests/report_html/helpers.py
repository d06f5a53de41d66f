"""Shared helpers for the HTML report tests: deal variants, rendering, PDF/PNG inspection."""

from __future__ import annotations

import functools
import json
import re
import shutil
import struct
from html.parser import HTMLParser
from pathlib import Path

from pipedeal.report.book import book_data, build_context
from pipedeal.report.html import render_html

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "innovo-2004"


def render(deal_dir: Path, **extra) -> tuple[str, dict]:
    ctx = build_context(deal_dir)
    data = book_data(ctx)
    data.update(extra)
    return render_html(data, ctx), data


@functools.lru_cache(maxsize=1)
def innovo_book() -> tuple[str, dict]:
    """The example's full book (valuation included), rendered once per test process."""
    return render(EXAMPLE)


def no_market_deal(tmp_path: Path) -> Path:
    """The example without market.toml: no valuation, so no engine fair values either."""
    dest = tmp_path / "no-market"
    shutil.copytree(EXAMPLE, dest)
    (dest / "market.toml").unlink(missing_ok=True)
    return dest


def no_closes_deal(tmp_path: Path) -> Path:
    """The example without its price file: conversion price fixed in the terms instead."""
    dest = tmp_path / "no-closes"
    shutil.copytree(EXAMPLE, dest)
    (dest / "closes.csv").unlink()
    (dest / "market.toml").unlink(missing_ok=True)
    text = (dest / "deal.toml").read_text(encoding="utf-8")
    start = text.index("[note.conversion.price]")
    end = text.index("[note.prepayment]")
    fixed = '[note.conversion.price]\nfixed = "1.53"\n\n'
    text = text[:start] + fixed + text[end:]
    text = re.sub(r'(?m)^closes = "closes.csv"\s*$', "", text)
    text = re.sub(r"(?m)^closes_are_illustrative = true", "closes_are_illustrative = false", text)
    (dest / "deal.toml").write_text(text, encoding="utf-8")
    return dest


class Outline(HTMLParser):
    """Sections, charts (with their marks), figures/captions, tables and every URL attribute."""

    def __init__(self) -> None:
        super().__init__()
        self.sections: dict[str, dict] = {}
        self.current: str | None = None
        self.charts: dict[str, dict] = {}
        self.chart: str | None = None
        self.urls: list[str] = []
        self.tables = 0
        self.captions = 0
        self._in_caption = False
        self.caption_text: list[str] = []
        self.not_available: list[str] = []
        self._in_na = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for k in ("src", "href", "action", "data", "poster", "xlink:href", "srcset"):
            if a.get(k):
                self.urls.append(a[k])
        style = a.get("style") or ""
        self.urls += re.findall(r"url\(([^)]*)\)", style)
        if tag == "section":
            self.current = a.get("id")
            self.sections[self.current] = {"missing": "missing" in (a.get("class") or "")}
        if tag == "svg" and "chart" in (a.get("class") or ""):
            self.chart = a["id"]
            self.charts[self.chart] = {"marks": 0, "section": self.current,
                                       "viewBox": a.get("viewbox")}
        if self.chart and "mark" in (a.get("class") or "").split():
            self.charts[self.chart]["marks"] += 1
        if tag == "table":
            self.tables += 1
        if tag == "figcaption":
            self.captions += 1
            self._in_caption = True
            self.caption_text.append("")
        if tag == "p" and "not-available" in (a.get("class") or ""):
            self._in_na = True
            self.not_available.append("")

    def handle_endtag(self, tag):
        if tag == "svg":
            self.chart = None
        if tag == "figcaption":
            self._in_caption = False
        if tag == "p":
            self._in_na = False

    def handle_data(self, data):
        if self._in_caption:
            self.caption_text[-1] += data
        if self._in_na:
            self.not_available[-1] += data


def outline(html: str) -> Outline:
    o = Outline()
    o.feed(html)
    return o


def pdf_pages(content: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", content))


def png_size(content: bytes) -> tuple[int, int]:
    assert content[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", content[16:24])


# Injected at the top of <head> before the page is opened in Chromium: records script errors,
# console errors, Content-Security-Policy violations and every resource the page fetched, then
# (after load and the page's own script) writes them into the DOM for --dump-dom to show.
HARNESS = """<script>
window.__errors = [];
window.addEventListener("error", function (e) { __errors.push("error: " + e.message); }, true);
window.addEventListener("unhandledrejection", function (e) {
  __errors.push("rejection: " + e.reason); });
document.addEventListener("securitypolicyviolation", function (e) {
  __errors.push("csp: " + e.violatedDirective + " " + e.blockedURI); });
(function () { var ce = console.error; console.error = function () {
  __errors.push("console.error: " + Array.prototype.join.call(arguments, " "));
  ce.apply(console, arguments); }; })();
window.addEventListener("load", function () { setTimeout(function () {
  var charts = Array.prototype.map.call(document.querySelectorAll("svg.chart"), function (s) {
    var b = s.getBoundingClientRect(), bb = s.getBBox();
    return {id: s.id, width: b.width, height: b.height, bbox: [bb.width, bb.height],
            marks: s.querySelectorAll(".mark").length}; });
  var sections = Array.prototype.map.call(document.querySelectorAll("section.book-section"),
    function (s) { return {id: s.id, missing: s.classList.contains("missing"),
                           height: s.getBoundingClientRect().height}; });
  var hover = null, mark = document.querySelector("figure.chart-figure .mark[data-tip]");
  if (mark) {
    mark.dispatchEvent(new MouseEvent("mouseover", {bubbles: true}));
    hover = {tip: mark.getAttribute("data-tip"),
             readout: mark.closest("figure").querySelector("output.readout").textContent,
             active: mark.classList.contains("active")};
  }
  var pre = document.createElement("pre");
  pre.id = "__harness";
  pre.textContent = JSON.stringify({errors: __errors,
    resources: performance.getEntriesByType("resource").map(function (r) { return r.name; }),
    charts: charts, sections: sections, hover: hover,
    ready: document.documentElement.getAttribute("data-charts-ready")});
  document.body.appendChild(pre); }, 0); });
</script>"""


def with_harness(html: str) -> str:
    return html.replace("<head>", "<head>" + HARNESS, 1)


def harness_result(dom: str) -> dict:
    m = re.search(r'<pre id="__harness">(.*?)</pre>', dom, re.S)
    assert m, "the harness did not report (page did not load or scripts did not run)"
    import html as html_lib

    return json.loads(html_lib.unescape(m.group(1)))


def ledger_deal(tmp_path: Path) -> Path:
    """A copy of the example with a real SQLite ledger: closings, interest, a prepayment notice
    (its election window open on 2004-10-05) and a conversion."""
    import datetime as dt
    from decimal import Decimal

    from pipedeal.ledger import events as ev
    from pipedeal.ledger import init_ledger

    dest = tmp_path / "with-ledger"
    shutil.copytree(EXAMPLE, dest)
    (dest / "market.toml").unlink(missing_ok=True)  # keep it quick: no valuation
    ledger = init_ledger(dest, by="test")
    try:
        ledger.record(ev.interest_paid("Purchaser 1", dt.date(2004, 7, 1), Decimal("3287.67"),
                                       dt.date(2004, 6, 30)))
        ledger.record(ev.prepayment_notice("Purchaser 1", dt.date(2004, 10, 1), Decimal("500000")))
        ledger.record(ev.conversion("Purchaser 2", dt.date(2004, 9, 1),
                                    principal=Decimal("400000")))
    finally:
        ledger.close()
    return dest


def bare_deal(tmp_path: Path) -> Path:
    """Terms only: no closes, no filing, no stated figures, no share counts, no ledger/market."""
    dest = no_closes_deal(tmp_path)
    (dest / "8-K.txt").unlink()
    text = (dest / "deal.toml").read_text(encoding="utf-8")
    text = re.sub(r"(?ms)^\[\[issuer\.shares_outstanding\]\].*?(?=^\[)", "", text)
    text = re.sub(r"(?ms)^\[disclosure\].*?(?=^\[|\Z)", "", text)
    (dest / "deal.toml").write_text(text, encoding="utf-8")
    return dest
