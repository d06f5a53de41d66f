"""Defect 9 of issue 12: user text never breaks or drives the terminal, and never reaches the
HTML report as control characters; the report's CSP allows only its own script (by hash)."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from pipedeal.cli import app
from pipedeal.outfiles import markup, plain, safe_tree

MARKUP_NAME = "Fund [/y] LP [bold]x[/bold] [link=https://evil.invalid]click[/link]"
NASTY = "memo \x1b]0;pwned\x07 \x1b[2J\x00 \u202eevil\u202c [/y] [link=https://evil.invalid]z"
ESCAPES = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception)
    return result.exit_code, result.stdout, result.stderr


def _rename(deal: Path, old: str, new: str) -> None:
    path = deal / "deal.toml"
    path.write_text(path.read_text().replace(f'name = "{old}"', f'name = "{new}"'))


@pytest.fixture
def markup_deal(deal_copy: Path) -> Path:
    _rename(deal_copy, "Purchaser 1", MARKUP_NAME)
    _rename(deal_copy, "Innovo Group Inc.", "Innovo [/] [red]Group[/red]")
    return deal_copy


@pytest.mark.parametrize("command", [
    ["book"], ["schedule"], ["captable"], ["accounting"],
])
def test_markup_in_names_prints_as_written(command: list[str], markup_deal: Path) -> None:
    code, out, err = _run(*command, str(markup_deal))
    assert code == 0, err
    flat = " ".join(out.split())
    assert "Fund [/y] LP" in flat or "Fund [/y]" in flat, out[:2000]
    assert "\x1b]8;" not in out  # no hyperlink escape


def test_the_book_prints_the_issuer_as_written(markup_deal: Path) -> None:
    code, out, err = _run("book", str(markup_deal))
    assert code == 0, err
    assert "Innovo [/] [red]Group[/red]" in out


def test_ledger_memos_are_printed_without_escape_sequences(deal_copy: Path) -> None:
    _rename(deal_copy, "Purchaser 1", MARKUP_NAME)
    assert _run("ledger", "init", str(deal_copy))[0] == 0
    code, _, err = _run("ledger", "record", str(deal_copy), "memo", "--date", "2004-07-01",
                        "--text", NASTY)
    assert code in (0, 2), err  # a ledger that refuses control characters is fine too
    for command in (["history"], ["state", "--as-of", "2004-08-01"],
                    ["due", "--as-of", "2004-07-01"]):
        code, out, err = _run("ledger", *command, str(deal_copy))
        assert code == 0, (command, err)
        assert not ESCAPES.search(out), (command, repr(out[:500]))
        assert "\x1b]8;" not in out
    code, out, _ = _run("ledger", "history", str(deal_copy))
    flat = " ".join(out.split())
    if "memo" in flat:
        assert "[/y]" in flat


def test_a_filing_registrant_line_cannot_make_a_link(tmp_path: Path) -> None:
    source = Path(__file__).resolve().parents[2] / "examples" / "innovo-2004" / "8-K.txt"
    text = source.read_text()
    m = re.search(r"INNOVO GROUP INC\.?", text)
    assert m, "the example's registrant line"
    bad = text.replace(m.group(0), "[link=https://evil.invalid]INNOVO\x1b[31m GROUP[/link] INC.", 1)
    filing = tmp_path / "8-K.txt"
    filing.write_text(bad)
    code, out, err = _run("extract", str(filing))
    assert code == 0, err
    assert "\x1b" not in out and "\x1b]8;" not in out
    # with a real terminal's features on, still no hyperlink or colour escape from the text
    from pipedeal.cli.filings import _render
    from pipedeal.filings.extract import extract_file

    console = Console(force_terminal=True, width=200, record=True, color_system=None)
    with console.capture() as capture:
        _render(extract_file(filing), console)
    assert "\x1b]8;" not in capture.get()
    assert "evil.invalid" not in capture.get() or "[link=" in capture.get()


def test_the_html_report_has_no_control_characters_and_a_hashed_script(
    tmp_path: Path, deal_copy: Path
) -> None:
    deal = deal_copy / "deal.toml"
    # control characters are refused in deal.toml, so put them where the loader cannot see
    # them: straight into the book's data (as a ledger memo or filing text would arrive)
    from pipedeal.report.book import book_data, build_context
    from pipedeal.report.html import render_html

    assert deal.is_file()
    ctx = build_context(deal_copy)
    data = book_data(ctx)
    data["deal"]["name"] = NASTY
    data["purchasers"][0]["name"] = NASTY
    page = render_html(data, ctx, generated="2026-01-01")
    assert not ESCAPES.search(page.replace("\n", "").replace("\t", ""))
    assert "evil" in page  # the text itself stays, without its controls
    csp = re.search(r'Content-Security-Policy" content="([^"]+)"', page)
    assert csp
    script_src = re.search(r"script-src ([^;]+)", csp.group(1))
    assert script_src and "unsafe-inline" not in script_src.group(1)
    script = re.search(r"<script>(.*?)</script>", page, re.S)
    assert script
    digest = base64.b64encode(hashlib.sha256(script.group(1).encode()).digest()).decode()
    assert f"'sha256-{digest}'" in script_src.group(1)
    assert page.count("<script") == 1


def test_the_helpers() -> None:
    assert plain("a\x1b[31mb\x00c\u202ed\ne\tf") == "a[31mbcd\ne\tf"
    once = markup("[/y]")
    assert markup(once) == once == "\\[/y]"
    tree = safe_tree({"k": ["[b]x[/b]", ("\x1b", 1)], "n": None})
    assert tree == {"k": ["\\[b]x\\[/b]", ("", 1)], "n": None}
    assert safe_tree(tree) == tree
    console = Console(width=80, record=True)
    console.print(markup("Fund [/y] LP"))
    assert "Fund [/y] LP" in console.export_text()
