"""Tables that fit the terminal without cutting a number.

Rich shrinks a table that is wider than the console by cutting cells to "…". ``FittingConsole``
prints tables so that never happens to a figure: columns whose cells are all figures (money,
counts, prices, percentages, dates) are never wrapped or cut, text columns fold onto more lines,
and a table that still does not fit is printed stacked — one small "column: value" table per row.
The terminal's width is used as it is (``COLUMNS`` when set).
"""

from __future__ import annotations

import re
from typing import Any

from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

_FIGURE = re.compile(r"^[\s$€£+\-−—–(]*[\d.,:%/x×\s()+\-−]*[\d—–-][\d.,%)]*\s*[A-Za-z%]{0,4}$")


def _plain(cell: Any) -> str:
    if isinstance(cell, Text):
        return cell.plain
    if isinstance(cell, str):
        return Text.from_markup(cell).plain if "[" in cell else cell
    return ""


def _is_figure(text: str) -> bool:
    return text.strip() == "" or bool(_FIGURE.match(text.strip()))


def fit_table(table: Table, console: Console) -> RenderableType:
    """``table`` set so that no figure is cut, or stacked when it cannot fit ``console``.

    The width needed is worked out here rather than by rich (which would shrink figures): a
    figure column needs its longest figure, a text column its longest word (headers fold).
    """
    needed = 1 if table.box else 0  # left border
    for column in table.columns:
        cells = [_plain(c) for c in column._cells]
        figures = bool(cells) and all(_is_figure(c) for c in cells)
        if figures:
            width = max((len(c.strip()) for c in cells), default=1)
            column.no_wrap = True
            column.min_width = width
        else:
            words = [w for c in cells for w in c.split()] + _plain(column.header).split()
            width = min(max((len(w) for w in words), default=1), 24)
        column.overflow = "fold"
        needed += width + table.padding[1] + table.padding[3] + (1 if table.box else 0)
    if needed <= console.width:
        return table
    return stacked(table)


def stacked(table: Table) -> RenderableType:
    """One "column: value" table per row (the header of each row first)."""
    headers = [_plain(c.header) or f"column {i + 1}" for i, c in enumerate(table.columns)]
    parts: list[RenderableType] = []
    if table.title:
        parts.append(Text(_plain(table.title), style="bold"))
    rows = zip(*(c._cells for c in table.columns), strict=True) if table.columns else iter(())
    for row in rows:
        card = Table(show_header=False, box=None, padding=(0, 1))
        card.add_column(style="dim", overflow="fold")
        card.add_column(overflow="fold")
        for header, cell in zip(headers, row, strict=True):
            card.add_row(header, cell)
        parts.append(card)
        parts.append(Text(""))
    if table.caption:
        parts.append(Text(_plain(table.caption)))
    return Group(*parts)


class FittingConsole(Console):
    """A console whose ``print`` fits every top-level table (``fit_table``)."""

    def print(self, *objects: Any, **kwargs: Any) -> None:
        fitted = [fit_table(o, self) if isinstance(o, Table) else o for o in objects]
        super().print(*fitted, **kwargs)
