"""Decision grids and the one-panel-per-network figure against a plain evaluation of the network."""

from __future__ import annotations

import jax
import numpy as np
import pytest

from toyscope import nets, tasks, viz

SPEC = nets.mlp([2, 2, 1], "sigmoid")


def _plain_probability(params, x1, x2):
    h = 1 / (1 + np.exp(-(np.array([x1, x2]) @ np.asarray(params[0]["weight"]) + np.asarray(params[0]["bias"]))))
    z = h @ np.asarray(params[1]["weight"])[:, 0] + np.asarray(params[1]["bias"])[0]
    return 1 / (1 + np.exp(-z))


def test_grid_rows_are_x2_and_columns_x1():
    params = nets.init(SPEC, key=jax.random.key(0), scheme="normal", scale=3.0)
    grid = viz.decision_grid(SPEC, params, resolution=5)
    axis = np.linspace(0, 1, 5)
    for i in range(5):
        for j in range(5):
            assert grid[i, j] == pytest.approx(_plain_probability(params, axis[j], axis[i]), rel=1e-4)


def test_one_panel_per_network_in_rows_of_four():
    ensemble = nets.init(SPEC, key=jax.random.key(1), n_networks=5, scheme="normal", scale=3.0)
    networks = [[{k: np.asarray(v)[e] for k, v in layer.items()} for layer in ensemble] for e in range(5)]
    data = tasks.xor_task()
    fig = viz.decision_boundaries_figure(SPEC, networks, [f"net {e}" for e in range(5)], data["x"], data["y"])
    axes = [ax for ax in fig.axes if ax.images or not ax.get_visible()]
    assert len(axes) == 8 and [ax.get_visible() for ax in axes] == [True] * 5 + [False] * 3
    for e, ax in enumerate(axes[:5]):
        assert ax.get_title() == f"net {e}"
        np.testing.assert_allclose(ax.images[0].get_array(), viz.decision_grid(SPEC, networks[e]))
        assert len(ax.collections[-1].get_offsets()) == 4  # the training points
