"""How figures are written in JSON, one format per concept (``docs/json.md``).

Money is a string with two decimals ("1000000.00", "0.00"): exact, never rounded here — an amount
with more places than cents (none in pipedeal's own figures) keeps them. Prices per share keep
the places they have ("1.53", "0.765"); counts of shares are JSON integers; dates are ISO strings.
"""

from __future__ import annotations

from decimal import Decimal

CENT = Decimal("0.01")


def money_json(value: Decimal | None) -> str | None:
    """``value`` as JSON money: "1234.50"; None stays None."""
    if value is None:
        return None
    cents = value.quantize(CENT)
    return format(cents if cents == value else value, "f")
