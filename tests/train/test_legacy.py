"""The deprecated training entry points (``train/_legacy.py``) and ``train``'s flat keywords: each
warns exactly once per call, in one line naming its replacement and pointing at the caller, and
returns what its documented replacement returns."""

from __future__ import annotations

import contextlib
import warnings

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from toyscope import nets, train

from _online_reference import assert_same_tree

XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], np.float32)
XOR_Y = np.array([[0], [1], [1], [0]], np.float32)


def _task(n, d_in, seed):
    rng = np.random.default_rng(seed)
    group = rng.integers(0, 2, n).astype(np.int32)
    return {"x": rng.random((n, d_in)).astype(np.float32), "y": np.eye(2, dtype=np.float32)[group], "group": group}


@contextlib.contextmanager
def _warns_once(match):
    """Exactly one DeprecationWarning inside the block, one line, containing ``match``, attributed to this file."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    deprecations = [w for w in caught if issubclass(w.category, DeprecationWarning)]
    assert len(deprecations) == 1, [str(w.message) for w in deprecations]
    message = str(deprecations[0].message)
    assert match in message and "\n" not in message
    assert deprecations[0].filename == __file__  # stacklevel points at the caller, not at toyscope


def test_flat_keywords_warn_and_run_the_same_engine():
    spec = nets.mlp([3, 4, 2], "tanh")
    data = _task(16, 3, 2)
    params = nets.init(spec, key=jax.random.key(2), n_networks=2)
    hook = lambda p, s, a: (p, s, a + 1)  # noqa: E731
    with _warns_once("flat keywords"):
        old = train.train(train.mlp_objective(spec), params, data, optimizer=optax.adam(0.01), n_steps=20,
                          mode="minibatch", batch_size=4, key=jax.random.key(5), regularizer=lambda p: jnp.sum(p[0]["weight"] ** 2),
                          regularizer_schedule=0.1, periodic_hook=hook, period=5, record_every=2, snapshot_every=10,
                          progress=None)
    new = train.train(train.mlp_objective(spec), params, data, optimizer=train.Optimizer("adam", 0.01), n_steps=20,
                      batching=train.Minibatch(4, key=jax.random.key(5)),
                      regularizer=train.Regularizer(lambda p: jnp.sum(p[0]["weight"] ** 2), 0.1),
                      hook=train.PeriodicHook(hook, 5), record=train.Record(every=2, snapshot_every=10), progress=None)
    assert_same_tree((old.params, old.loss, old.snapshots, old.aux), (new.params, new.loss, new.snapshots, new.aux))
    np.testing.assert_array_equal(new.aux, [4, 4])
    with pytest.raises(TypeError, match="unexpected keyword"):
        train.train(train.mlp_objective(spec), params, data, optimizer=optax.sgd(0.1), n_steps=2, record_evry=1)


def test_deprecated_wrappers_warn_and_equal_their_replacements():
    spec = nets.mlp([4, 3, 2], "softplus", "softplus")
    data = _task(13, 4, 0)
    params = nets.init(spec, key=jax.random.key(0), n_networks=2, bias_scheme="same")
    order = np.array([3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5])
    with _warns_once("toyscope.train.fit is deprecated; use train.train("):
        old_fit = train.fit(spec, params, data, loss="mse", optimizer="momentum", learning_rate=0.1, n_steps=10,
                            record_every=2, progress=None)
    new_fit = train.train(train.mlp_objective(spec), params, data, optimizer=train.Optimizer("momentum", 0.1),
                          n_steps=10, record=train.Record(every=2), progress=None)
    assert_same_tree((old_fit.params, old_fit.loss), (new_fit.params, new_fit.loss))
    with _warns_once("toyscope.train.online_sgd_with_tallies is deprecated; use train.train("):
        old = train.online_sgd_with_tallies(train.mlp_objective(spec), params, data, learning_rate=0.5, order=order,
                                            tally_from=4, progress=None)
    aux = jax.tree_util.tree_map(lambda p: jnp.zeros((2, 2, *p.shape[1:])), params)
    new = train.train(train.mlp_objective(spec), params, data, optimizer=train.Optimizer("sgd", 0.5), n_steps=11,
                      batching=train.Online(order), observer=train.group_tally_observer(4), aux=aux, progress=None,
                      fast_path=False)
    assert_same_tree((old.params, old.aux, old.loss), (new.params, new.aux, new.loss))
    with _warns_once("toyscope.train.blocked_online_sgd is deprecated; use train.train("):
        blocked = train.blocked_online_sgd(spec, params, data, order, learning_rate=0.5, n_groups=2, tally_from=4)
    dispatched = train.train(train.mlp_objective(spec), params, data, optimizer=train.Optimizer("sgd", 0.5), n_steps=11,
                             batching=train.Online(order), observer=train.group_tally_observer(4), aux=aux, progress=None)
    assert len(blocked) == 4 and blocked[2] is None
    assert_same_tree((dispatched.params, dispatched.aux), jax.device_get(blocked[:2]))
    subsets = [np.arange(0, 6), np.arange(6, 9)]
    with _warns_once("toyscope.train.train_forks is deprecated; use train.fork("):
        old_forks = train.train_forks(train.mlp_objective(spec), params, data, subsets, learning_rate=0.3,
                                      snapshot_every=3, progress=None)
    new_forks = train.fork(train.mlp_objective(spec), params, data, subsets, optimizer=train.Optimizer("sgd", 0.3),
                           record=train.Record(snapshot_every=3), progress=None, fast_path=False)
    assert_same_tree((old_forks.params, old_forks.snapshots, old_forks.snapshot_steps),
          (new_forks.params, new_forks.snapshots, new_forks.snapshot_steps))
    assert_same_tree(old_forks.losses[:, :, :6], np.moveaxis(new_forks.loss, 0, -1))
    assert old_forks.losses.shape == (2, 2, 6)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        train.mlp_objective(spec)  # the replacements do not warn


def test_mlp_loss_fit_small_ensemble_and_blocked_forks_warn_and_equal_their_replacements():
    spec = nets.mlp([2, 2, 1], "sigmoid")
    with _warns_once("toyscope.train.mlp_loss is deprecated; use train.mlp_objective(spec, loss)"):
        assert train.mlp_loss(spec, "bce") == train.mlp_objective(spec, "bce")
    params = nets.init(spec, key=jax.random.key(1), n_networks=train.MIN_SMALL_ENSEMBLE, scheme="normal", scale=1.0)
    with _warns_once("toyscope.train.fit_small_ensemble is deprecated; use train.train("):
        old = train.fit_small_ensemble(spec, params, XOR_X, XOR_Y, learning_rate=0.5, n_steps=20, record_every=5,
                                       snapshot_every=10, progress=None)
    new = train.train(train.mlp_objective(spec, "bce"), params, {"x": XOR_X, "y": XOR_Y},
                      optimizer=train.Optimizer("sgd", 0.5), n_steps=20, record=train.Record(every=5, snapshot_every=10),
                      progress=None)
    assert new.path == old.path == "small_ensemble"
    assert_same_tree((old.params, old.loss, old.steps, old.snapshots, old.snapshot_steps),
          (new.params, new.loss, new.steps, new.snapshots, new.snapshot_steps))

    spec = nets.mlp([4, 3, 2], "softplus", "softplus")
    data = _task(13, 4, 3)
    params = nets.init(spec, key=jax.random.key(2), n_networks=2, bias_scheme="same")
    subsets = [np.arange(0, 7), np.arange(7, 10)]
    with _warns_once("toyscope.train.blocked_forks is deprecated; use train.fork("):
        old = train.blocked_forks(spec, params, data, subsets, learning_rate=0.3, snapshot_every=3)
    new = train.fork(train.mlp_objective(spec), params, data, subsets, optimizer=train.Optimizer("sgd", 0.3),
                     record=train.Record(snapshot_every=3), progress=None)
    assert isinstance(old, train.ForkResult) and old.losses.shape == (2, 2, 0)
    assert_same_tree((old.params, old.snapshots), jax.device_get((new.params, new.snapshots)))
    np.testing.assert_array_equal(old.snapshot_steps, new.snapshot_steps)


def test_converge_ensemble_warns_and_equals_converge():
    # moved from test_converge.py: the saddle of L = x^2 + (y^2 - 1)^2 / 4 at the origin, without escapes
    def loss(p, _):
        return p[0] ** 2 + (p[1] ** 2 - 1) ** 2 / 4

    with jax.enable_x64(True):
        with _warns_once("toyscope.train.converge_ensemble is deprecated; use train.converge("):
            (old,) = train.converge_ensemble(loss, jnp.zeros((1, 2)), None, jnp.ones((1, 2), bool), flow_gtol=1e-3,
                                             max_escapes=0)
        (new,) = train.converge(loss, jnp.zeros((1, 2)), None, free=jnp.ones((1, 2), bool),
                                flow=train.GradientFlow(gtol=1e-3), saddles=train.SaddleEscape(max_escapes=0))
    np.testing.assert_array_equal(old.x, new.x)
    assert (old.loss, old.grad_max, old.min_eigenvalue, old.converged, old.flow_steps, old.method, old.note) == \
           (new.loss, new.grad_max, new.min_eigenvalue, new.converged, new.flow_steps, new.method, new.note)
    assert not new.converged and np.isclose(new.min_eigenvalue, -1.0)  # Hessian diag(2, -1) at the origin
