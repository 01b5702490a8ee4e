"""Blocked SGD on constant-plus-sparse inputs: the same SGD steps, tallies, snapshots and losses as
the dense blocked path within float rounding (float32 and float64, 150 steps), and through
``train.train(batching=Online(..., input_offset=c))``."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from toyscope import nets, train
from toyscope.train._online_fast import blocked_sgd
from toyscope.train._online_sparse import active_pixels

OFFSET = 1 / 16


def _pixels(n, d, seed, dtype):
    """Scaled 'pixels' (p + 1) / 16 with p in 0..15, p = 0 for about 80% of them; two groups."""
    rng = np.random.default_rng(seed)
    p = np.where(rng.random((n, d)) < 0.2, rng.integers(1, 16, (n, d)), 0)
    group = rng.integers(0, 2, n).astype(np.int32)
    return {"x": ((p + 1) / 16).astype(dtype), "y": np.eye(2, dtype=dtype)[group], "group": group}


def _close(a, b, rtol, atol):
    for x, y in zip(jax.tree_util.tree_leaves(a), jax.tree_util.tree_leaves(b)):
        np.testing.assert_allclose(np.asarray(x), np.asarray(y), rtol=rtol, atol=atol)


def test_active_pixels_cover_every_lit_pixel_of_the_block_and_are_distinct():
    data = _pixels(40, 30, 0, np.float32)
    orders = np.random.default_rng(1).integers(0, 40, (2, 24))
    active = active_pixels(data["x"], orders, 8, OFFSET)
    assert active.shape[:2] == (2, 3) and (active.shape[2] % 8 == 0 or active.shape[2] == 30) and active.shape[2] <= 30
    for e in range(2):
        for b in range(3):
            lit = np.flatnonzero((data["x"][orders[e, 8 * b:8 * b + 8]] != OFFSET).any(axis=0))
            assert set(lit) <= set(active[e, b]) and len(set(active[e, b])) == active.shape[2]


@pytest.mark.parametrize("dtype,rtol", [(np.float32, 2e-5), (np.float64, 1e-11)])
def test_sparse_equals_dense_blocked_sgd_over_150_steps(dtype, rtol):
    spec = nets.mlp([48, 9, 2], "softplus", "softplus")
    data = _pixels(80, 48, 2, dtype)
    with jax.enable_x64(dtype == np.float64):
        params = nets.init(spec, key=jax.random.key(0), n_networks=2, bias_scheme="same")
        params = jax.tree_util.tree_map(lambda p: jnp.asarray(p, dtype), params)
        order = np.random.default_rng(3).integers(0, 80, 150)  # 150 steps: blocks of 16, the last one padded
        kwargs = dict(learning_rate=0.5, block_size=16, n_groups=2, tally_from=30, snapshot_every=48, with_loss=True)
        dense = blocked_sgd(spec, params, data, order, **kwargs)
        sparse = blocked_sgd(spec, params, data, order, input_offset=OFFSET, **kwargs)
        assert jax.tree_util.tree_leaves(sparse[0])[0].dtype == dtype
    moved = np.abs(np.asarray(dense[0][0]["weight"]) - np.asarray(params[0]["weight"])).max()
    assert moved > 1e-2  # the run trains
    for a, b in zip(dense, sparse):
        if a is not None:
            _close(a, b, rtol=rtol, atol=rtol * 1e-2)


def test_train_and_fork_take_the_offset():
    spec = nets.mlp([40, 6, 2], "tanh", "linear")
    data = _pixels(64, 40, 4, np.float32)
    params = nets.init(spec, key=jax.random.key(1), n_networks=2, bias_scheme="same")
    objective, sgd = train.mlp_objective(spec, "softmax_ce"), train.Optimizer("sgd", 0.2)
    order = np.arange(64)
    aux = jax.tree_util.tree_map(lambda p: jnp.zeros((2, 2, *p.shape[1:])), params)
    dense, sparse = (train.train(objective, params, data, optimizer=sgd, n_steps=64, aux=aux, progress=None,
                                 batching=train.Online(order, block_size=16, input_offset=offset),
                                 observer=train.group_tally_observer(10))
                     for offset in (None, OFFSET))
    assert sparse.path == "blocked_online"
    _close(dense.params, sparse.params, 2e-5, 1e-6)
    _close(dense.aux, sparse.aux, 2e-5, 1e-6)
    with pytest.raises(ValueError, match="input_offset must be a finite float or None"):
        train.Online(order, input_offset=float("nan"))
