"""Blocked per-sample SGD against the plain engine (same SGD steps, tallies and forks)."""

from __future__ import annotations

import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from toyscope import nets, train

sys.path.insert(0, str(Path(__file__).parent))  # the shared reference loop, under any pytest import mode
from _online_reference import hand_sgd  # noqa: E402


def _task(n, d_in, seed, dtype):
    rng = np.random.default_rng(seed)
    group = rng.integers(0, 2, n).astype(np.int32)
    return {"x": rng.random((n, d_in)).astype(dtype), "y": np.eye(2, dtype=dtype)[group], "group": group}


def _leaves_close(a, b, rtol, atol):
    for x, y in zip(jax.tree_util.tree_leaves(a), jax.tree_util.tree_leaves(b)):
        np.testing.assert_allclose(np.asarray(x), np.asarray(y), rtol=rtol, atol=atol)


def test_blocked_sgd_and_tallies_equal_a_float64_hand_loop():
    spec = nets.mlp([30, 7, 2], "softplus", "softplus")
    data = _task(50, 30, 0, np.float32)
    params = nets.init(spec, key=jax.random.key(0), n_networks=2, bias_scheme="same")
    order = np.random.default_rng(1).integers(0, 50, 45)  # 45 steps: blocks of 8 with 3 no-op steps
    params_b, tallies_b, _, _ = train.blocked_online_sgd(spec, params, data, order, learning_rate=0.3,
                                                         block_size=8, n_groups=2, tally_from=20)
    for e in range(2):
        history, tallies = hand_sgd(spec, jax.tree_util.tree_map(lambda p: p[e], params), data, order, 0.3, tally_from=20)
        _leaves_close(jax.tree_util.tree_map(lambda p: p[e], params_b), history[-1], rtol=1e-5, atol=1e-6)
        for g in range(2):
            _leaves_close(jax.tree_util.tree_map(lambda t: t[e, g], tallies_b), tallies[g], rtol=1e-4, atol=1e-7)
    assert float(jnp.abs(tallies_b[0]["weight"]).sum()) > 0


def test_blocked_forks_match_engine_forks_in_float32_to_1e5():
    """Also a second activation and loss: tanh hidden units, softmax cross-entropy on logits."""
    spec = nets.mlp([64, 10, 2], "tanh", "linear")
    data = _task(120, 64, 2, np.float32)
    params = nets.init(spec, key=jax.random.key(3), n_networks=2, bias_scheme="same")
    subsets = [np.arange(0, 90), np.arange(30, 60), np.arange(119, 40, -1)]
    engine = train.train_forks(train.mlp_loss(spec, "softmax_ce"), params, {"x": data["x"], "y": data["y"]}, subsets,
                               learning_rate=0.1, snapshot_every=32, progress=None)
    blocked = train.blocked_forks(spec, params, data, subsets, learning_rate=0.1, loss="softmax_ce", block_size=16,
                                  snapshot_every=32)
    np.testing.assert_array_equal(blocked.snapshot_steps, engine.snapshot_steps)
    _leaves_close(blocked.params, engine.params, rtol=1e-5, atol=1e-5)
    _leaves_close(blocked.snapshots, engine.snapshots, rtol=1e-5, atol=1e-5)


def _zeros(widths):
    return [{"weight": np.zeros((1, a, b), np.float32), "bias": np.zeros((1, b), np.float32)}
            for a, b in zip(widths[:-1], widths[1:])]


def test_blocked_sgd_rejects_deeper_nets_and_bad_orders():
    spec = nets.mlp([4, 3, 3, 2], "softplus")
    data = _task(5, 4, 0, np.float32)
    with pytest.raises(ValueError, match="one-hidden-layer"):
        train.blocked_online_sgd(spec, _zeros(spec.widths), data, np.arange(5), learning_rate=0.1)
    spec = nets.mlp([4, 3, 2], "softplus")
    params = _zeros(spec.widths)
    with pytest.raises(ValueError, match="order indices"):
        train.blocked_online_sgd(spec, params, data, np.array([0, 5]), learning_rate=0.1)
