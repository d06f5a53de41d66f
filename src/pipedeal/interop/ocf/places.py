"""US states and the District of Columbia by name, with their ISO 3166-2 subdivision codes.

The deal file names the state of incorporation in words (``state = "Delaware"``); OCF wants the
code (``DE``). The table is the filings reader's (``pipedeal.filings.cover.STATES``), plus DC.
"""

from __future__ import annotations

from pipedeal.filings.cover import STATES

STATE_NAMES: dict[str, str] = {**STATES, "DC": "District of Columbia"}
"""Two-letter code → name as the deal file writes it (``DE`` → ``Delaware``)."""

US_STATES: dict[str, str] = {name.lower(): code for code, name in STATE_NAMES.items()}
"""Lower-case name → two-letter code."""
