"""The view model of the HTML book, and the renderer for data of unknown shape.

``Section`` (one per part of the book) holds ``Block``s of paragraphs, facts, ``Figure``s (chart
SVG and caption) and ``Table``s of ready-to-print strings; the Jinja template only lays them out.
This module also owns what every section builder falls back on: the one-line reason a section is
missing for this deal (``missing_reason`` / ``mark_missing``), and ``generic_block`` /
``records_table``, which show a value whose shape the renderer does not know as plain facts and
tables, so a new field in another package's JSON never breaks the report.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from markupsafe import Markup

from pipedeal.report.html.sections.formatting import cell, humanize
from pipedeal.report.html.svg import Chart


# ---- structures ----------------------------------------------------------------------------
@dataclass
class Table:
    columns: list[str]
    rows: list[list[str]]
    caption: str = ""
    numeric: list[bool] = field(default_factory=list)
    foot: list[list[str]] = field(default_factory=list)
    row_classes: list[str] = field(default_factory=list)
    classes: list[str] = field(default_factory=list, init=False)
    wide: bool = field(default=False, init=False)

    def __post_init__(self) -> None:
        if not self.numeric:
            self.numeric = [_looks_numeric(c, self.rows, i) for i, c in enumerate(self.columns)]
        self.classes = [
            "num" if self.numeric[i] else
            "short" if all(len(r[i]) <= 14 for r in self.rows if i < len(r)) else
            "long" if any(len(r[i]) > 60 for r in self.rows if i < len(r)) else ""
            for i in range(len(self.columns))
        ]
        self.wide = len(self.columns) > 8


def _looks_numeric(_col: str, rows: list[list[str]], i: int) -> bool:
    vals = [r[i] for r in rows if i < len(r) and r[i] not in ("", "—")]
    return bool(vals) and all(
        v.lstrip("−-$").replace(",", "").replace(".", "", 1).rstrip("%").isdigit() for v in vals
    )


@dataclass
class Figure:
    svg: Markup
    caption: str
    chart_id: str


@dataclass
class Block:
    """A titled part of a section: text paragraphs, figures and tables, in that order."""

    title: str = ""
    paragraphs: list[str] = field(default_factory=list)
    facts: list[tuple[str, str]] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # "not available" notes inside a section


@dataclass
class Section:
    id: str
    title: str
    blocks: list[Block] = field(default_factory=list)
    missing: str | None = None
    status: str = ""  # e.g. "all match" / "MISMATCH" for the checks


def figure(chart: Chart, caption: str) -> Figure:
    return Figure(chart.svg(), caption, chart.chart_id)


def mark_missing(sec: Section, data: dict[str, Any], key: str) -> Section:
    sec.missing = missing_reason(data, key)
    return sec


# ---- reasons ---------------------------------------------------------------------------------
def missing_reason(data: dict[str, Any], key: str) -> str:
    folder = Path(data["deal"].get("folder") or ".")
    if key not in data:
        return f"this build of pipedeal does not produce the {humanize(key)} section."
    if key == "ledger":
        return ("the deal folder has no ledger (no events recorded; start one with "
                "`pipedeal ledger init` and record events).")
    if key == "valuation":
        if not (folder / "market.toml").exists():
            return "the deal folder has no market.toml (valuation inputs: volatility, rates...)."
        return "the valuation engine produced no values for this deal."
    if key == "accounting":
        if not (folder / "market.toml").exists():
            return ("no fair values for the allocation: the deal folder has no market.toml for "
                    "the valuation engine and none were given (pipedeal accounting "
                    "--note-fair-value/--warrant-fair-value books them from your values).")
        return ("a fair value or the commitment-date price is missing (see pipedeal "
                "accounting).")
    if key == "captable":
        return "the deal file gives no shares-outstanding count ([[issuer.shares_outstanding]])."
    if key == "filing_check":
        return ("no filing in the deal folder to read the terms from (the [disclosure] source "
                "file, or an 8-K*.txt / .htm / .html file).")
    return "no data."


# ---- generic renderer (unknown shapes) --------------------------------------------------------
def records_table(rows: list[Mapping[str, Any]], caption: str = "",
                  columns: list[str] | None = None) -> Table:
    cols = columns or list(dict.fromkeys(k for r in rows for k in r))
    return Table([humanize(c) for c in cols], [[cell(r.get(c)) for c in cols] for r in rows],
                 caption=caption)


def generic_block(title: str, value: Any) -> Block:
    """A block for data whose shape this renderer does not know: facts and tables."""
    block = Block(title)
    if isinstance(value, Mapping):
        for k, v in value.items():
            if k == "schema_version":
                continue
            if isinstance(v, list) and v and all(isinstance(r, Mapping) for r in v):
                block.tables.append(records_table(v, humanize(k)))
            elif isinstance(v, Mapping) and v and all(isinstance(r, Mapping)
                                                      for r in v.values()):
                block.tables.append(records_table(
                    [{"name": name, **r} for name, r in v.items()], humanize(k)))
            else:
                block.facts.append((humanize(k), cell(v)))
    elif isinstance(value, list) and value and all(isinstance(r, Mapping) for r in value):
        block.tables.append(records_table(value))
    else:
        block.facts.append((title, cell(value)))
    return block


def walk(value: Any) -> Iterable[Any]:
    yield value
    if isinstance(value, Mapping):
        for v in value.values():
            yield from walk(v)
    elif isinstance(value, list):
        for v in value:
            yield from walk(v)



SectionBuilder = Callable[[dict[str, Any]], Section]
