"""``pipedeal market ...``: daily prices from vendors' CSV files into the deal's closes."""

from __future__ import annotations
