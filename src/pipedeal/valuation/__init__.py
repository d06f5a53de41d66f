"""Valuation: fair values and Greeks of the notes and warrants under named models.

Owns the numeric side of the flow (float64 arrays, numba kernels): Black–Scholes and warrant
dilution (``blackscholes``), binomial trees (``trees``), convertible-note lattices with the models
``tf``, ``hazard``, ``hull`` and ``ql`` (``convertible``), date handling for model time (``dated``,
``daycount``), the batch pricer (``batch``) and the deal integration (``market.toml``, ``deal``).
Imports ``terms``, ``schedule`` and ``pricing``; nothing below imports it.
"""
