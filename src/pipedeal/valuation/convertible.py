"""Convertible-note lattices under their historical name: re-exports the public names of
``pipedeal.valuation.lattice``, where the code lives (``spec``, ``grid``, ``kernel``,
``rollback_ql``, ``rollback_tfhz``, ``tfhz_passes``, ``api``; the models are described there)."""

from __future__ import annotations

from pipedeal.valuation.lattice import *  # noqa: F403
from pipedeal.valuation.lattice import __all__ as __all__
