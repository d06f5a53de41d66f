"""`pipedeal market import`: vendors' daily-price CSV layouts into a deal's closes, checked
against the exchange calendar (a malformed row is one line naming the file and the row)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
from tests.conftest import EXAMPLE, ROOT
from typer.testing import CliRunner

from pipedeal.cli import app
from pipedeal.errors import UserError
from pipedeal.market.closes import load_closes
from pipedeal.market.importer import read_prices

DATA = Path(__file__).parent / "data" / "market"
runner = CliRunner()


def example_bars():
    return load_closes(EXAMPLE / "closes.csv", "XNAS").bars


def imported_bars(deal: Path):
    return load_closes(deal / "closes.csv", "XNAS").bars


def test_nasdaq_layout_gives_the_examples_prices(deal_copy: Path):
    """Newest first, MM/DD/YYYY, $1.53, 214,000, a byte-order mark, CRLF, no VWAP column."""
    nasdaq = ROOT / "examples" / "innovo-prices-nasdaq.csv"
    result = runner.invoke(app, ["market", "import", str(nasdaq), "--deal", str(deal_copy)])
    assert result.exit_code == 0, result.output
    assert "84 XNAS sessions 2004-05-03 to 2004-08-31" in result.output
    got, want = imported_bars(deal_copy), example_bars()
    assert [(b.date, b.close, b.volume) for b in got] == [(b.date, b.close, b.volume) for b in want]
    assert all(b.vwap is None for b in got)


def test_bloomberg_layout_gives_the_same_deal(deal_copy: Path):
    """A preamble, Dates/PX_LAST/PX_VOLUME/EQY_WEIGHTED_AVG_PX, DD-Mon-YYYY, semicolons: every
    bar equal, so the book prices the notes as before."""
    before = json.loads(runner.invoke(app, ["book", str(deal_copy), "-f", "json"]).stdout)
    result = runner.invoke(
        app,
        ["market", "import", str(DATA / "innovo-bloomberg-layout.csv"), "--deal", str(deal_copy),
         "--format", "json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["close_column"] == "PX_LAST"
    assert imported_bars(deal_copy) == example_bars()
    after = json.loads(runner.invoke(app, ["book", str(deal_copy), "-f", "json"]).stdout)
    for a, b in zip(before["purchasers"], after["purchasers"], strict=True):
        assert a["conversion_trace"] == b["conversion_trace"]
        assert a["conversion_price"] == b["conversion_price"] == {
            "Purchaser 1": "1.53", "Purchaser 2": "1.41", "Purchaser 3": "1.35"
        }[a["name"]]  # fmt: skip


YAHOO = """\
Date,Open,High,Low,Close,Adj Close,Volume
2004-06-07,1.40,1.45,1.39,1.42,0.71,143000
2004-06-08,1.42,1.43,1.40,1.41,0.705,154000
2004-06-09,1.41,1.42,1.38,1.39,0.695,120000
2004-06-10,1.39,1.40,1.37,1.38,0.69,98000
2004-06-14,1.38,1.39,1.35,1.36,0.68,101000
"""


def write(tmp_path: Path, text: str, name: str = "prices.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_unadjusted_close_by_default_adjusted_on_request(tmp_path: Path):
    path = write(tmp_path, YAHOO)
    plain = read_prices(path, "XNAS")
    assert plain.close_column == "Close"
    assert [str(b.close) for b in plain.bars] == ["1.42", "1.41", "1.39", "1.38", "1.36"]
    assert plain.bars[0].volume == 143000
    adjusted = read_prices(path, "XNAS", adjusted=True)
    assert adjusted.close_column == "Adj Close"
    assert [str(b.close) for b in adjusted.bars] == ["0.71", "0.705", "0.695", "0.69", "0.68"]
    only_adjusted = write(tmp_path, YAHOO.replace(",Close,", ",Last Trade,"), "adj.csv")
    with pytest.raises(UserError, match=r"adj\.csv:1: no close column .* pass --adjusted"):
        read_prices(only_adjusted, "XNAS")


@pytest.mark.parametrize(
    "text",
    [
        "Timestamp,PX_LAST\n2004-06-07 00:00:00,1.42\n2004-06-08 00:00:00,1.41\n",
        "date;close\n2004-06-07;1.42\n2004-06-08;1.41\n",
        "Date\tPrice\nJun 08, 2004\t1.41\nJun 07, 2004\t1.42\n",
        '"Date","Close"\n"2004-06-07T00:00:00-04:00","1.42"\n"2004-06-08T00:00:00-04:00","1.41"\n',
        "Date,Close\n20040607,1.42\n20040608,1.41\n",
    ],
)
def test_other_layouts(tmp_path: Path, text: str):
    bars = read_prices(write(tmp_path, text), "XNAS").bars
    assert [(b.date.isoformat(), str(b.close)) for b in bars] == [
        ("2004-06-07", "1.42"), ("2004-06-08", "1.41")
    ]  # fmt: skip


# One malformed row of each kind in the Yahoo file above: (change, line named, message)
MALFORMED = {
    "closed day": (
        YAHOO.replace("2004-06-14,", "2004-06-11,"),
        6,
        "2004-06-11 (Friday) is not a XNAS trading session",
    ),
    "gap": (
        YAHOO.replace("2004-06-09,1.41,1.42,1.38,1.39,0.695,120000\n", ""),
        4,
        "no row for the XNAS session 2004-06-09",
    ),
    "duplicate": (
        YAHOO.replace("2004-06-10,", "2004-06-09,"),
        5,
        "2004-06-09 is given twice (also on line 4)",
    ),
    "zero price": (YAHOO.replace(",1.38,0.69,", ",0.00,0.69,"), 5, "must be a positive price"),
    "negative price": (YAHOO.replace(",1.38,0.69,", ",-1.38,0.69,"), 5, "must be a positive"),
    "non-numeric price": (YAHOO.replace(",1.38,0.69,", ",n/a,0.69,"), 5, "'n/a' is not a number"),
    "decimal comma": (YAHOO.replace(",1.38,0.69,", ',"1,38",0.69,'), 5, "is not a number"),
    "date format changes": (
        YAHOO.replace("2004-06-10,", "06/10/2004,"),
        5,
        "does not read as %Y-%m-%d",
    ),
    "weekend": (YAHOO.replace("2004-06-14,", "2004-06-13,"), 6, "(Sunday) is not a XNAS"),
    "volume not whole": (YAHOO.replace(",98000", ",98000.5"), 5, "not a whole number"),
    "missing field": (YAHOO.replace(",0.68,101000", ""), 6, "fields, the header has"),
}


@pytest.mark.parametrize("kind", sorted(MALFORMED))
def test_malformed_row_names_file_and_line_and_writes_nothing(
    kind: str, tmp_path: Path, deal_copy: Path
):
    text, line, message = MALFORMED[kind]
    path = write(tmp_path, text)
    with pytest.raises(UserError) as err:
        read_prices(path, "XNAS")
    assert err.value.message.startswith(f"{path}:{line}: "), err.value.message
    assert message in err.value.message
    before = (deal_copy / "closes.csv").read_bytes()
    result = runner.invoke(app, ["market", "import", str(path), "--deal", str(deal_copy)])
    assert result.exit_code == 2
    assert f"{path}:{line}: " in result.output and "\n" not in result.output.strip()
    assert (deal_copy / "closes.csv").read_bytes() == before
    assert not [p for p in deal_copy.iterdir() if p.name.endswith(".tmp")]


def test_file_level_mistakes(tmp_path: Path, deal_copy: Path):
    with pytest.raises(UserError, match="no header with a date column"):
        read_prices(write(tmp_path, "Open,Close\n1,2\n"), "XNAS")
    with pytest.raises(UserError, match="no price rows"):
        read_prices(write(tmp_path, "Date,Close\n"), "XNAS")
    with pytest.raises(UserError, match="two close columns"):
        read_prices(write(tmp_path, "Date,Close,Last\n2004-06-07,1,1\n"), "XNAS")
    own = deal_copy / "closes.csv"
    result = runner.invoke(app, ["market", "import", str(own), "--deal", str(deal_copy)])
    assert result.exit_code == 2 and "the deal's own closes file" in result.output


@pytest.mark.skipif(
    importlib.util.find_spec("yfinance") is not None, reason="yfinance is installed here"
)
def test_fetch_without_yfinance_is_one_clear_line(deal_copy: Path):
    result = runner.invoke(
        app,
        ["market", "fetch", "INNO", "--deal", str(deal_copy), "--start", "2004-05-03",
         "--end", "2004-08-31"],
    )  # fmt: skip
    assert result.exit_code == 2
    assert result.output.strip() == (
        "pipedeal: error: market fetch: yfinance is not installed; pip install 'pipedeal[market]'"
    )


def test_changed_prices_fixed_at_issue_are_named(tmp_path: Path, deal_copy: Path):
    text = (EXAMPLE / "closes.csv").read_text().replace("2004-06-07,1.42,", "2004-06-07,1.52,")
    path = write(tmp_path, text)
    argv = ["market", "import", str(path), "--deal", str(deal_copy), "-f", "json"]
    result = runner.invoke(app, argv)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["changed_prices"] == [
        "Purchaser 1: conversion price 1.53 -> 1.55",
        "Purchaser 1: exercise price 1.53 -> 1.55",
    ]
    assert "changed: Purchaser 1: conversion price 1.53 -> 1.55" in result.stderr


def test_closes_the_deal_cannot_price_on_are_refused(tmp_path: Path, deal_copy: Path):
    """A file that starts after a closing's pricing window would leave the deal unpriceable."""
    lines = (EXAMPLE / "closes.csv").read_text().splitlines(keepends=True)
    text = "".join(x for x in lines if not x.startswith(("2004-05", "2004-06-0")))
    before = (deal_copy / "closes.csv").read_bytes()
    path = write(tmp_path, text)
    result = runner.invoke(app, ["market", "import", str(path), "--deal", str(deal_copy)])
    assert result.exit_code == 2
    assert f"{path}: the deal does not price on these closes" in result.output
    assert "2004-06-07" in result.output
    assert (deal_copy / "closes.csv").read_bytes() == before
