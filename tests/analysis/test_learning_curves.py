"""Learning-curve readings against plain loops over members."""

import doctest

import numpy as np
import pytest

from toyscope import analysis
from toyscope.analysis import _learning_curves


def _first(times, column, reached):
    for t, v in zip(times, column):
        if reached(v):
            return t
    return np.nan


def test_first_times_match_a_loop_per_member():
    rng = np.random.default_rng(0)
    times = np.linspace(0, 10, 30)
    values = np.cumsum(rng.normal(size=(30, 6)), axis=0) + 10
    values[:, 5] = 10.0  # never halves
    below = analysis.first_time_below(times, values, 0.5)
    above = analysis.first_time_above(times, values, 0.9)
    for e in range(6):
        col = values[:, e]
        np.testing.assert_equal(below[e], _first(times, col, lambda v, c=col: v <= 0.5 * c[0]))
        np.testing.assert_equal(above[e], _first(times, col, lambda v, c=col: v >= 0.9 * c.max()))
    assert isinstance(analysis.first_time_below(times, values[:, 0], 0.5), float)
    assert np.isnan(analysis.first_time_above(times, np.zeros(30), 0.5))


def test_curve_gap_scales():
    values, reference = np.array([2.0, 1.5, 1.0]), np.array([4.0, 1.0, -8.0])
    assert analysis.curve_gap(values, reference) == pytest.approx(9 / 4)
    assert analysis.curve_gap(values, reference, scale="max") == pytest.approx(9 / 8)


def test_loss_fraction_is_the_mean_relative_to_the_start():
    loss = np.array([[2.0, 4.0], [1.0, 1.0], [0.0, 0.3]])
    np.testing.assert_allclose(analysis.loss_fraction(loss), [1.0, 2 / 6, 0.3 / 6])


def test_examples_run():
    assert doctest.testmod(_learning_curves).failed == 0
