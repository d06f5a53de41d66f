"""The 8-K disclosure check section of the HTML book, with the filing check.

Two checks share the section: the figures the deal file says the 8-K states against the figures
computed from the terms (``data["disclosure_check"]``), and the terms read from the filing in the
deal folder against the deal file (``data["filing_check"]``, ``pipedeal.filings``). Either one
failing marks the section MISMATCH.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pipedeal.report.html.sections.formatting import (
    cell,
    humanize,
)
from pipedeal.report.html.sections.model import (
    Block,
    Section,
    Table,
    generic_block,
    missing_reason,
)


# ---- disclosure check ------------------------------------------------------------------------
def disclosure_section(data: dict[str, Any]) -> Section:
    chk = data.get("disclosure_check") or {}
    sec = Section("disclosure", "8-K disclosure check")
    lines = chk.get("lines") or []
    block = Block()
    if not lines:
        block.notes.append("Disclosure check not available: the deal file states no figures to "
                           "check ([disclosure] in deal.toml).")
    else:
        sec.status = "all match" if chk.get("all_match") else "MISMATCH"
        block.paragraphs.append(
            f"Figures stated in {chk.get('source') or 'the filing'} against the figures computed "
            f"from the terms: {sec.status}."
        )
        block.tables.append(Table(
            ["figure", "stated", "computed", "result"],
            [[ln["figure"], cell(ln.get("stated")), cell(ln.get("computed")),
              "match" if ln.get("matches") else "MISMATCH"] for ln in lines],
            caption="Stated vs computed",
            row_classes=["row-ok" if ln.get("matches") else "row-bad" for ln in lines],
        ))
    sec.blocks.append(block)
    fc = data.get("filing_check")
    if fc is None:
        block2 = Block("Filing check")
        block2.notes.append("Filing check not available: " + missing_reason(data, "filing_check"))
        sec.blocks.append(block2)
    else:
        sec.blocks.append(filing_check_block(fc) if isinstance(fc, Mapping)
                          else generic_block("Filing check", fc))
        if isinstance(fc, Mapping) and fc.get("all_match") is False:
            sec.status = "MISMATCH"
    return sec


# ---- filing check ---------------------------------------------------------------------------
def filing_check_block(fc: Mapping[str, Any]) -> Block:
    lines = [ln for ln in fc.get("lines") or [] if isinstance(ln, Mapping)]
    block = Block("Filing check: terms read from the filing against the deal file")
    block.facts = [(humanize(k), cell(fc.get(k))) for k in ("source", "form_type",
                                                            "report_date", "items", "all_match")
                   if k in fc]
    if lines:
        block.tables.append(Table(
            ["term", "filing", "deal", "result", "sentence"],
            [[humanize(str(ln.get("term"))), cell(ln.get("filing")), cell(ln.get("deal")),
              "match" if ln.get("matches") else ("—" if ln.get("matches") is None
                                                 else "MISMATCH"),
              cell(ln.get("sentence"))] for ln in lines],
            caption="Extracted terms",
            row_classes=["row-ok" if ln.get("matches") else "row-bad"
                         if ln.get("matches") is False else "" for ln in lines],
        ))
    rest = {k: v for k, v in fc.items()
            if k not in ("lines", "source", "form_type", "report_date", "items", "all_match")}
    if rest:
        extra = generic_block("", rest)
        block.facts += extra.facts
        block.tables += extra.tables
    return block
