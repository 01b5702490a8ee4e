"""Zero-shot figures draw means and intervals of the errors they are given."""

import doctest

import numpy as np

from toyscope import analysis, viz
from toyscope.viz import _zero_shot


def test_route_error_figure_draws_geometric_means_with_log_scale_intervals():
    trained = [np.array([0.1, 0.2, 0.3]), np.array([0.0, 0.1, 0.2])]
    untrained = [np.array([1.0, 2.0, 3.0]), np.array([0.5, 0.5, 0.8])]
    fig = viz.route_error_figure([0.1, 0.5], trained, untrained, title="t")
    ax = fig.axes[0]
    mean_lines = [line for line in ax.get_lines() if len(line.get_xdata()) == 2 and line.get_marker() == "o"]
    geometric = [np.exp(np.log(v).mean()) for v in untrained]  # errors are positive: centre on the log scale
    np.testing.assert_allclose(mean_lines[1].get_ydata(), geometric)
    logs = np.log(untrained[0])
    half = 4.302652729911275 * logs.std(ddof=1) / np.sqrt(3)  # t_{0.975, 2}
    bar = ax.containers[1].lines[2][0].get_segments()[0]  # the untrained interval at K/M = 0.1
    np.testing.assert_allclose(bar, [[0.1, np.exp(logs.mean() - half)], [0.1, np.exp(logs.mean() + half)]])
    assert bar[0][1] > 0  # inside the support, where the t interval of the raw values is not
    assert analysis.mean_interval(trained[1])[1] < 0


def test_init_scale_figure_lines():
    losses = [np.array([[2.0, 2.0], [1.0, 1.0]]), np.array([[1.0, 3.0], [1.0, 1.0]])]
    fig = viz.init_scale_figure(np.arange(2), losses, [0.2, 2.5], [0.0, 0.1], [0.0, 0.9])
    np.testing.assert_allclose(fig.axes[0].get_lines()[1].get_ydata(), [1.0, 0.5])
    np.testing.assert_allclose(fig.axes[1].get_lines()[1].get_ydata(), [0.0, 0.9])


def test_classification_figure_marks_chance():
    panel = {"x": [0.1, 0.4], "trained": [0.1, 0.1], "untrained": [0.8, 0.2], "xlabel": "K / M", "title": "c"}
    fig = viz.classification_error_figure([panel], chance=0.9)
    lines = fig.axes[0].get_lines()
    np.testing.assert_allclose(lines[1].get_ydata(), [0.8, 0.2])
    np.testing.assert_allclose(lines[2].get_ydata(), [0.9, 0.9])


def test_examples_run():
    assert doctest.testmod(_zero_shot).failed == 0
