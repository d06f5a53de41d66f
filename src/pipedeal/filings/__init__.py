"""Filings: read a financing 8-K into structure and deal terms, draft a deal file, write the
disclosure back.

Owns: text normalisation of plain, HTML and EDGAR SGML submissions (``structure``), the
number/money/percent/date/duration parsers and printers (``numbers``), term extraction with
provenance (``extract``, the entry points; ``extraction``, the sentence splitter, the rule
registry, one module per group of terms, typed mentions and the learned scorer whose weights
ship as ``extract_model.json``; ``train`` refits them), the deal-file draft (``draft``), the 8-K
narrative from a deal and the book's filing check (``disclose``) and batch extraction
(``batch``). Imports ``terms``, ``pricing``, ``market`` and ``errors``; no network.
"""

from pipedeal.filings.extract import (
    EXTRACT_SCHEMA_VERSION,
    TERM_KEYS,
    extract_file,
    extract_terms,
    extract_text,
    read_filing_file,
    term_values,
)
from pipedeal.filings.structure import Filing, parse_filing

__all__ = [
    "EXTRACT_SCHEMA_VERSION",
    "TERM_KEYS",
    "Filing",
    "extract_file",
    "extract_terms",
    "extract_text",
    "parse_filing",
    "read_filing_file",
    "term_values",
]
