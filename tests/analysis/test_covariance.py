"""Activation covariance: unit activations against a numpy forward pass, scores against loops."""

from __future__ import annotations

import jax
import numpy as np
import pytest

from toyscope import analysis, nets


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def _one_net(spec, seed=0):
    return nets.init(spec, key=jax.random.key(seed), scheme="normal", scale=1.0)


def test_unit_activations_equal_a_numpy_forward_pass():
    spec = nets.mlp([3, 4, 2, 1], "tanh")
    params = _one_net(spec)
    x = np.random.default_rng(0).normal(size=(7, 3)).astype(np.float32)
    w = [np.asarray(p["weight"], np.float64) for p in params]
    b = [np.asarray(p["bias"], np.float64) for p in params]
    h1 = np.tanh(x @ w[0] + b[0])
    h2 = np.tanh(h1 @ w[1] + b[1])
    out = h2 @ w[2] + b[2]
    raw = analysis.unit_activations(spec, params, x, output="raw")
    assert raw.shape == (7, 4 + 2 + 1) and raw.dtype == np.float64
    np.testing.assert_allclose(raw, np.concatenate([h1, h2, out], 1), rtol=1e-5, atol=1e-6)
    probs = analysis.unit_activations(spec, params, x)  # linear output reported as its sigmoid
    np.testing.assert_allclose(probs, np.concatenate([h1, h2, _sigmoid(out)], 1), rtol=1e-5, atol=1e-6)


def test_unit_activations_keep_a_nonlinear_output_as_is():
    spec = nets.mlp([2, 3, 1], "relu", "sigmoid")
    params = _one_net(spec, 1)
    x = np.random.default_rng(1).normal(size=(5, 2))
    np.testing.assert_allclose(analysis.unit_activations(spec, params, x),
                               analysis.unit_activations(spec, params, x, output="raw"))


def test_unit_activations_reject_ensembles_and_unknown_outputs():
    spec = nets.mlp([2, 3, 1])
    ensemble = nets.init(spec, key=jax.random.key(0), n_networks=2)
    with pytest.raises(ValueError, match="one network"):
        analysis.unit_activations(spec, ensemble, np.zeros((1, 2)))
    with pytest.raises(ValueError, match="output must be") as info:
        analysis.unit_activations(spec, _one_net(spec), np.zeros((1, 2)), output="softmax")
    assert "\n" not in str(info.value)


def test_activation_covariance_against_a_loop():
    a = np.random.default_rng(2).normal(size=(11, 4))
    mean = a.sum(0) / 11
    expected = np.zeros((4, 4))
    for row in a:
        expected += np.outer(row - mean, row - mean)
    np.testing.assert_allclose(analysis.activation_covariance(a), expected / 11)
    # a constant unit has zero variance and no covariance
    a[:, 2] = 5.0
    c = analysis.activation_covariance(a)
    np.testing.assert_allclose(c[2], 0.0, atol=1e-12)


def test_covariance_rank_counts_the_underlying_features_of_a_network():
    """A linear net of hidden widths 5 on inputs spanning 2 directions: every unit is affine in 2 features."""
    spec = nets.mlp([4, 5, 3], "linear")
    params = _one_net(spec, 3)
    x = np.random.default_rng(3).normal(size=(40, 2)) @ np.random.default_rng(4).normal(size=(2, 4))
    acts = analysis.unit_activations(spec, params, x, output="raw")
    s = np.linalg.svd(analysis.activation_covariance(acts), compute_uv=False)
    assert analysis.effective_rank(s) == 2


def test_effective_rank_thresholds():
    assert analysis.effective_rank([10.0, 1.0, 0.2, 0.05]) == 3
    assert analysis.effective_rank([10.0, 1.0, 0.2, 0.05], relative_threshold=0.05) == 2
    assert analysis.effective_rank([8.0, 0.5], relative_threshold=0.0625) == 1  # exactly at the threshold is not above it
    assert analysis.effective_rank([0.0, 0.0]) == 0 and analysis.effective_rank([]) == 0


def test_block_structure_score_against_a_loop():
    rng = np.random.default_rng(5)
    m = rng.normal(size=(7, 7))
    blocks = [[0, 2], [1, 3, 4]]  # units 5 and 6 in no block
    label = {0: 0, 2: 0, 1: 1, 3: 1, 4: 1}
    within = total = 0.0
    for i in range(7):
        for j in range(7):
            if i != j:
                total += m[i, j] ** 2
                if i in label and j in label and label[i] == label[j]:
                    within += m[i, j] ** 2
    assert analysis.block_structure_score(m, blocks) == pytest.approx(within / total)
    assert np.isnan(analysis.block_structure_score(np.eye(3), [[0, 1]]))  # no off-diagonal mass


def test_block_structure_baseline_counts_within_block_pairs():
    blocks = [[0, 1, 2], [3, 4]]
    pairs = [(i, j) for i in range(6) for j in range(6) if i != j]
    same = [(i, j) for i, j in pairs if any(i in b and j in b for b in blocks)]
    assert analysis.block_structure_baseline(6, blocks) == pytest.approx(len(same) / len(pairs))


def test_covariance_rank_and_block_score():
    rng = np.random.default_rng(0)
    acts = rng.normal(size=(16, 9))
    np.testing.assert_allclose(analysis.activation_covariance(acts), np.cov(acts.T, bias=True))
    low_rank = rng.normal(size=(16, 3)) @ rng.normal(size=(3, 9))
    s = np.linalg.svd(analysis.activation_covariance(low_rank), compute_uv=False)
    assert analysis.effective_rank(s) == 3
    blocks = [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
    block_diag = np.kron(np.eye(3), np.ones((3, 3)))
    assert analysis.block_structure_score(block_diag, blocks) == 1.0
    assert analysis.block_structure_score(np.ones((9, 9)), blocks) == pytest.approx(
        analysis.block_structure_baseline(9, blocks))
