"""Per-sample SGD with group tallies, and forks, against a plain Python loop of SGD steps."""

from __future__ import annotations

import sys
from pathlib import Path

import jax
import numpy as np
import pytest

from toyscope import nets, train

sys.path.insert(0, str(Path(__file__).parent))  # the shared reference loop, under any pytest import mode
from _online_reference import hand_sgd  # noqa: E402


def _task(n=13, d_in=4, seed=0):
    rng = np.random.default_rng(seed)
    group = rng.integers(0, 2, n).astype(np.int32)
    return {"x": rng.random((n, d_in)).astype(np.float32), "y": np.eye(2, dtype=np.float32)[group], "group": group}


def _close(a, b, **kw):
    for x, y in zip(jax.tree_util.tree_leaves(a), jax.tree_util.tree_leaves(b)):
        np.testing.assert_allclose(np.asarray(x), np.asarray(y), **kw)


def test_tallies_equal_a_hand_loop_with_padding_and_a_late_start():
    spec = nets.mlp([4, 3, 2], "softplus", "softplus")
    data = _task()
    params = nets.init(spec, key=jax.random.key(0), n_networks=2, bias_scheme="same")
    order = np.array([3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5])  # 11 steps, chunks of 4 -> one no-op pad step
    result = train.online_sgd_with_tallies(train.mlp_loss(spec, "mse"), params, data, learning_rate=0.5,
                                           order=order, tally_from=4, chunk_steps=4, progress=None)
    assert result.loss.shape == (11, 2)
    for e in range(2):
        member = jax.tree_util.tree_map(lambda p: p[e], params)
        history, tallies = hand_sgd(spec, member, data, order, 0.5, tally_from=4)
        _close(jax.tree_util.tree_map(lambda p: p[e], result.params), history[-1], rtol=1e-5, atol=1e-6)
        for g in range(2):
            _close(jax.tree_util.tree_map(lambda t: t[e, g], result.aux), tallies[g], rtol=1e-4, atol=1e-7)
        assert sum(float(np.sum(t)) for t in jax.tree_util.tree_leaves(tallies[0])) > 0


def test_tally_validation():
    spec = nets.mlp([4, 3, 2], "softplus")
    params = [{"weight": np.zeros((1, 4, 3), np.float32), "bias": np.zeros((1, 3), np.float32)},
              {"weight": np.zeros((1, 3, 2), np.float32), "bias": np.zeros((1, 2), np.float32)}]
    bad = dict(_task(), group=np.full(13, 2, np.int32))
    with pytest.raises(ValueError, match="group"):
        train.online_sgd_with_tallies(train.mlp_loss(spec), params, bad, learning_rate=0.1, progress=None)
    with pytest.raises(ValueError, match="order indices"):
        train.online_sgd_with_tallies(train.mlp_loss(spec), params, _task(), learning_rate=0.1, order=np.array([13]),
                                      progress=None)


def test_forks_and_their_snapshots_equal_separate_hand_runs():
    spec = nets.mlp([4, 3, 2], "tanh", "softplus")
    data = _task(n=20, seed=1)
    params = nets.init(spec, key=jax.random.key(1), n_networks=2, bias_scheme="same")
    subsets = [np.array([0, 2, 4, 6, 8]), np.array([1, 3, 5]), np.array([19, 18, 17, 16, 15, 14, 13])]
    result = train.train_forks(train.mlp_loss(spec, "mse"), params, {"x": data["x"], "y": data["y"]}, subsets,
                               learning_rate=0.3, snapshot_every=2, progress=None)
    assert list(result.snapshot_steps) == [0, 2, 4, 6, 8]  # padded from 7 to 8 steps
    for k, subset in enumerate(subsets):
        for e in range(2):
            member = jax.tree_util.tree_map(lambda p: p[e], params)
            history, _ = hand_sgd(spec, member, data, subset, 0.3)
            _close(jax.tree_util.tree_map(lambda p: p[k, e], result.params), history[-1], rtol=1e-5, atol=1e-6)
            for s, step in enumerate(result.snapshot_steps):
                snap = jax.tree_util.tree_map(lambda p: p[s, k, e], result.snapshots)
                _close(snap, history[min(int(step), len(subset))], rtol=1e-5, atol=1e-6)
        assert np.isfinite(result.losses[k, :, :subset.size]).all()
        assert np.isnan(result.losses[k, :, subset.size:]).all()
    with pytest.raises(ValueError, match="non-empty"):
        train.train_forks(train.mlp_loss(spec), params, data, [np.array([], int)], learning_rate=0.1)
