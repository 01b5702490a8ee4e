"""The connectivity drawing: one line per visible weight, colour by sign, width by |w| / max |w|."""

import matplotlib.figure
import numpy as np
import pytest
from matplotlib.collections import LineCollection
from matplotlib.colors import to_rgba

from toyscope import viz
from toyscope.viz._connectivity import NEGATIVE, POSITIVE, RASTERIZE_ABOVE


def _line_collections(weights, coordinates):
    ax = matplotlib.figure.Figure().add_subplot()
    viz.draw_connectivity(ax, weights, coordinates)
    return [c for c in ax.collections if isinstance(c, LineCollection)]


def test_lines_follow_weights_and_large_layers_are_rasterised():
    rng = np.random.default_rng(0)
    small = np.array([[1.0, -0.5], [0.0, 0.25]])
    big = rng.normal(size=(80, 80))  # 6,400 lines > RASTERIZE_ABOVE
    coordinates = [np.c_[np.arange(2.0), np.zeros(2)], np.c_[np.arange(2.0), np.ones(2)]]
    (lines,) = _line_collections([small], coordinates)
    assert len(lines.get_segments()) == 3 and not lines.get_rasterized()  # the zero weight is not drawn
    np.testing.assert_allclose(lines.get_linewidths(), 2.5 * np.array([1.0, 0.5, 0.25]))
    np.testing.assert_allclose(lines.get_colors(), [to_rgba(POSITIVE), to_rgba(NEGATIVE), to_rgba(POSITIVE)])
    grid = [np.c_[np.arange(80.0), np.full(80, y)] for y in (0.0, 1.0)]
    (lines,) = _line_collections([big], grid)
    visible = int((np.abs(big) > 1e-3 * np.abs(big).max()).sum())  # lines thinner than 1e-3 of the widest are skipped
    assert visible > RASTERIZE_ABOVE and len(lines.get_segments()) == visible and lines.get_rasterized()


def test_pruning_frontier_figure_draws_each_seed_as_given():
    frontiers = [(np.array([100, 10, 1]), np.array([1e-3, 1e-2, 1.0 + s])) for s in range(7)]
    ax = viz.pruning_frontier_figure(frontiers, ylabel="test loss (last token)", max_labels=5).axes[0]
    assert len(ax.lines) == 7 and ax.get_xscale() == ax.get_yscale() == "log"
    np.testing.assert_array_equal(ax.lines[6].get_ydata(), frontiers[6][1])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [f"seed {s}" for s in range(5)]
    assert ax.get_ylabel() == "test loss (last token)"


def test_a_layered_networks_slots_are_labelled_by_the_variables_they_hold():
    from toyscope import nets

    spec = nets.layered_network([3, 2, 2])
    params = {"layers": [{"weight": np.ones((3, 2), np.float32), "bias": np.zeros(2, np.float32)},
                         {"weight": np.ones((2, 2), np.float32), "bias": np.zeros(2, np.float32)}],
              "input_order": np.array([2, 0, 1], np.float32), "output_order": np.array([1, 0], np.float32)}
    fig = viz.network_connectivity_figure(spec, params, input_names=["a", "b", "c"], output_names=["u", "v"])
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert texts.index("c") < texts.index("a") < texts.index("b")  # slot 0 holds c, slot 1 a, slot 2 b
    assert texts.index("v") < texts.index("u")


def test_pruning_frontier_figure_names_lines_and_shades_bands():
    n = np.array([40, 20, 10])
    lines = [(n, np.array([1e-3, 1e-2, 0.1])), (n, np.array([2e-3, 3e-2, 0.2]))]
    bands = [(line[1] / 2, line[1] * 2) for line in lines]
    ax = viz.pruning_frontier_figure(lines, labels=["bimt", "l1"], bands=bands, reference=0.05).axes[0]
    assert len(ax.lines) == 3 and list(ax.lines[2].get_ydata()) == [0.05, 0.05]  # the dotted reference
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["bimt", "l1"]
    assert len(ax.collections) == 2  # one shaded band per line
    low, high = ax.collections[1].get_paths()[0].vertices[:, 1].min(), ax.collections[1].get_paths()[0].vertices[:, 1].max()
    assert (low, high) == pytest.approx((1e-3, 0.4))
    with pytest.raises(ValueError, match="labels must name every line"):
        viz.pruning_frontier_figure(lines, labels=["bimt"])
