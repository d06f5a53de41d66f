"""The grid builder's nearest-time searches: the compiled ones are QuantLib's ``closestIndex``
(``closest_index``) for every time, in any order."""

from __future__ import annotations

import numpy as np

from pipedeal.valuation.lattice.grid import closest, closest_from, closest_index


def test_compiled_searches_equal_closest_index_in_any_order():
    rng = np.random.default_rng(3)
    for n in (1, 2, 7, 120):
        times = np.arange(n + 1) * (1.7 / n)
        mids = (times[:-1] + times[1:]) / 2  # ties go to the earlier time
        ts = np.concatenate((rng.uniform(-0.2, 1.9, 200), mids, times, [-1e-13, 1.7 + 1e-9]))
        for order in (np.sort(ts), ts, np.sort(ts)[::-1]):
            at = 0
            for t in order:
                expected = closest_index(times, float(t))
                assert closest(times, t) == expected
                i, at = closest_from(times, t, at)
                assert i == expected, (n, t)
