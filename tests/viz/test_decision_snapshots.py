"""Decision snapshots: the softmax grid against a plain per-point loop, one panel per snapshot."""

from __future__ import annotations

import numpy as np
import pytest

from toyscope import nets, viz


def test_softmax_grid_equals_a_plain_loop_and_draws_one_panel_per_snapshot():
    spec = nets.layered_network([2, 3, 2], "silu")
    rng = np.random.default_rng(0)
    params = {"layers": [{"weight": rng.normal(size=(2, 3)).astype(np.float32), "bias": np.zeros(3, np.float32)},
                         {"weight": rng.normal(size=(3, 2)).astype(np.float32), "bias": np.zeros(2, np.float32)}],
              "input_order": np.arange(2, dtype=np.float32), "output_order": np.array([1.0, 0.0], np.float32)}
    grid = viz.softmax_grid(spec, params, limits=(-1.0, 1.0), resolution=5)
    axis = np.linspace(-1.0, 1.0, 5)
    for i, x2 in enumerate(axis):  # row i is x2, column j is x1; output slots swapped back
        for j, x1 in enumerate(axis):
            z = np.array([x1, x2]) @ params["layers"][0]["weight"]
            logits = (z / (1 + np.exp(-z))) @ params["layers"][1]["weight"]
            assert grid[i, j] == pytest.approx(np.exp(logits[0]) / np.exp(logits).sum(), rel=1e-5)
    fig = viz.decision_snapshots_figure(spec, [params, params, params], ["a", "b", "c"], rng.normal(size=(10, 2)),
                                        rng.integers(0, 2, 10), limits=(-1.0, 1.0), resolution=5)
    assert [ax.get_title() for ax in fig.axes] == ["a", "b", "c"]
