"""The HTML deal book without a browser: structure, self-containment, missing data, the CLI."""

from __future__ import annotations

import os
import re

import pytest
from typer.testing import CliRunner

from pipedeal.accounting.report import accounting_data
from pipedeal.cli import app
from pipedeal.report.book import book_data, build_context
from pipedeal.report.html import SECTION_IDS, render_html

from .helpers import (
    bare_deal,
    innovo_book,
    ledger_deal,
    no_closes_deal,
    no_market_deal,
    outline,
    render,
)

runner = CliRunner()


@pytest.fixture(scope="module")
def innovo():
    html, data = innovo_book()
    return html, data, outline(html)


def test_every_section_is_present_in_order(innovo):
    _, _, o = innovo
    assert list(o.sections) == list(SECTION_IDS)


def test_charts_are_drawn_and_captioned(innovo):
    html, data, o = innovo
    # one price-window chart per closing, two cash-flow charts, two dilution charts (cap table)
    n = len(data["purchasers"])
    ids = set(o.charts)
    assert {f"price-window-{i + 1}" for i in range(n)} <= ids
    assert {"cashflow-interest", "cashflow-cumulative"} <= ids
    assert {"dilution-shares", "dilution-ownership"} <= ids
    for cid, chart in o.charts.items():
        assert chart["marks"] > 0, cid
    assert o.captions == len(o.charts)
    for cap in o.caption_text:
        assert len(cap.split()) >= 12, cap  # says what it shows and with which inputs
    # the price-window captions name the closes file and the window
    assert all("closes.csv" in c for c in o.caption_text if "price window" in c)


def test_price_window_marks_the_window_sessions_and_price(innovo):
    html, data, _ = innovo
    for p in data["purchasers"]:
        for day in p["price_window"]:
            assert re.search(rf"{day}: close [^<]*in the price window", html), day
        assert f"conversion price ${p['conversion_price']}" in html
    assert "2004-06-11: close" not in html  # Nasdaq was closed


def test_tables_are_real_tables_with_exact_money(innovo):
    html, data, o = innovo
    assert o.tables >= 8
    for p in data["purchasers"]:
        for row in p["interest_schedule"]:
            assert f"{float(row['amount']):,.2f}" in html
    assert f"${float(data['totals']['exercise_proceeds']):,.2f}" in html


def test_self_contained_no_network_references(innovo):
    html, _, o = innovo
    assert o.urls == [] or all(u.startswith("#") for u in o.urls), o.urls
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", html, re.I)
    assert "@import" not in html
    assert "default-src 'none'" in html  # the browser refuses any fetch
    assert "<script src" not in html and "<link" not in html


def test_without_market_data_valuation_and_accounting_say_why(tmp_path):
    html, data = render(no_market_deal(tmp_path))
    o = outline(html)
    assert data["valuation"] is None and data["accounting"] is None and data["ledger"] is None
    assert o.sections["ledger"]["missing"] and o.sections["valuation"]["missing"]
    assert o.sections["accounting"]["missing"]
    text = " ".join(o.not_available)
    assert "no ledger" in text
    assert "no market.toml" in text and "no fair values" in text
    assert list(o.sections) == list(SECTION_IDS)


def test_valuation_section_draws_value_against_the_share_price(innovo):
    html, data, o = innovo
    val = data["valuation"]
    assert val is not None and not o.sections["valuation"]["missing"]
    live = [p for p in val["purchasers"] if p["status"] == "outstanding"]
    ids = set(o.charts)
    assert {f"valuation-note-{i + 1}" for i in range(len(live))} <= ids
    assert "valuation-warrants" in ids
    caps = [c for c in o.caption_text if "bond floor" in c]
    assert len(caps) == len(live)
    for c in caps:
        assert "market.toml" in c and "conversion value" in c
    for p in live:
        assert f"{p['note']['value_per_100']:,.4f}" in html
        assert f"{p['note']['greeks']['delta']:,.4f}" in html
        assert f"{p['warrant']['value_per_warrant']:,.4f}" in html


def test_text_is_escaped(tmp_path):
    deal_copy = no_market_deal(tmp_path)
    toml = deal_copy / "deal.toml"
    toml.write_text(toml.read_text().replace(
        'name = "Innovo Group 2004 convertible notes and warrants"',
        'name = "<script>alert(1)</script> & Co"'), encoding="utf-8")
    html, _ = render(deal_copy)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in html


def test_accounting_section_from_the_accounting_engine(innovo):
    html, data, o = innovo
    acc = data["accounting"]
    assert acc is not None and not o.sections["accounting"]["missing"]
    assert {"accounting-carrying", "accounting-amortization"} <= set(o.charts)
    for n in acc["notes"]:
        disc = n["allocation"]["discount"]
        assert f"${float(disc):,.2f}" in html
        for e in n["entries"]:
            for line in e["lines"]:
                assert line["account"] in html
    assert ("balanced" if acc["journal"]["balanced"] else "NOT BALANCED") in html


def test_accounting_with_user_fair_values_and_no_market_file(tmp_path):
    ctx = build_context(no_market_deal(tmp_path))
    data = book_data(ctx)
    assert data["accounting"] is None
    data["accounting"] = accounting_data(
        ctx.deal_dir, ctx.deal, ctx.prices, ctx.figures, ctx.schedules,
        note_fair_value="95%", warrant_fair_value="0.48/share")
    html = render_html(data, ctx)
    assert not outline(html).sections["accounting"]["missing"]
    assert "user (--note-fair-value 95%)" in html


def test_no_closes_still_renders_and_says_so(tmp_path):
    deal = no_closes_deal(tmp_path)
    html, data = render(deal)
    o = outline(html)
    assert list(o.sections) == list(SECTION_IDS)
    assert not any(c.startswith("price-window") for c in o.charts)
    assert any("no price file" in t for t in o.not_available)
    assert {"cashflow-interest", "cashflow-cumulative"} <= set(o.charts)
    for p in data["purchasers"]:
        assert p["conversion_trace"]["sessions"] == []


def test_cli_writes_html(example_dir, tmp_path):
    out = tmp_path / "book.html"
    result = runner.invoke(app, ["book", str(example_dir), "--html", str(out)])
    assert result.exit_code == 0, result.output
    o = outline(out.read_text(encoding="utf-8"))
    assert list(o.sections) == list(SECTION_IDS)


def test_cli_text_and_json_unchanged_without_html(example_dir):
    result = runner.invoke(app, ["book", str(example_dir), "--format", "json"])
    assert result.exit_code == 0
    assert result.stdout.lstrip().startswith("{")


@pytest.mark.parametrize("option", ["--html", "--pdf"])
def test_unwritable_target_is_a_one_line_user_error(example_dir, tmp_path, option):
    missing = tmp_path / "no-such-folder" / "book.out"
    result = runner.invoke(app, ["book", str(example_dir), option, str(missing)])
    assert result.exit_code == 2
    err = result.stderr.strip()
    assert len(err.splitlines()) == 1 and option in err and "does not exist" in err
    assert not missing.parent.exists()
    # a directory given as the file
    result = runner.invoke(app, ["book", str(example_dir), option, str(tmp_path)])
    assert result.exit_code == 2 and "is a directory" in result.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_read_only_folder_is_a_user_error(example_dir, tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        result = runner.invoke(app, ["book", str(example_dir), "--html", str(ro / "b.html")])
        assert result.exit_code == 2 and "not writable" in result.stderr
    finally:
        ro.chmod(0o700)


def test_pdf_without_chromium_is_a_user_error(tmp_path, monkeypatch):
    monkeypatch.setenv("PIPEDEAL_CHROMIUM", str(tmp_path / "no-chromium"))
    out = tmp_path / "book.pdf"
    result = runner.invoke(app, ["book", str(no_market_deal(tmp_path)), "--pdf", str(out)])
    assert result.exit_code == 2
    assert "Chromium" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not out.exists()


def test_deal_folder_untouched(tmp_path):
    copy = no_market_deal(tmp_path)
    before = sorted(p.name for p in copy.iterdir())
    result = runner.invoke(app, ["book", str(copy), "--html", str(tmp_path / "b.html")])
    assert result.exit_code == 0
    assert sorted(p.name for p in copy.iterdir()) == before


def test_ledger_timeline_from_a_real_ledger(tmp_path):
    import datetime as dt

    deal = ledger_deal(tmp_path)
    ctx = build_context(deal, as_of=dt.date(2004, 10, 5))
    data = book_data(ctx)
    html = render_html(data, ctx)
    o = outline(html)
    assert not o.sections["ledger"]["missing"]
    assert o.charts["ledger-timeline"]["marks"] == data["ledger"]["events_applied"]
    (window,) = [n["election_window"] for n in data["ledger"]["notes"] if n["election_window"]]
    assert window["status"] == "open"
    assert f"election window {window['notice_date']} to {window['closes']} (open)" in html
    assert "band-election-open" in html
    for kind in ("note issued", "interest paid", "prepayment notice", "conversion"):
        assert kind in html
    assert "Hash chain" in html and "intact" in html


def test_terms_only_deal_renders_every_section_saying_what_is_missing(tmp_path):
    deal = bare_deal(tmp_path)
    html, data = render(deal)
    assert data["captable"] is None and data["filing_check"] is None
    o = outline(html)
    assert list(o.sections) == list(SECTION_IDS)
    missing = {k for k, v in o.sections.items() if v["missing"]}
    assert {"ledger", "valuation", "dilution", "accounting"} <= missing
    assert not {"summary", "pricing", "cashflows", "disclosure"} & missing
    text = " ".join(o.not_available)
    for why in ("no price file", "no ledger", "market.toml", "shares-outstanding",
                "no filing"):
        assert why in text, why


def test_a_disclosure_mismatch_is_flagged(tmp_path):
    deal = no_market_deal(tmp_path)
    toml = deal / "deal.toml"
    text = toml.read_text(encoding="utf-8")
    toml.write_text(text.replace("warrant_shares = 312500", "warrant_shares = 312000"),
                    encoding="utf-8")
    html, data = render(deal)
    assert data["disclosure_check"]["all_match"] is False
    bad = [ln for ln in data["disclosure_check"]["lines"] if not ln["matches"]]
    assert html.count('class="row-bad"') >= len(bad) >= 1
    assert "(MISMATCH)" in html  # in the table of contents


@pytest.mark.parametrize("key, value", [
    ("ledger", {"as_of": "2004-10-01", "something_new": [{"a": 1, "b": "x"}]}),
    ("ledger", {"events": [{"date": "2004-07-01", "kind": "memo", "instrument": "deal"}]}),
    ("valuation", {"as_of": "2004-07-28", "purchasers": [{"name": "P", "status": "matured"}]}),
    ("valuation", ["not", "a", "mapping"]),
    ("captable", {"holders": [{"name": "P"}], "dilution": [{"price": "1.00"}]}),
    ("accounting", {"notes": [{"purchaser": "P", "amortization": {"rows": [{}]}}]}),
    ("filing_check", {"lines": [{"term": "t"}], "extra": {"k": "v"}}),
])
def test_unknown_or_partial_shapes_render_without_failing(tmp_path, key, value):
    """Other packages' sections evolve: a shape this renderer does not expect is shown as
    facts and tables, never an exception."""
    deal = no_market_deal(tmp_path)
    ctx = build_context(deal)
    data = book_data(ctx)
    data[key] = value
    html = render_html(data, None)  # no context: nothing recomputed from the deal folder
    o = outline(html)
    assert list(o.sections) == list(SECTION_IDS)
    section = {"captable": "dilution", "filing_check": "disclosure"}.get(key, key)
    assert not o.sections[section]["missing"]
