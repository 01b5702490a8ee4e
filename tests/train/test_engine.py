"""The training engine (``train.train(..., fast_path=False)``) against hand-written loops, finite
differences and invariances."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from toyscope import nets, train

XOR_X = jnp.array([[0, 0], [0, 1], [1, 0], [1, 1]], jnp.float32)
XOR_Y = jnp.array([[0], [1], [1], [0]], jnp.float32)


def _fit(spec, params, data, *, loss="mse", optimizer="sgd", learning_rate=0.1, n_steps=1000, **options):
    """The general engine on an MLP (one network: add and drop the ensemble axis)."""
    single = not nets.is_ensemble(spec, params)
    if single:
        params = jax.tree_util.tree_map(lambda x: x[None], params)
    result = train.train(train.mlp_objective(spec, loss), params, data, optimizer=train.Optimizer(optimizer, learning_rate),
                         n_steps=n_steps, fast_path=False, **options)
    return result.squeeze() if single else result


def _regression(n=32, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3)).astype(np.float32)
    y = np.stack([np.sin(x[:, 0]), x[:, 1] * x[:, 2]], axis=1).astype(np.float32)
    return {"x": jnp.asarray(x), "y": jnp.asarray(y), "group": jnp.asarray(rng.integers(0, 2, n))}


def test_gradient_matches_finite_differences():
    with jax.enable_x64(True):
        spec = nets.mlp([3, 4, 2], "softplus")
        params = nets.init(spec, key=jax.random.key(0), dtype=jnp.float64, bias_scheme="same")
        data = jax.tree_util.tree_map(lambda a: jnp.asarray(a, jnp.float64) if a.dtype.kind == "f" else a, _regression())
        loss = train.mlp_objective(spec, "mse")
        flat = nets.flatten_params(params)
        f = lambda v: loss(nets.unflatten_params(spec, v), data)  # noqa: E731
        grad = np.asarray(jax.grad(f)(flat))
        eps = 1e-6
        basis = np.eye(flat.size)
        numeric = np.array([(f(flat + eps * e) - f(flat - eps * e)) / (2 * eps) for e in basis])
        np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("loss_name", ["bce", "mse"])
def test_ensemble_equals_loop_over_members(loss_name):
    spec = nets.mlp([2, 3, 1], "sigmoid")
    key = jax.random.key(1)
    ensemble = nets.init(spec, key=key, n_networks=4, scheme="normal", scale=1.0)
    data = {"x": XOR_X, "y": XOR_Y}
    together = _fit(spec, ensemble, data, loss=loss_name, learning_rate=0.5, n_steps=200, progress=None)
    for i in range(4):
        member = jax.tree_util.tree_map(lambda a: a[i], ensemble)
        alone = _fit(spec, member, data, loss=loss_name, learning_rate=0.5, n_steps=200, progress=None)
        np.testing.assert_allclose(together.loss[:, i], alone.loss, rtol=1e-5, atol=1e-6)
        for a, b in zip(jax.tree_util.tree_leaves(together.params), jax.tree_util.tree_leaves(alone.params)):
            np.testing.assert_allclose(a[i], b, rtol=1e-4, atol=1e-5)


def test_minibatch_order_is_seeded_and_shared_order_matches_single_runs():
    spec = nets.mlp([3, 4, 2], "tanh")
    data = _regression()
    params = nets.init(spec, key=jax.random.key(2), n_networks=3)
    kwargs = dict(loss="mse", optimizer="momentum", learning_rate=0.05, n_steps=50, progress=None)
    a = _fit(spec, params, data, batching=train.Minibatch(5, key=jax.random.key(9)), **kwargs)
    b = _fit(spec, params, data, batching=train.Minibatch(5, key=jax.random.key(9)), **kwargs)
    c = _fit(spec, params, data, batching=train.Minibatch(5, key=jax.random.key(10)), **kwargs)
    np.testing.assert_array_equal(a.loss, b.loss)
    assert not np.allclose(a.loss, c.loss)
    shared_batching = train.Minibatch(5, key=jax.random.key(9), shared_order=True)
    shared = _fit(spec, params, data, batching=shared_batching, **kwargs)
    member = jax.tree_util.tree_map(lambda x: x[1], params)
    single = _fit(spec, member, data, batching=shared_batching, **kwargs)
    np.testing.assert_allclose(shared.loss[:, 1], single.loss, rtol=1e-5)


def test_minibatch_order_is_the_documented_epoch_permutation_across_chunks():
    """The key-driven order equals the documented one, built here step by step: step s of member m
    takes batch p of permutation(fold_in(split(key)[m], e)), (e, p) = divmod(s, N // batch);
    chunks of 10 steps cross the epoch boundaries (N = 32, batch 7: 4 steps per epoch, so chunks start mid-epoch)."""
    spec = nets.mlp([3, 4, 2], "tanh")
    data = _regression()
    n_examples, batch, n_steps, members = data["x"].shape[0], 7, 50, 2
    params = nets.init(spec, key=jax.random.key(2), n_networks=members)
    key = jax.random.key(4)
    per_epoch = n_examples // batch
    member_keys = jax.random.split(key, members)
    order = np.array([[np.asarray(jax.random.permutation(jax.random.fold_in(member_keys[m], s // per_epoch), n_examples))
                       [(s % per_epoch) * batch:(s % per_epoch + 1) * batch] for s in range(n_steps)]
                      for m in range(members)])
    kwargs = dict(loss="mse", optimizer="sgd", learning_rate=0.05, n_steps=n_steps, record=train.Record(every=10),
                  progress=None)
    keyed = _fit(spec, params, data, batching=train.Minibatch(batch, key=key), **kwargs)
    explicit = _fit(spec, params, data, batching=train.Minibatch(batch, order=order), **kwargs)
    np.testing.assert_array_equal(keyed.loss, explicit.loss)


def _hand_online_sgd(spec, params, data, order, lr, observe=False):
    """Plain Python loop: one example per step, params -= lr * grad; tallies of |delta| per group."""
    loss = train.mlp_objective(spec, "mse")
    grad = jax.jit(jax.grad(loss))
    tallies = [jax.tree_util.tree_map(jnp.zeros_like, params) for _ in range(2)]
    losses = []
    for i in order:
        batch = {"x": data["x"][i][None], "y": data["y"][i][None]}
        losses.append(float(loss(params, batch)))
        g = grad(params, batch)
        new = jax.tree_util.tree_map(lambda p, gi: p - lr * gi, params, g)
        if observe:
            group = int(data["group"][i])
            tallies[group] = jax.tree_util.tree_map(lambda t, n, o: t + jnp.abs(n - o), tallies[group], new, params)
        params = new
    return params, np.array(losses), tallies


def test_online_sgd_and_observer_tallies_equal_hand_written_loop():
    spec = nets.mlp([3, 5, 2], "softplus")
    data = _regression(20)
    params = nets.init(spec, key=jax.random.key(3))
    order = np.random.default_rng(0).permutation(20)[:15]

    def observer(aux, delta, batch, step):
        magnitude = jax.tree_util.tree_map(jnp.abs, delta)
        group = batch["group"][0]
        return jax.tree_util.tree_map(lambda t, m: t.at[group].add(m), aux, magnitude)

    aux = jax.tree_util.tree_map(lambda p: jnp.zeros((1, 2, *p.shape)), params)
    batched = jax.tree_util.tree_map(lambda p: p[None], params)
    result = train.train(train.mlp_objective(spec, "mse"), batched, data, optimizer=optax.sgd(0.1), n_steps=15,
                         batching=train.Online(order), observer=observer, aux=aux, progress=None)
    expected_params, expected_losses, expected_tallies = _hand_online_sgd(spec, params, data, order, 0.1, observe=True)
    np.testing.assert_allclose(result.loss[:, 0], expected_losses, rtol=1e-5)
    for a, b in zip(jax.tree_util.tree_leaves(result.params), jax.tree_util.tree_leaves(expected_params)):
        np.testing.assert_allclose(a[0], b, rtol=1e-5, atol=1e-6)
    for group in range(2):
        got = jax.tree_util.tree_map(lambda t: t[0, group], result.aux)
        for a, b in zip(jax.tree_util.tree_leaves(got), jax.tree_util.tree_leaves(expected_tallies[group])):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)
        assert sum(float(np.abs(leaf).sum()) for leaf in jax.tree_util.tree_leaves(got)) > 0


def _permute_hidden(params, perm):
    first = {"weight": params[0]["weight"][:, perm], "bias": params[0]["bias"][perm]}
    second = {"weight": params[1]["weight"][perm, :], "bias": params[1]["bias"]}
    return [first, second]


def test_periodic_hook_permutes_params_and_adam_state():
    """Permuting hidden units AND Adam's moments must leave the computed function unchanged at every
    later step; forgetting the moments would change it."""
    spec = nets.mlp([3, 6, 2], "tanh")
    data = _regression()
    params = nets.init(spec, key=jax.random.key(4), n_networks=2, bias_scheme="same")
    perm = jnp.array([5, 3, 0, 1, 4, 2])

    def hook(p, opt_state, aux):
        permute = lambda tree: _permute_hidden(tree, perm)  # noqa: E731
        return permute(p), train.map_param_shaped(permute, opt_state, p), aux + 1

    def wrong_hook(p, opt_state, aux):
        return _permute_hidden(p, perm), opt_state, aux

    common = dict(loss="mse", optimizer="adam", learning_rate=0.02, n_steps=40, progress=None)
    plain = _fit(spec, params, data, **common)
    hooked = _fit(spec, params, data, hook=train.PeriodicHook(hook, 10), **common)
    wrong = _fit(spec, params, data, hook=train.PeriodicHook(wrong_hook, 10), **common)
    np.testing.assert_allclose(hooked.loss, plain.loss, rtol=1e-4, atol=1e-6)
    out_plain = nets.apply(spec, plain.params, data["x"])
    np.testing.assert_allclose(nets.apply(spec, hooked.params, data["x"]), out_plain, rtol=1e-4, atol=1e-5)
    assert not np.allclose(nets.apply(spec, wrong.params, data["x"]), out_plain, atol=1e-4)
    np.testing.assert_array_equal(np.asarray(hooked.aux), [4, 4])  # hook ran at steps 10, 20, 30, 40
    # after 4 applications of perm the params equal the plain run's permuted by perm^4
    perm4 = np.arange(6)
    for _ in range(4):
        perm4 = perm4[np.asarray(perm)]
    np.testing.assert_allclose(hooked.params[0]["weight"], np.asarray(plain.params[0]["weight"])[:, :, perm4], rtol=1e-4, atol=1e-5)


def test_regularizer_schedule_matches_closed_form():
    r"""With zero data loss and R = |θ|²/2, SGD gives θ_T = θ_0 ∏_t (1 - η λ(t))."""
    params = {"w": jnp.ones((1, 3))}
    schedule = train.piecewise_constant([0.1, 1.0, 0.5], [3, 2, 5])
    result = train.train(lambda p, b: 0.0 * jnp.sum(b["x"]), params, {"x": jnp.ones((2, 1))},
                         optimizer=optax.sgd(0.1), n_steps=10,
                         regularizer=train.Regularizer(lambda p: 0.5 * jnp.sum(p["w"] ** 2), schedule), progress=None)
    lams = [0.1] * 3 + [1.0] * 2 + [0.5] * 5
    np.testing.assert_allclose(result.params["w"][0], np.prod([1 - 0.1 * lam for lam in lams]) * np.ones(3), rtol=1e-6)
    np.testing.assert_allclose([float(schedule(t)) for t in range(12)], lams + [0.5, 0.5])


def test_recording_and_snapshots():
    spec = nets.mlp([2, 2, 1], "sigmoid")
    params = nets.init(spec, key=jax.random.key(5), n_networks=3)
    metrics = {"w_norm": lambda p: jnp.sum(p[0]["weight"] ** 2)}
    result = _fit(spec, params, {"x": XOR_X, "y": XOR_Y}, loss="bce", learning_rate=1.0, n_steps=100,
                  record=train.Record(every=10, snapshot_every=50, metrics=metrics), progress=None)
    assert result.loss.shape == (10, 3) and list(result.steps) == list(range(0, 100, 10))
    assert result.metrics["w_norm"].shape == (10, 3)
    np.testing.assert_allclose(result.metrics["w_norm"][0], np.sum(np.asarray(params[0]["weight"]) ** 2, axis=(1, 2)), rtol=1e-5)
    assert list(result.snapshot_steps) == [0, 50, 100]
    assert result.snapshots[0]["weight"].shape == (3, 3, 2, 2)
    np.testing.assert_array_equal(result.snapshots[0]["weight"][-1], result.params[0]["weight"])
    full = _fit(spec, params, {"x": XOR_X, "y": XOR_Y}, loss="bce", learning_rate=1.0, n_steps=100, progress=None)
    np.testing.assert_allclose(full.loss[::10], result.loss, rtol=1e-6)


def test_nan_raises_with_step_and_member_or_freezes():
    spec = nets.mlp([2, 2, 1], "linear")
    params = nets.init(spec, key=jax.random.key(6), n_networks=3, scheme="normal", scale=0.1)
    # member 1 starts with huge weights and diverges under a large learning rate
    params = jax.tree_util.tree_map(lambda a: a.at[1].multiply(1e4), params)
    data = {"x": XOR_X * 10, "y": XOR_Y}
    with pytest.raises(train.TrainingDiverged, match=r"ensemble member 1"):
        _fit(spec, params, data, loss="mse", learning_rate=0.5, n_steps=200, progress=None)
    frozen = _fit(spec, params, data, loss="mse", learning_rate=0.01, n_steps=200, nan_policy="freeze", progress=None)
    assert [m for m, _ in frozen.frozen_members] == [1]
    assert np.isfinite(np.asarray(frozen.params[0]["weight"])).all()
    assert np.isfinite(frozen.loss[:, 0]).all() and np.isfinite(frozen.loss[:, 2]).all()


def test_bad_arguments_of_the_deprecated_fit_keep_their_messages():
    spec = nets.mlp([2, 1])
    params = nets.init(spec, key=jax.random.key(0))
    data = {"x": XOR_X, "y": XOR_Y}
    with pytest.raises(ValueError, match="mode"), pytest.warns(DeprecationWarning):
        train.fit(spec, params, data, mode="stochastic", n_steps=10)
    with pytest.raises(ValueError, match="record_every"), pytest.warns(DeprecationWarning):
        train.fit(spec, params, data, n_steps=10, record_every=3)
    with pytest.raises(ValueError, match="batch_size"), pytest.warns(DeprecationWarning):
        train.fit(spec, params, data, n_steps=10, mode="minibatch", batch_size=9, key=jax.random.key(0))
    with pytest.raises(ValueError, match="order"), pytest.warns(DeprecationWarning):
        train.fit(spec, params, data, n_steps=10, mode="online", order=np.arange(5))
    with pytest.raises(ValueError, match="optimizer"), pytest.warns(DeprecationWarning):
        train.fit(spec, params, data, n_steps=10, optimizer="lbfgs")


@pytest.mark.parametrize("loss_name, widths, activation, lr", [("bce", (2, 2, 1), "sigmoid", 0.5),
                                                             ("mse", (2, 3, 2), "tanh", 0.1)])
def test_small_ensemble_fast_path_equals_generic_engine(loss_name, widths, activation, lr):
    spec = nets.mlp(widths, activation)
    params = nets.init(spec, key=jax.random.key(8), n_networks=train.MIN_SMALL_ENSEMBLE, scheme="normal", scale=1.0,
                       bias_scheme="same")
    y = XOR_Y if widths[-1] == 1 else jnp.concatenate([XOR_Y, 1 - XOR_Y], axis=1)
    kwargs = dict(loss=loss_name, learning_rate=lr, n_steps=300, record=train.Record(every=10, snapshot_every=100),
                  progress=None)
    generic = _fit(spec, params, {"x": XOR_X, "y": y}, **kwargs)
    fast = train.train(train.mlp_objective(spec, loss_name), params, {"x": XOR_X, "y": y},
                       optimizer=train.Optimizer("sgd", lr), n_steps=300, record=kwargs["record"], progress=None)
    assert fast.path == "small_ensemble"
    np.testing.assert_allclose(fast.loss, generic.loss, rtol=1e-4, atol=1e-6)
    for a, b in zip(jax.tree_util.tree_leaves(fast.params), jax.tree_util.tree_leaves(generic.params)):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    assert list(fast.snapshot_steps) == [0, 100, 200, 300]
    np.testing.assert_allclose(fast.snapshots[1]["weight"], generic.snapshots[1]["weight"], rtol=1e-4, atol=1e-5)


def test_small_ensemble_rejects_large_problems_and_train_sends_them_to_the_engine():
    spec = nets.mlp([20, 50, 10])
    params = nets.init(spec, key=jax.random.key(0), n_networks=train.MIN_SMALL_ENSEMBLE)
    x, y = np.zeros((8, 20), np.float32), np.zeros((8, 10), np.float32)
    with pytest.raises(ValueError, match="too large to unroll"), pytest.warns(DeprecationWarning):
        train.fit_small_ensemble(spec, params, x, y, loss="mse")
    result = train.train(train.mlp_objective(spec, "mse"), params, {"x": x, "y": y},
                         optimizer=train.Optimizer("sgd", 0.1), n_steps=2, progress=None)
    assert result.path == "engine"
