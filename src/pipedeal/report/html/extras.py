"""The HTML sections for the parts of the book other packages add, under their old module name.

The ledger, valuation, cap table and accounting sections and the filing check block now live one
module each in ``pipedeal.report.html.sections`` (``ledger``, ``valuation``, ``captable``,
``accounting``, ``disclosure``); this module only re-exports them so that
``pipedeal.report.html.extras.<name>`` keeps working. New code imports from the section modules.
"""

from __future__ import annotations

from pipedeal.report.html.sections.accounting import accounting_section
from pipedeal.report.html.sections.captable import captable_section
from pipedeal.report.html.sections.disclosure import filing_check_block
from pipedeal.report.html.sections.ledger import ledger_section
from pipedeal.report.html.sections.valuation import valuation_section

__all__ = ["accounting_section", "captable_section", "filing_check_block", "ledger_section",
           "valuation_section"]
