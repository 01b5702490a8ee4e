"""Pruning frontier and knock-outs: survivors along the sweep, and a knocked-out neuron against
zeroing its activation by hand."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest

from toyscope import analysis, nets


def test_pruning_frontier_and_knockout():
    rng = np.random.default_rng(3)
    spec = nets.layered_network([3, 5, 2])
    params = {"layers": [{"weight": rng.normal(size=(3, 5)).astype(np.float32), "bias": rng.normal(size=5).astype(np.float32)},
                         {"weight": rng.normal(size=(5, 2)).astype(np.float32), "bias": rng.normal(size=2).astype(np.float32)}],
              "input_order": np.arange(3, dtype=np.float32), "output_order": np.array([1.0, 0.0], np.float32)}
    x = rng.normal(size=(20, 3)).astype(np.float32)
    y = nets.apply(spec, params, x)
    loss = lambda p: jnp.mean((nets.apply(spec, p, x) - y) ** 2)  # noqa: E731
    survivors, losses = analysis.pruning_frontier(params, loss, n_thresholds=8)
    assert survivors[0] == 3 * 5 + 5 + 5 * 2 + 2 and survivors[-1] == 1
    assert np.all(np.diff(survivors) <= 0)
    assert losses[0] == pytest.approx(0.0, abs=1e-10) and losses[-1] > 0
    # knocking out hidden neuron 1 equals zeroing its activation by hand (outputs swapped back)
    knocked = analysis.knock_out_neurons(spec, params, [(1, 1)])
    z = x @ params["layers"][0]["weight"] + params["layers"][0]["bias"]
    h = z / (1 + np.exp(-z))
    h[:, 1] = 0.0
    by_hand = (h @ params["layers"][1]["weight"] + params["layers"][1]["bias"])[:, ::-1]
    np.testing.assert_allclose(nets.apply(spec, knocked, x), by_hand, rtol=1e-5, atol=1e-5)
    assert analysis.count_active(params, 0.0) == 3 * 5 + 5 + 5 * 2 + 2
