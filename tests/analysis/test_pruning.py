"""Pruning frontier and knock-outs: survivors along the sweep, and a knocked-out neuron against
zeroing its activation by hand."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest

from toyscope import analysis, nets


def _random_network(rng, hidden: int):
    """A 3-``hidden``-2 layered SiLU net with N(0, 1) params drawn from ``rng`` (weight, bias per
    layer) and its two output slots swapped."""
    spec = nets.layered_network([3, hidden, 2])
    layers = []
    for a, b in ((3, hidden), (hidden, 2)):
        layers.append({"weight": rng.normal(size=(a, b)).astype(np.float32), "bias": rng.normal(size=b).astype(np.float32)})
    return spec, {"layers": layers, "input_order": np.arange(3, dtype=np.float32),
                  "output_order": np.array([1.0, 0.0], np.float32)}


def test_pruning_frontier_and_knockout():
    rng = np.random.default_rng(3)
    spec, params = _random_network(rng, 5)
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


def _numpy_mse(params, x, y):
    """The 3-4-2 SiLU layered net's MSE in plain numpy (output slots swapped back by output_order)."""
    z = x @ params["layers"][0]["weight"] + params["layers"][0]["bias"]
    out = (z / (1 + np.exp(-z))) @ params["layers"][1]["weight"] + params["layers"][1]["bias"]
    return float(np.mean((out[:, np.argsort(params["output_order"])] - y) ** 2))


def _numpy_pruned(params, budget):
    """Keep the ``budget`` largest |p| (ties: leaf order, then flat order) by a plain loop."""
    names = [(i, k) for i in range(len(params["layers"])) for k in sorted(params["layers"][i])]
    flat = np.concatenate([params["layers"][i][k].ravel() for i, k in names])
    keep = np.zeros(flat.size, bool)
    for _ in range(budget):  # pick the largest remaining, first on ties
        best = max((j for j in range(flat.size) if not keep[j]), key=lambda j: (abs(flat[j]), -j))
        keep[best] = True
    pruned, start = {**params, "layers": [dict(layer) for layer in params["layers"]]}, 0
    for i, k in names:
        size = params["layers"][i][k].size
        pruned["layers"][i][k] = np.where(keep[start:start + size], flat[start:start + size], 0.0).reshape(
            params["layers"][i][k].shape)
        start += size
    return pruned


def test_pruned_losses_keep_the_largest_parameters_as_a_plain_loop_does():
    rng = np.random.default_rng(5)
    spec, params = _random_network(rng, 4)
    params["layers"][0]["weight"][0, :2] = 0.5  # a tie, and a weight equal in size to a bias
    params["layers"][0]["bias"][0] = -0.5
    x = rng.normal(size=(16, 3)).astype(np.float32)
    y = rng.normal(size=(16, 2)).astype(np.float32)
    loss = lambda p: jnp.mean((nets.apply(spec, p, x) - y) ** 2)  # noqa: E731
    budgets = np.arange(0, 27)
    losses = analysis.pruned_losses(params, loss, budgets)
    by_loop = [_numpy_mse(_numpy_pruned(params, int(n)), x, y) for n in budgets]
    np.testing.assert_allclose(losses, by_loop, rtol=1e-4, atol=1e-6)
    # the fewest parameters reaching a target, against a loop over the budgets
    for target in (np.median(losses), losses.min(), -1.0):
        expected = next((int(n) for n in budgets if losses[n] <= target), None)
        assert analysis.parameters_needed(budgets, losses, target) == expected
    with pytest.raises(ValueError, match="budgets must be a 1-D list of integers in \\[0, 26\\]"):
        analysis.pruned_losses(params, loss, [27])
    with pytest.raises(ValueError, match="one length"):
        analysis.parameters_needed([1, 2], [0.1], 0.1)
