"""Valuation: fair values and Greeks of the notes and warrants under named models.

Owns the numeric side of the flow (float64 arrays, numba kernels): Black–Scholes and warrant
dilution (``blackscholes``), binomial trees (``trees``), convertible-note lattices with the models
``tf``, ``hazard``, ``hull`` and ``ql`` (``lattice``: spec, grid, kernel, rollbacks, api;
``convertible`` re-exports its public names), date handling for model time (``dated``,
``daycount``), the batch pricer (``batch``: parse, build, runner) and the deal valued as it stands
(``deal``: the loaded deal's instruments plus the ledger state on the valuation date; its results
in ``results``). Imports ``terms``, ``market``, ``schedule``, ``pricing`` and ``instruments``;
nothing below imports it.
"""
