"""Shared plotting helpers: the artists drawn carry exactly the input data, colours and labels."""

from __future__ import annotations

import threading

import numpy as np
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure

from toyscope import viz


def _axes():
    return Figure().add_subplot()


def test_new_figure_sizes_and_axes_grid():
    fig, ax = viz.new_figure(5, 3)
    assert isinstance(fig, Figure) and tuple(fig.get_size_inches()) == (5, 3) and ax.figure is fig
    fig, axes = viz.new_figure(nrows=2, ncols=3, sharex=True)
    assert axes.shape == (2, 3) and len(fig.axes) == 6
    assert axes[0, 0].get_shared_x_axes().joined(axes[0, 0], axes[1, 2])


def test_new_figure_works_off_the_main_thread():
    out = {}

    def build():
        fig, ax = viz.new_figure()
        ax.plot([0, 1], [1, 0])
        fig.canvas.draw()  # Agg canvas without pyplot
        out["lines"] = len(ax.lines)

    thread = threading.Thread(target=build)
    thread.start()
    thread.join()
    assert out["lines"] == 1


def test_scatter_by_label_one_collection_per_present_label_with_its_points():
    rng = np.random.default_rng(0)
    points = rng.normal(size=(12, 2))
    labels = np.array(["b", "a", "c", "a", "b", "a", "c", "a", "b", "a", "a", "a"])
    ax = _axes()
    viz.scatter_by_label(ax, points, labels, order=["a", "z", "b", "c"], names={"a": "alpha", "b": "beta", "c": "gamma"})
    collections = ax.collections
    assert len(collections) == 3  # "z" has no points and draws nothing
    for collection, (i, label) in zip(collections, [(0, "a"), (2, "b"), (3, "c")]):
        np.testing.assert_array_equal(collection.get_offsets(), points[labels == label])
        np.testing.assert_allclose(collection.get_facecolor()[0][:3], to_rgba(viz.PALETTE[i])[:3])
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["alpha (7)", "beta (3)", "gamma (2)"]


def test_scatter_by_label_default_order_and_no_legend():
    points = np.arange(8.0).reshape(4, 2)
    ax = _axes()
    viz.scatter_by_label(ax, points, np.array([2, 10, 2, 1]), legend=False)
    assert ax.get_legend() is None
    # labels sorted as strings: "1" < "10" < "2"
    assert [c.get_label() for c in ax.collections] == ["1 (1)", "10 (1)", "2 (2)"]
    np.testing.assert_array_equal(ax.collections[2].get_offsets(), points[[0, 2]])


def test_quantile_band_draws_the_median_and_the_quantile_band():
    rng = np.random.default_rng(1)
    x = np.arange(6.0)
    values = rng.normal(size=(6, 25))
    ax = _axes()
    viz.quantile_band(ax, x, values, color="#009e73", label="runs", quantiles=(0.25, 0.5, 0.75))
    (line,) = ax.lines
    assert line.get_label() == "runs" and to_rgba(line.get_color()) == to_rgba("#009e73")
    np.testing.assert_array_equal(line.get_xdata(), x)
    medians = [sorted(row)[12] for row in values]  # 25 values: the 13th is the median
    np.testing.assert_allclose(line.get_ydata(), medians)
    (band,) = ax.collections
    vertices = band.get_paths()[0].vertices
    low = [np.quantile(row, 0.25) for row in values]
    high = [np.quantile(row, 0.75) for row in values]
    for xi, lo, hi in zip(x, low, high):  # the band's outline passes through (x, low) and (x, high)
        at_x = vertices[np.isclose(vertices[:, 0], xi), 1]
        assert np.isclose(at_x, lo).any() and np.isclose(at_x, hi).any()


def test_heatmap_symmetric_scale_labels_and_colour_bar():
    matrix = np.array([[0.5, -2.0], [1.0, 0.0]])
    ax = _axes()
    viz.heatmap(ax, matrix, labels=["u", "v"], title="C")
    (image,) = ax.images
    np.testing.assert_array_equal(image.get_array(), matrix)
    assert image.get_clim() == (-2.0, 2.0) and image.get_cmap().name == "RdBu_r"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["u", "v"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["u", "v"]
    assert ax.get_title() == "C" and len(ax.figure.axes) == 2  # the colour bar has its own axes


def test_heatmap_unsymmetric_scale_follows_the_data():
    ax = _axes()
    viz.heatmap(ax, np.array([[1.0, 3.0], [2.0, 5.0]]), symmetric=False, cmap="viridis")
    assert ax.images[0].get_clim() == (1.0, 5.0)
    assert ax.images[0].get_cmap().name == "viridis"


def test_palette_is_distinct_valid_colours():
    assert len(set(viz.PALETTE)) == len(viz.PALETTE) == 9
    for colour in viz.PALETTE:
        to_rgba(colour)  # raises ValueError on an invalid colour
