"""Teacher-student figures draw the data they are given, in the documented order."""

from __future__ import annotations

import jax
import numpy as np
import pytest
from matplotlib.lines import Line2D

from toyscope import theory, viz


@pytest.fixture(autouse=True)
def x64():
    with jax.enable_x64(True):
        yield


def test_neuron_alignment_orders_copies_before_averages():
    teacher = theory.orthonormal_teacher(4, 5)
    ca = theory.copy_average_configuration([3, 1], teacher)  # neuron 0 averages three, neuron 1 copies
    a, w = np.asarray(ca.a), np.asarray(ca.w)
    labels = theory.classify_neurons(a, w, np.asarray(teacher.w))
    assert [l.label for l in labels] == ["exact-average", "exact-copy"]
    fig = viz.neuron_alignment_figure(a, w, teacher.w, labels, "t")
    left, right = fig.axes
    heights = [p.get_height() for p in right.patches]
    norms = np.linalg.norm(w, axis=1)
    np.testing.assert_allclose(heights, [norms[1], norms[0], abs(a[1]), abs(a[0])])
    assert [t.get_text() for t in left.get_xticklabels()] == ["exact\ncopy", "exact\naverage"]


def test_convergence_losses_marks_gammas_at_gamma_times_k_and_colours_classes():
    classes = ["C-A optimal", "C-A optimal", "P-n-C", "other"]
    fig = viz.convergence_losses_figure([1, 2, 3, 3], [0.4, 0.3, 0.1, 0.2], classes, 5,
                                        {"gamma1": 0.4, "gamma2": None, "gamma3": 0.6}, (-0.1, 0.5),
                                        ca_optimal_losses=np.linspace(0.5, 0.0, 5))
    ax = fig.axes[0]
    vertical = [line.get_xdata()[0] for line in ax.lines if len(line.get_xdata()) == 2
                and line.get_xdata()[0] == line.get_xdata()[1]]
    assert vertical == pytest.approx([2.0, 3.0])
    points = {line.get_label(): list(line.get_xdata()) for line in ax.lines if isinstance(line, Line2D)}
    assert points["converged: C-A optimal"] == [1, 2] and points["converged: P-n-C"] == [3]
    np.testing.assert_allclose(points["P-n-C linear fit"], np.arange(1, 6))
    fit_line = [line for line in ax.lines if line.get_label() == "P-n-C linear fit"][0]
    np.testing.assert_allclose(fit_line.get_ydata(), 0.5 - 0.1 * np.arange(1, 6))


def test_flow_curves_drop_non_finite_points_and_colour_by_class():
    fig = viz.flow_curves_figure([np.array([1.0, np.nan, 10.0]), np.array([1.0, 2.0])],
                                 [np.array([1.0, 0.5, 0.1]), np.array([np.inf, 0.2])], ["P-n-C", "nowhere"])
    first, second = fig.axes[0].lines
    assert first.get_xdata().tolist() == [1.0, 10.0] and second.get_xdata().tolist() == [2.0]
    assert first.get_color() == viz.NETWORK_CLASS_COLOURS["P-n-C"]
    assert second.get_color() == viz.NETWORK_CLASS_COLOURS["other"]


def test_one_neuron_loss_draws_the_second_differences():
    losses = theory.one_neuron_losses(6)
    right = viz.one_neuron_loss_figure(losses).axes[1]
    points = right.lines[0]
    np.testing.assert_allclose(points.get_xdata(), [2, 3, 4, 5])
    np.testing.assert_allclose(points.get_ydata(), [losses[i + 1] - 2 * losses[i] + losses[i - 1] for i in range(1, 5)])


def test_gamma_against_k_draws_each_observed_value_with_its_interval():
    fig = viz.gamma_against_k_figure([20, 50, 100], {"gamma1": [(0.5, 0.45, 0.55), (None, None, None), (0.45, 0.4, 0.45)],
                                                     "gamma2": [(0.7, 0.65, 0.8)] * 3}, {"gamma1": 0.46})
    ax = fig.axes[0]
    first, second = ax.containers
    np.testing.assert_allclose(first.lines[0].get_xdata(), [20, 100])   # k = 50 unobserved: left out
    np.testing.assert_allclose(first.lines[0].get_ydata(), [0.5, 0.45])
    bars = np.asarray(first.lines[2][0].get_segments())[:, :, 1]  # (point, bottom/top) of each error bar
    np.testing.assert_allclose(bars, [[0.45, 0.55], [0.4, 0.45]])
    assert [line.get_ydata()[0] for line in ax.lines if line.get_linestyle() == ":"] == [0.46]
