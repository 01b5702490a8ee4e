"""The BIMT training recipe: "l1" is Adam on the loss plus lambda * y* (|w| + |b|) written by hand,
and "l1-swap" trains the same function as "l1" (its penalty does not depend on position, and swaps
permute Adam's moments with the weights) while moving neurons."""

from __future__ import annotations

import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from toyscope import bimt, nets, tasks, train

sys.path.insert(0, str(Path(__file__).parent))  # the shared test networks, under any pytest import mode
from _bimt_networks import mlp  # noqa: E402

N_STEPS, GAP, LAMBDA, LR = 300, 0.1, 1e-2, 2e-3


def _setup():
    data = tasks.symbolic_task("a", 64, 16, seed=0)
    spec = nets.layered_network([4, 12, 12, 2], "silu")
    params = nets.init(spec, key=jax.random.key(0), n_networks=2)
    return spec, bimt.mlp_layout(spec), params, data, bimt.layered_loss(spec, "mse")


def _method(name):
    return bimt.BimtMethod(name, (LAMBDA,), (N_STEPS,), layer_gap=GAP, top_k=6, swap_every=30)


def _run(layout, loss_fn, params, data, name):
    return bimt.train_bimt(layout, loss_fn, params, data["train"], method=_method(name), n_networks=2, n_steps=N_STEPS,
                           learning_rate=LR, record_every=N_STEPS // 4, snapshot_every=N_STEPS)


def test_l1_is_adam_with_a_hand_written_l1_penalty():
    spec, layout, params, data, loss_fn = _setup()
    result = _run(layout, loss_fn, params, data, "l1")

    def l1(p):  # y* (sum |w| + sum |b|): every connection has length y* when A = 0
        return GAP * sum(jnp.abs(layer["weight"]).sum() + jnp.abs(layer["bias"]).sum() for layer in p["layers"])

    by_hand = train.train(loss_fn, params, {k: jnp.asarray(v) for k, v in data["train"].items()},
                          optimizer=train.Optimizer("adam", LR), n_steps=N_STEPS,
                          regularizer=train.Regularizer(l1, train.piecewise_constant((LAMBDA,), (N_STEPS,))),
                          record=train.Record(every=N_STEPS // 4))
    for ours, theirs in zip(jax.tree_util.tree_leaves(result.params), jax.tree_util.tree_leaves(by_hand.params)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(result.aux["n_swaps"], 0)


def test_l1_swap_moves_neurons_but_trains_the_same_function_as_l1():
    spec, layout, params, data, loss_fn = _setup()
    plain = _run(layout, loss_fn, params, data, "l1")
    swapped = _run(layout, loss_fn, params, data, "l1-swap")
    assert np.all(np.asarray(swapped.aux["n_swaps"]) > 0)
    x = jnp.asarray(data["test"]["x"])
    apply = jax.vmap(lambda p: nets.apply(spec, p, x))
    np.testing.assert_allclose(apply(swapped.params), apply(plain.params), rtol=1e-3, atol=1e-3)
    assert not np.allclose(swapped.params["layers"][1]["weight"], plain.params["layers"][1]["weight"], atol=1e-3)


def test_method_names_and_schedules_are_checked():
    with pytest.raises(ValueError, match="unknown BIMT method 'l2'"):
        bimt.BimtMethod("l2", (1.0,), (10,))
    with pytest.raises(ValueError, match="equal lengths"):
        bimt.BimtMethod("bimt", (1.0, 2.0), (10,))
    assert [m for m in bimt.METHODS if bimt.BimtMethod(m, (1.0,), (1,)).swaps] == ["l1-swap", "bimt"]
    assert [m for m in bimt.METHODS if bimt.BimtMethod(m, (1.0,), (1,)).local_penalty] == ["l1-local", "bimt"]


def test_replacement_order_draws_with_replacement_from_the_seed():
    order = np.asarray(bimt.replacement_order(5, n_networks=2, n_steps=300, batch_size=4, seed=3))
    assert order.shape == (2, 300, 4) and order.dtype == np.int32 and order.min() == 0 and order.max() == 4
    assert any(len(set(batch)) < 4 for batch in order[0])  # repeats within a batch: with replacement
    np.testing.assert_array_equal(order, np.random.default_rng(3).integers(0, 5, size=(2, 300, 4)))


def test_bias_penalty_from_is_a_plain_adam_loop_that_adds_the_bias_term_at_that_step():
    # independent truth: a python loop over optax.adam on loss + lambda (ell_w + [t >= t0] ell_b), A = 0
    import optax

    spec, layout, params, data, loss_fn = _setup()
    start = 120
    method = bimt.BimtMethod("l1", (LAMBDA,), (N_STEPS,), layer_gap=GAP, bias_penalty_from=start)
    result = bimt.train_bimt(layout, loss_fn, params, data["train"], method=method, n_networks=2, n_steps=N_STEPS,
                             learning_rate=LR, record_every=N_STEPS // 4, snapshot_every=N_STEPS)
    batch = {k: jnp.asarray(v) for k, v in data["train"].items()}
    optimizer = optax.adam(LR)

    @jax.jit
    def step(p, state, with_bias):
        def total(p):
            weights = sum(jnp.abs(layer["weight"]).sum() for layer in p["layers"])
            biases = sum(jnp.abs(layer["bias"]).sum() for layer in p["layers"])
            return loss_fn(p, batch) + LAMBDA * GAP * (weights + with_bias * biases)
        updates, state = optimizer.update(jax.grad(total)(p), state, p)
        return optax.apply_updates(p, updates), state

    for member in range(2):
        p = jax.tree_util.tree_map(lambda leaf: leaf[member], params)
        state = optimizer.init(p)
        for t in range(N_STEPS):
            p, state = step(p, state, jnp.float32(t >= start))
        for ours, theirs in zip(jax.tree_util.tree_leaves(jax.tree_util.tree_map(lambda leaf: leaf[member],
                                                                                  result.params)),
                                jax.tree_util.tree_leaves(p)):
            # atol 1e-4: weights that Adam keeps flipping about 0 differ by rounding (the sums run in
            # another order); switching the bias term on one step late moves the params by 2.5e-3
            np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-4)
    never = bimt.train_bimt(layout, loss_fn, params, data["train"], method=bimt.BimtMethod(
        "l1", (LAMBDA,), (N_STEPS,), layer_gap=GAP, penalize_bias=False), n_networks=2, n_steps=N_STEPS,
        learning_rate=LR, record_every=N_STEPS // 4, snapshot_every=N_STEPS)
    assert not np.allclose(never.params["layers"][0]["bias"], result.params["layers"][0]["bias"], atol=1e-6)


def test_a_last_layer_without_distance_pays_only_the_layer_gap():
    # one linear layer: without its distance term, BIMT's penalty is plain L1 (no swaps within the run)
    data = tasks.symbolic_task("a", 32, 8, seed=0)
    spec = nets.layered_network([4, 2], "silu")
    layout, loss_fn = bimt.mlp_layout(spec), bimt.layered_loss(spec, "mse")
    params = nets.init(spec, key=jax.random.key(1), n_networks=2)

    def run(name, **settings):
        method = bimt.BimtMethod(name, (LAMBDA,), (100,), layer_gap=GAP, swap_every=10**6, **settings)
        return bimt.train_bimt(layout, loss_fn, params, data["train"], method=method, n_networks=2, n_steps=100,
                               learning_rate=LR, record_every=50, snapshot_every=100).params

    np.testing.assert_array_equal(run("bimt", last_layer_distance=False)["layers"][0]["weight"],
                                  run("l1")["layers"][0]["weight"])
    local = bimt.network_distances(layout, extent=2.0, layer_gap=GAP)[("layers", 0)]
    assert np.ptp(local) > 0  # with its distances the penalty would not be plain L1


def test_swaps_are_scored_with_swap_extent_only_and_l1_swaps_do_not_depend_on_it():
    # With L1 lengths d = A |dx| + y* a swap changes the cost by A times its |dx| change, so the
    # decisions do not depend on A (the S4 notebook's score at A = 2 beside training at A = 1
    # changes nothing); with L2 lengths sqrt((A dx)^2 + y*^2) they do.
    _, layout, params, _, _ = mlp(False, seed=3)

    def order(extent, norm):
        distances = bimt.network_distances(layout, extent=extent, layer_gap=GAP, norm=norm)
        swapped, _, _, _ = bimt.swap_neurons(layout, params, distances, top_k=5, loop="position")
        return [np.asarray(layer["weight"]) for layer in swapped["layers"]]

    for a, b in zip(order(0.5, "l1"), order(2.0, "l1")):
        np.testing.assert_array_equal(a, b)
    # L2: nearly quadratic in dx where A dx << y*, nearly A |dx| where A dx >> y*
    assert any(not np.array_equal(a, b) for a, b in zip(order(0.05, "l2"), order(5.0, "l2")))
    # train_bimt scores its swaps with swap_extent: l1-swap's penalty has A = 0 whatever extent is
    spec, layout, params, data, loss_fn = _setup()

    def weights(**settings):
        method = bimt.BimtMethod("l1-swap", (LAMBDA,), (60,), layer_gap=GAP, top_k=6, swap_every=30, norm="l2",
                                 **settings)
        return bimt.train_bimt(layout, loss_fn, params, data["train"], method=method, n_networks=2, n_steps=60,
                               learning_rate=LR, record_every=30, snapshot_every=60).params["layers"][1]["weight"]

    scored_at_5 = weights(extent=5.0)
    np.testing.assert_array_equal(weights(extent=0.05, swap_extent=5.0), scored_at_5)
    assert not np.array_equal(weights(extent=0.05), scored_at_5)


def test_new_settings_are_checked():
    with pytest.raises(ValueError, match="bias_penalty_from must be a step >= 0"):
        bimt.BimtMethod("bimt", (1.0,), (10,), bias_penalty_from=-1)
    with pytest.raises(ValueError, match="swap_extent must be a finite A >= 0"):
        bimt.BimtMethod("bimt", (1.0,), (10,), swap_extent=float("nan"))
