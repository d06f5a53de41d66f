"""View models for the HTML deal book: one ``Section`` per part of the book, one module per section.

Each builder takes the book dict (``report.book.book_data``) and returns a ``Section`` holding
ready-to-print strings, tables and chart SVG, or a ``missing`` reason when the data does not exist
for this deal. The modules, in book order: ``summary``, ``pricing``, ``cashflows`` (built from the
deal file), then ``ledger``, ``valuation``, ``captable`` and ``accounting`` (the sections other
packages add, read defensively: a shape this renderer does not know becomes a plain table, never
an error) and ``disclosure`` (the 8-K disclosure and filing checks). ``formatting`` turns values
into text and ``model`` holds the view structures and the fallbacks they share. This package
re-exports every builder and helper under its old name (``pipedeal.report.html.sections.X``).
"""

from __future__ import annotations

from pipedeal.report.html.sections.accounting import accounting_section
from pipedeal.report.html.sections.captable import captable_section
from pipedeal.report.html.sections.cashflows import cashflow_section
from pipedeal.report.html.sections.disclosure import disclosure_section, filing_check_block
from pipedeal.report.html.sections.formatting import (
    cell,
    dec,
    humanize,
    money,
    num,
    parse_date,
    pct,
    price,
    shares,
)
from pipedeal.report.html.sections.ledger import ledger_section
from pipedeal.report.html.sections.model import (
    Block,
    Figure,
    Section,
    SectionBuilder,
    Table,
    figure,
    generic_block,
    mark_missing,
    missing_reason,
    records_table,
    walk,
)
from pipedeal.report.html.sections.pricing import (
    WINDOW_DAYS_AFTER,
    WINDOW_DAYS_BEFORE,
    pricing_section,
)
from pipedeal.report.html.sections.summary import summary_section
from pipedeal.report.html.sections.valuation import valuation_section

__all__ = [
    "WINDOW_DAYS_AFTER", "WINDOW_DAYS_BEFORE", "Block", "Figure", "Section", "SectionBuilder",
    "Table", "accounting_section", "captable_section", "cashflow_section", "cell", "dec",
    "disclosure_section", "figure", "filing_check_block", "generic_block", "humanize",
    "ledger_section", "mark_missing", "missing_reason", "money", "num", "parse_date", "pct",
    "price", "pricing_section", "records_table", "shares", "summary_section",
    "valuation_section", "walk",
]
