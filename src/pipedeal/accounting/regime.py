"""Which accounting regime a deal is booked under, and why: one function every view calls.

``deal.toml``'s ``[accounting] regime`` wins; left out, the regime follows the effective dates of
ASU 2020-06 for the issuer's filer status, applied to the fiscal year in which the first closing
falls (``AccountingTerms`` states the dates). The reason is a sentence the book prints.
"""

from __future__ import annotations

import datetime as dt

from pipedeal.accounting.allocation import Regime
from pipedeal.terms.models import Deal

#: ASU 2020-06 applies to fiscal years beginning after these dates
EFFECTIVE_AFTER = {
    "sec_filer": dt.date(2021, 12, 15),
    "smaller_reporting_company": dt.date(2023, 12, 15),
    "other": dt.date(2023, 12, 15),
}
EARLY_ADOPTION_AFTER = dt.date(2020, 12, 15)


def fiscal_year_start(day: dt.date, fiscal_year_end: str) -> dt.date:
    """The first day of the fiscal year containing ``day`` (fiscal years end on MM-DD; a
    February 29 year end falls back to February 28 in other years)."""
    month, dom = (int(x) for x in fiscal_year_end.split("-"))

    def end_in(year: int) -> dt.date:
        try:
            return dt.date(year, month, dom)
        except ValueError:
            return dt.date(year, month, 28)

    end = end_in(day.year)
    if day > end:
        return end + dt.timedelta(days=1)
    return end_in(day.year - 1) + dt.timedelta(days=1)


def deal_regime(deal: Deal, override: Regime | str | None = None) -> tuple[Regime, str]:
    """(regime, why): ``override`` (``--regime``), else ``[accounting] regime``, else the rule."""
    if override is not None:
        return Regime(override), f"--regime {Regime(override).value}"
    terms = deal.accounting
    if terms.regime is not None:
        return Regime(terms.regime), "deal.toml [accounting] regime"
    first = min(p.closing_date for p in deal.purchasers)
    start = fiscal_year_start(first, terms.fiscal_year_end)
    after = EARLY_ADOPTION_AFTER if terms.early_adoption else EFFECTIVE_AFTER[terms.filer_status]
    status = terms.filer_status.replace("_", " ")
    adopted = "early adoption, " if terms.early_adoption else ""
    if start > after:
        return Regime.ASU_2020_06, (
            f"ASU 2020-06: the first closing ({first}) falls in the fiscal year beginning {start}, "
            f"after {after} ({adopted}{status})")
    return Regime.LEGACY, (
        f"legacy (APB 14, EITF 98-5/00-27): the first closing ({first}) falls in the fiscal year "
        f"beginning {start}, before ASU 2020-06 applies ({adopted}{status}: fiscal years "
        f"beginning after {after})")
