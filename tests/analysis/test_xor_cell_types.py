"""XOR cell types against a plain loop over units."""

import doctest

import numpy as np

from toyscope import analysis
from toyscope.analysis import _xor_cell_types


def test_cell_types_match_a_loop_over_units():
    rng = np.random.default_rng(0)
    w, a = rng.normal(size=(3, 2, 40)), rng.normal(size=(3, 40))
    types = analysis.xor_cell_types(w, a)
    for e in range(3):
        strength = [abs(a[e, j]) * np.hypot(w[e, 0, j], w[e, 1, j]) for j in range(40)]
        for j in range(40):
            active = strength[j] > 0.1 * max(strength)
            angle = np.degrees(np.arctan2(w[e, 1, j], w[e, 0, j]))
            nearest = min(abs(angle - diagonal) for diagonal in (45, 135, -45, -135))
            assert types.active[e, j] == active
            assert types.in_type[e, j] == (active and nearest < 15)
        for q, (sx, sy) in enumerate(analysis.XOR_QUADRANTS):
            expected = sum(types.active[e, j] and np.sign(w[e, 0, j]) == sx and np.sign(w[e, 1, j]) == sy
                           for j in range(40))
            assert types.quadrant_counts[e, q] == expected


def test_examples_run():
    assert doctest.testmod(_xor_cell_types).failed == 0
