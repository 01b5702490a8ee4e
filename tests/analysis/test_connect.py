"""Mode connection: a permuted twin is found at barrier zero; barriers equal a plain loop over the path."""

from __future__ import annotations

import jax
import numpy as np
import pytest

from toyscope import analysis, nets, tasks


def test_a_deep_permuted_twin_aligns_exactly_and_the_barrier_matches_a_loop():
    spec = nets.mlp([2, 4, 3, 1], "tanh")
    a = nets.init(spec, key=jax.random.key(0), scheme="normal", scale=1.5)
    b = nets.permute_hidden_units(spec, a, np.array([3, 1, 0, 2]), 0)
    b = nets.permute_hidden_units(spec, b, np.array([2, 0, 1]), 1)
    data = tasks.xor_task()
    result = analysis.mode_connection(spec, a, b, data, loss="bce", n_points=11)
    assert result.distance_aligned == pytest.approx(0.0, abs=1e-6) and result.distance_raw > 0.1
    assert result.barrier_aligned == pytest.approx(0.0, abs=1e-6)
    # independent truth: the loss of the mixed params, point by point, in numpy
    theta_a, theta_b = (np.asarray(nets.flatten_params(p), np.float64) for p in (a, b))

    def bce(theta):
        h = data["x"].astype(np.float64)
        layers = nets.unflatten_params(spec, theta)
        for index, layer in enumerate(layers):
            h = h @ np.asarray(layer["weight"]) + np.asarray(layer["bias"])
            if index < len(layers) - 1:
                h = np.tanh(h)
        return float(np.mean(np.logaddexp(0, h) - data["y"] * h))

    losses = np.array([bce((1 - t) * theta_a + t * theta_b) for t in result.alphas])
    np.testing.assert_allclose(result.losses_raw, losses, rtol=1e-4)
    chord = (1 - result.alphas) * losses[0] + result.alphas * losses[-1]
    assert result.barrier_raw == pytest.approx((losses - chord).max(), abs=1e-5)


def test_one_hidden_layer_alignment_equals_align_hidden_units():
    spec = nets.mlp([2, 5, 1], "sigmoid")
    params = nets.init(spec, key=jax.random.key(1), n_networks=6)
    reference = nets.init(spec, key=jax.random.key(2))
    old = analysis.alignment_permutation(spec, params, reference)
    _, new = analysis.align_networks(spec, params, reference)
    np.testing.assert_array_equal(new[0], old)


def test_ensembles_and_nets_without_hidden_layers_are_refused():
    spec = nets.mlp([2, 3, 1])
    both = nets.init(spec, key=jax.random.key(0), n_networks=2)
    with pytest.raises(ValueError, match="ONE network"):
        analysis.mode_connection(spec, both, both, tasks.xor_task())
    flat = nets.mlp([2, 1])
    with pytest.raises(ValueError, match="at least one hidden layer"):
        analysis.align_networks(flat, nets.init(flat, key=jax.random.key(0), n_networks=2), nets.init(flat, key=jax.random.key(0)))
