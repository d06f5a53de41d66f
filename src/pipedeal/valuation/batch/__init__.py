"""Many notes in one call: a CSV of PIPE-shaped notes → values (``pipedeal value-batch``).

``parse`` reads the file into ``BatchNote`` rows (whole, or ``iter_batch_csv`` in chunks);
``build`` turns a note into lattice inputs (``prepare_fast`` in Python, ``_build_note``
compiled; both place the contract on the grid with ``lattice.grid.fill_grid``); ``runner``
prices notes in blocks on a thread pool (``price_notes``) with the same rollbacks as single
notes.

Caching: the ``cache=True`` functions of ``build`` and ``runner`` compile in the kernels of
``pipedeal.valuation.lattice``, and numba keys a cache entry on its own file only. After editing
a kernel there during development, delete ``src/pipedeal/valuation/**/__pycache__/*.nb[ic]`` or
these modules keep the old kernel. (An install writes every file anew, so users are not
affected.)
"""

from __future__ import annotations

from pipedeal.valuation.batch.build import prepare, prepare_fast
from pipedeal.valuation.batch.parse import (
    OPTIONAL,
    REQUIRED,
    BatchNote,
    check_header,
    iter_batch_csv,
    iter_batch_rows,
    parse_lines,
    parse_row,
    read_batch_csv,
)
from pipedeal.valuation.batch.runner import price_notes, price_setups

__all__ = [
    "OPTIONAL",
    "REQUIRED",
    "BatchNote",
    "check_header",
    "iter_batch_csv",
    "iter_batch_rows",
    "parse_lines",
    "parse_row",
    "prepare",
    "prepare_fast",
    "price_notes",
    "price_setups",
    "read_batch_csv",
]
