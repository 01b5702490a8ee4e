"""Decision grids against a numpy forward pass point by point; the drawing's image, contour and points."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.colors import to_rgba
from matplotlib.contour import ContourSet
from matplotlib.figure import Figure

import jax

from toyscope import nets, tasks, viz

SPEC = nets.mlp([2, 3, 1], "tanh")


def _params(n=None, seed=0):
    rng = np.random.default_rng(seed)
    lead = () if n is None else (n,)
    return [{"weight": 3 * rng.normal(size=lead + (2, 3)).astype(np.float32),
             "bias": rng.normal(size=lead + (3,)).astype(np.float32)},
            {"weight": 3 * rng.normal(size=lead + (3, 1)).astype(np.float32),
             "bias": rng.normal(size=lead + (1,)).astype(np.float32)}]


def _probability(params, x1, x2, member=None):
    w0, b0, w1, b1 = (np.asarray(params[i][k], np.float64) for i, k in ((0, "weight"), (0, "bias"),
                                                                        (1, "weight"), (1, "bias")))
    if member is not None:
        w0, b0, w1, b1 = w0[member], b0[member], w1[member], b1[member]
    z = np.tanh(np.array([x1, x2]) @ w0 + b0) @ w1 + b1
    return 1 / (1 + np.exp(-z[0]))


def test_decision_grid_rows_are_x2_and_columns_x1():
    params = _params()
    grid = viz.decision_grid(SPEC, params, resolution=5, limits=(-1.0, 2.0))
    assert grid.shape == (5, 5)
    axis = np.linspace(-1.0, 2.0, 5)
    for i in range(5):
        for j in range(5):
            assert grid[i, j] == pytest.approx(_probability(params, axis[j], axis[i]), rel=1e-4, abs=1e-6)


def test_decision_grid_of_an_ensemble_is_one_grid_per_member():
    params = _params(n=3, seed=1)
    grid = viz.decision_grid(SPEC, params, resolution=4)
    assert grid.shape == (3, 4, 4)
    axis = np.linspace(0.0, 1.0, 4)
    for e in range(3):
        assert grid[e, 3, 0] == pytest.approx(_probability(params, axis[0], axis[3], e), rel=1e-4, abs=1e-6)


def test_decision_grid_saturates_without_overflow():
    params = _params()
    params[1]["bias"] = np.array([1e4], np.float32)
    grid = viz.decision_grid(SPEC, params, resolution=3)
    np.testing.assert_array_equal(grid, 1.0)


@pytest.mark.parametrize("widths", [[3, 2, 1], [2, 2, 2]])
def test_decision_grid_rejects_other_shapes(widths):
    spec = nets.mlp(widths)
    with pytest.raises(ValueError, match="2-input, 1-output") as info:
        viz.decision_grid(spec, None)
    assert "\n" not in str(info.value)


def test_plot_decision_draws_image_boundary_and_coloured_points():
    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], float)
    y = np.array([[0], [1], [1], [0]])
    grid = np.linspace(0, 1, 16).reshape(4, 4)  # crosses 0.5
    ax = Figure().add_subplot()
    viz.plot_decision(ax, grid, x, y, title="net 3")
    (image,) = ax.images
    np.testing.assert_array_equal(image.get_array(), grid)
    assert image.get_extent() == [0.0, 1.0, 0.0, 1.0] and image.get_clim() == (0, 1)
    assert image.get_cmap() is viz.DECISION_CMAP
    contours = [c for c in ax.collections if isinstance(c, ContourSet)]
    assert len(contours) == 1 and list(contours[0].levels) == [0.5] and len(ax.collections) == 2
    points = ax.collections[-1]
    np.testing.assert_array_equal(points.get_offsets(), x)
    pink, green = to_rgba("#e75480"), to_rgba("#2e9e5b")
    np.testing.assert_allclose(points.get_facecolors(), [green, pink, pink, green])
    assert ax.get_xlim() == pytest.approx((-0.04, 1.04)) and ax.get_title() == "net 3"
    # the colour map runs green (0) to pink (1)
    np.testing.assert_allclose(viz.DECISION_CMAP(0.0), green, atol=1e-2)
    np.testing.assert_allclose(viz.DECISION_CMAP(1.0), pink, atol=1e-2)


def test_plot_decision_of_a_constant_grid_has_no_boundary_and_no_points():
    ax = Figure().add_subplot()
    viz.plot_decision(ax, np.full((4, 4), 0.9))
    assert len(ax.images) == 1 and len(ax.collections) == 0


SPEC_221 = nets.mlp([2, 2, 1], "sigmoid")


def _plain_probability_221(params, x1, x2):
    h = 1 / (1 + np.exp(-(np.array([x1, x2]) @ np.asarray(params[0]["weight"]) + np.asarray(params[0]["bias"]))))
    z = h @ np.asarray(params[1]["weight"])[:, 0] + np.asarray(params[1]["bias"])[0]
    return 1 / (1 + np.exp(-z))


def test_one_panel_per_network_in_rows_of_four():
    ensemble = nets.init(SPEC_221, key=jax.random.key(1), n_networks=5, scheme="normal", scale=3.0)
    networks = [[{k: np.asarray(v)[e] for k, v in layer.items()} for layer in ensemble] for e in range(5)]
    data = tasks.xor_task()
    fig = viz.decision_boundaries_figure(SPEC_221, networks, [f"net {e}" for e in range(5)], data["x"], data["y"])
    axes = [ax for ax in fig.axes if ax.images or not ax.get_visible()]
    assert len(axes) == 8 and [ax.get_visible() for ax in axes] == [True] * 5 + [False] * 3
    for e, ax in enumerate(axes[:5]):
        assert ax.get_title() == f"net {e}"
        np.testing.assert_allclose(ax.images[0].get_array(), viz.decision_grid(SPEC_221, networks[e]))
        assert len(ax.collections[-1].get_offsets()) == 4  # the training points
