"""``pipedeal export-ocf`` / ``import-ocf``: the deal as an Open Cap Table Format package."""

from __future__ import annotations
