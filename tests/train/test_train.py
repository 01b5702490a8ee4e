"""The one entry point: dispatch to the fast paths is bit-identical to calling them directly and
matches the general engine and plain loops; no-op steps and forks (the deprecated flat keywords and
wrappers: test_legacy.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from toyscope import nets, train
from toyscope.train import _online_fast, _small

sys.path.insert(0, str(Path(__file__).parent))  # the shared reference loop, under any pytest import mode
from _online_reference import _FUNCTIONS, assert_same_tree, hand_sgd  # noqa: E402

XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], np.float32)
XOR_Y = np.array([[0], [1], [1], [0]], np.float32)


def _close(a, b, rtol=1e-5, atol=1e-6):
    for x, y in zip(jax.tree_util.tree_leaves(a), jax.tree_util.tree_leaves(b)):
        np.testing.assert_allclose(np.asarray(x), np.asarray(y), rtol=rtol, atol=atol)


def _task(n, d_in, seed):
    rng = np.random.default_rng(seed)
    group = rng.integers(0, 2, n).astype(np.int32)
    return {"x": rng.random((n, d_in)).astype(np.float32), "y": np.eye(2, dtype=np.float32)[group], "group": group}


def _member(tree, e):
    return jax.tree_util.tree_map(lambda p: np.asarray(p)[e], tree)


# --- small-ensemble dispatch -----------------------------------------------------------------

def test_full_batch_sgd_on_a_large_tiny_ensemble_dispatches_bit_identically_to_the_fast_path():
    spec = nets.mlp([2, 2, 1], "sigmoid")
    params = nets.init(spec, key=jax.random.key(0), n_networks=train.MIN_SMALL_ENSEMBLE, scheme="normal", scale=1.0)
    record = train.Record(every=10, snapshot_every=100)
    result = train.train(train.mlp_objective(spec, "bce"), params, {"x": XOR_X, "y": XOR_Y},
                         optimizer=train.Optimizer("sgd", 1.0), n_steps=300, record=record, progress=None)
    direct = _small.small_ensemble_descent(spec, params, XOR_X, XOR_Y, loss="bce", learning_rate=1.0, n_steps=300,
                                           record_every=10, snapshot_every=100, progress=None)
    assert result.path == "small_ensemble"
    assert_same_tree((result.params, result.loss, result.snapshots, result.steps, result.snapshot_steps),
          (direct.params, direct.loss, direct.snapshots, direct.steps, direct.snapshot_steps))
    engine = train.train(train.mlp_objective(spec, "bce"), params, {"x": XOR_X, "y": XOR_Y},
                         optimizer=train.Optimizer("sgd", 1.0), n_steps=300, record=record, progress=None,
                         fast_path=False)
    assert engine.path == "engine"
    np.testing.assert_allclose(result.loss, engine.loss, rtol=1e-4, atol=1e-6)
    _close(result.params, engine.params, rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(result.snapshot_steps, engine.snapshot_steps)


@pytest.mark.parametrize("change", ["few_members", "adam", "metrics", "minibatch", "softmax_ce"])
def test_requests_the_small_ensemble_path_cannot_serve_go_to_the_engine(change):
    spec = nets.mlp([2, 2, 2], "sigmoid")
    n = 8 if change == "few_members" else train.MIN_SMALL_ENSEMBLE
    params = nets.init(spec, key=jax.random.key(1), n_networks=n)
    data = {"x": XOR_X, "y": np.concatenate([XOR_Y, 1 - XOR_Y], axis=1)}
    kwargs = dict(optimizer=train.Optimizer("adam" if change == "adam" else "sgd", 0.5), n_steps=20, progress=None,
                  record=train.Record(metrics={"w": lambda p: jnp.sum(p[0]["weight"])} if change == "metrics" else None),
                  batching=train.Minibatch(2, key=jax.random.key(0)) if change == "minibatch" else train.FullBatch())
    loss = "softmax_ce" if change == "softmax_ce" else "mse"
    auto = train.train(train.mlp_objective(spec, loss), params, data, **kwargs)
    forced = train.train(train.mlp_objective(spec, loss), params, data, fast_path=False, **kwargs)
    assert auto.path == "engine"
    assert_same_tree((auto.params, auto.loss), (forced.params, forced.loss))


# --- blocked online dispatch -------------------------------------------------------------------

def _hand_losses(spec, history, data, order):
    """MSE of the params before each step on that step's example (float64 numpy)."""
    act, out_act = (_FUNCTIONS[a] for a in spec.activations)
    losses = []
    for p, i in zip(history, order):
        out = out_act(act(np.asarray(data["x"][i], np.float64) @ p[0]["weight"] + p[0]["bias"]) @ p[1]["weight"] + p[1]["bias"])
        losses.append(np.mean((out - np.asarray(data["y"][i], np.float64)) ** 2))
    return np.array(losses)


def test_online_sgd_with_a_tally_observer_dispatches_bit_identically_to_the_blocked_path():
    spec = nets.mlp([30, 7, 2], "softplus", "softplus")
    data = _task(50, 30, 0)
    params = nets.init(spec, key=jax.random.key(0), n_networks=2, bias_scheme="same")
    order = np.random.default_rng(1).integers(0, 50, 45)
    aux = jax.tree_util.tree_map(lambda p: jnp.zeros((2, 2, *p.shape[1:])), params)
    request = dict(optimizer=train.Optimizer("sgd", 0.3), n_steps=45, batching=train.Online(order, block_size=8),
                   observer=train.group_tally_observer(20), aux=aux, record=train.Record(snapshot_every=16),
                   progress=None)
    result = train.train(train.mlp_objective(spec, "mse"), params, data, **request)
    assert result.path == "blocked_online"
    direct_params, direct_tallies, _, snapshots, _ = _online_fast.blocked_sgd(
        spec, params, data, order, learning_rate=0.3, block_size=8, n_groups=2, tally_from=20, snapshot_every=16)
    assert_same_tree(result.params, jax.device_get(direct_params))
    assert_same_tree(result.aux, jax.device_get(direct_tallies))
    assert_same_tree(result.snapshots, snapshots)
    assert list(result.snapshot_steps) == [0, 16, 32, 45]  # the padded block end is labelled n_steps
    # against independent truth: a float64 hand loop (params, tallies and the recorded losses)
    for e in range(2):
        history, tallies = hand_sgd(spec, _member(params, e), data, order, 0.3, tally_from=20)
        _close(_member(result.params, e), history[-1], rtol=1e-5, atol=1e-6)
        for g in range(2):
            _close(jax.tree_util.tree_map(lambda t: t[e, g], result.aux), tallies[g], rtol=1e-4, atol=1e-7)
        np.testing.assert_allclose(result.loss[:, e], _hand_losses(spec, history, data, order), rtol=1e-4)
    # and the general engine, the same request forced
    engine = train.train(train.mlp_objective(spec, "mse"), params, data, fast_path=False,
                         **{**request, "record": train.Record()})
    assert engine.path == "engine"
    _close(result.params, engine.params, rtol=1e-5, atol=1e-6)
    _close(result.aux, engine.aux, rtol=1e-4, atol=1e-7)
    np.testing.assert_allclose(result.loss, engine.loss, rtol=1e-5)


def test_blocked_loss_output_leaves_the_updates_unchanged():
    spec = nets.mlp([12, 5, 2], "tanh", "linear")
    data = _task(30, 12, 4)
    params = nets.init(spec, key=jax.random.key(2), n_networks=3, bias_scheme="same")
    order = np.random.default_rng(3).integers(0, 30, (3, 40))
    plain = _online_fast.blocked_sgd(spec, params, data, order, learning_rate=0.2, loss="softmax_ce", block_size=16,
                                     n_groups=2, snapshot_every=16)
    with_loss = _online_fast.blocked_sgd(spec, params, data, order, learning_rate=0.2, loss="softmax_ce", block_size=16,
                                         n_groups=2, snapshot_every=16, with_loss=True)
    assert_same_tree(plain[:4], with_loss[:4])
    assert plain[4] is None and with_loss[4].shape == (3, 40) and np.isfinite(with_loss[4]).all()


def test_a_custom_observer_runs_on_the_engine():
    spec = nets.mlp([4, 3, 2], "softplus")
    data = _task(10, 4, 1)
    params = nets.init(spec, key=jax.random.key(3), n_networks=2)
    count = lambda aux, delta, batch, step: aux + 1  # noqa: E731
    result = train.train(train.mlp_objective(spec), params, data, optimizer=train.Optimizer("sgd", 0.1), n_steps=6,
                         batching=train.Online(), observer=count, aux=jnp.zeros(2), progress=None)
    assert result.path == "engine"
    np.testing.assert_array_equal(result.aux, [6, 6])


def test_no_op_steps_leave_params_unchanged_and_record_nan():
    spec = nets.mlp([4, 3, 2], "tanh", "softplus")
    data = _task(12, 4, 5)
    params = nets.init(spec, key=jax.random.key(4), n_networks=2, bias_scheme="same")
    order = np.array([[3, 1, 4, 1, 5, 9, 2, 6], [7, 0, 2, -1, -1, -1, -1, -1]])
    for fast_path in (True, False):
        result = train.train(train.mlp_objective(spec, "mse"), params, data, optimizer=train.Optimizer("sgd", 0.4),
                             n_steps=8, batching=train.Online(order, block_size=4), progress=None, fast_path=fast_path)
        assert result.path == ("blocked_online" if fast_path else "engine")
        for e, steps in enumerate((order[0], order[1, :3])):
            history, _ = hand_sgd(spec, _member(params, e), data, steps, 0.4)
            _close(_member(result.params, e), history[-1], rtol=1e-5, atol=1e-6)
        assert np.isnan(result.loss[3:, 1]).all() and np.isfinite(result.loss[:3]).all()
    with pytest.raises(ValueError, match="no-op steps"):
        train.train(train.mlp_objective(spec), params, data, optimizer=train.Optimizer("adam", 0.1), n_steps=8,
                    batching=train.Online(order), progress=None)


# --- forks ------------------------------------------------------------------------------------

def test_fork_dispatches_to_the_blocked_path_and_both_paths_equal_separate_hand_runs():
    spec = nets.mlp([4, 3, 2], "tanh", "softplus")
    data = _task(20, 4, 1)
    params = nets.init(spec, key=jax.random.key(1), n_networks=2, bias_scheme="same")
    subsets = [np.array([0, 2, 4, 6, 8]), np.array([1, 3, 5]), np.array([19, 18, 17, 16, 15, 14, 13])]
    common = dict(optimizer=train.Optimizer("sgd", 0.3), record=train.Record(snapshot_every=2), progress=None)
    fast = train.fork(train.mlp_objective(spec, "mse"), params, data, subsets, block_size=2, **common)
    engine = train.fork(train.mlp_objective(spec, "mse"), params, data, subsets, fast_path=False, **common)
    assert (fast.path, engine.path) == ("blocked_online", "engine")
    direct = _online_fast.blocked_forks_run(spec, params, data, subsets, learning_rate=0.3, block_size=2,
                                            snapshot_every=2)
    assert_same_tree((fast.params, fast.snapshot_steps, fast.snapshots), direct[:3])
    for result in (fast, engine):
        assert result.loss.shape == (7, 3, 2) and list(result.steps) == list(range(7))
        assert list(result.snapshot_steps) == [0, 2, 4, 6, 8]
        for k, subset in enumerate(subsets):
            assert np.isfinite(result.loss[:subset.size, k]).all() and np.isnan(result.loss[subset.size:, k]).all()
            for e in range(2):
                history, _ = hand_sgd(spec, _member(params, e), data, subset, 0.3)
                _close(jax.tree_util.tree_map(lambda p: p[k, e], result.params), history[-1])
                for s, step in enumerate(result.snapshot_steps):
                    _close(jax.tree_util.tree_map(lambda p: p[s, k, e], result.snapshots), history[min(int(step), subset.size)])
                np.testing.assert_allclose(result.loss[:subset.size, k, e],
                                           _hand_losses(spec, history, data, subset), rtol=1e-4)
    with pytest.raises(ValueError, match="Optimizer"):
        train.fork(train.mlp_objective(spec), params, data, subsets, optimizer=optax.sgd(0.1))
    with pytest.raises(ValueError, match=r"\[0, 20\)"):
        train.fork(train.mlp_objective(spec), params, data, [np.array([20])], optimizer=train.Optimizer("sgd", 0.1))


# --- no unexpected recompiles: a repeated training compiles nothing new ----------------------

def _train_request(path: str):
    """A tiny training sent to ``path`` (the engine with a ragged run: 21 recorded intervals)."""
    if path == "small_ensemble":
        spec = nets.mlp([2, 2, 1], "sigmoid")
        params = nets.init(spec, key=jax.random.key(0), n_networks=64)
        return dict(objective=train.mlp_objective(spec, "bce"), params=params, data={"x": XOR_X, "y": XOR_Y},
                    optimizer=train.Optimizer("sgd", 1.0), n_steps=40, record=train.Record(every=4))
    data = _task(32, 5, 0)
    spec = nets.mlp([5, 4, 2], "tanh")
    params = nets.init(spec, key=jax.random.key(1), n_networks=2)
    if path == "blocked_online":
        aux = jax.tree_util.tree_map(lambda p: jnp.zeros((2, 2, *p.shape[1:])), params)
        return dict(objective=train.mlp_objective(spec, "mse"), params=params, data=data,
                    optimizer=train.Optimizer("sgd", 0.1), n_steps=32, batching=train.Online(np.arange(32), block_size=8),
                    observer=train.group_tally_observer(), aux=aux)
    return dict(objective=train.mlp_objective(spec, "mse"), params=params, data=data,
                optimizer=train.Optimizer("adam", 0.01), n_steps=63, batching=train.Minibatch(8, key=jax.random.key(2)),
                record=train.Record(every=3, metrics={"l2": lambda p: sum(jnp.sum(v ** 2) for v in jax.tree_util.tree_leaves(p))}))


@pytest.mark.parametrize("path", ["small_ensemble", "blocked_online", "engine"])
def test_a_repeated_training_compiles_its_program_once(path):
    from toyscope._compile_cache import CompilationCounter

    request = _train_request(path)
    with CompilationCounter() as first:
        result = train.train(**request, progress=None)
    with CompilationCounter() as again:
        repeated = train.train(**request, progress=None)
    assert result.path == path
    training = {name: n for name, n in first.names.items() if name in ("jit(run_chunk)", "jit(member)")}
    assert training and set(training.values()) == {1}, first.names  # one program, compiled once (no ragged last chunk)
    assert again.count == 0, again.names
    assert_same_tree(result.params, repeated.params)
