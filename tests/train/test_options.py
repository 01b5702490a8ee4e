"""Options objects reject bad values at the boundary with one-line ValueErrors naming the field."""

from __future__ import annotations

import jax
import numpy as np
import pytest

from toyscope import nets, train

BAD = [
    (lambda: train.Optimizer("lbfgs", 0.1), "optimizer 'lbfgs'"),
    (lambda: train.Optimizer("sgd", 0.0), "learning_rate"),
    (lambda: train.Optimizer("sgd", "fast"), "learning_rate"),
    (lambda: train.Optimizer("adam", 0.1, options={"beta": 0.9}), "beta"),
    (lambda: train.Minibatch(0, key=jax.random.key(0)), "batch_size"),
    (lambda: train.Minibatch(4), "needs a key"),
    (lambda: train.Online(block_size=0), "block_size"),
    (lambda: train.Record(every=0), "record_every"),
    (lambda: train.Record(every=3, snapshot_every=10), "snapshot_every"),
    (lambda: train.Record(every=2, chunk_steps=5), "chunk_steps"),
    (lambda: train.Record(metrics={"norm": 3.0}), "metrics"),
    (lambda: train.Regularizer(2.0), "Regularizer.fn"),
    (lambda: train.Regularizer(abs, schedule="high"), "schedule"),
    (lambda: train.PeriodicHook(abs, period=0), "period"),
    (lambda: train.GradientFlow(solver="euler"), "solver"),
    (lambda: train.GradientFlow(gtol=0.0), "gtol"),
    (lambda: train.NewtonRefinement(gtol=-1.0), "gtol"),
    (lambda: train.NewtonRefinement(dense_limit=0), "dense_limit"),
    (lambda: train.SaddleEscape(max_escapes=-1), "max_escapes"),
    (lambda: train.SaddleEscape(step=0.0), "step"),
    (lambda: train.mlp_objective(nets.mlp([2, 1]), "hinge"), "loss 'hinge'"),
]


@pytest.mark.parametrize("build, names", BAD, ids=[names for _, names in BAD])
def test_bad_option_values_raise_one_line_value_errors(build, names):
    with pytest.raises(ValueError, match=names) as error:
        build()
    assert "\n" not in str(error.value)


def _xor_call(**overrides):
    spec = nets.mlp([2, 2, 1], "sigmoid")
    kwargs = dict(optimizer=train.Optimizer("sgd", 0.1), n_steps=10, progress=None)
    kwargs.update(overrides)
    return train.train(train.mlp_objective(spec, "bce"), nets.init(spec, key=jax.random.key(0), n_networks=2),
                       {"x": np.zeros((4, 2), np.float32), "y": np.zeros((4, 1), np.float32)}, **kwargs)


@pytest.mark.parametrize("overrides, names", [
    ({"n_steps": 0}, "n_steps"),
    ({"record": train.Record(every=3)}, "record_every"),
    ({"batching": "online"}, "batching"),
    ({"optimizer": "sgd"}, "optimizer"),
    ({"nan_policy": "ignore"}, "nan_policy"),
    ({"regularizer": train.PeriodicHook(abs, 1)}, "regularizer"),
    ({"batching": train.Minibatch(5, key=jax.random.key(0))}, "batch_size"),
    ({"batching": train.Online(order=np.arange(3))}, "order must have shape"),
    ({"batching": train.Online(order=np.full(10, 4))}, "order indices"),
    ({"batching": train.Online(), "observer": train.group_tally_observer()}, "group"),
])
def test_train_rejects_inconsistent_requests_in_one_line(overrides, names):
    with pytest.raises(ValueError, match=names) as error:
        _xor_call(**overrides)
    assert "\n" not in str(error.value)


def test_good_options_are_accepted_and_frozen():
    record = train.Record(every=5, snapshot_every=10, chunk_steps=5)
    with pytest.raises(AttributeError):
        record.every = 2  # frozen
    assert train.Optimizer("adamw", 1e-3, options={"weight_decay": 0.1}).build() is not None
    assert _xor_call(record=train.Record(every=5)).loss.shape == (2, 2)


def test_a_regularizer_of_several_terms_adds_each_with_its_own_schedule():
    # sum_r lambda_r(t) R_r: terms [|w|_1, |b|_1] with the second off until step 6 equal a python
    # loop of plain gradient descent on loss + 0.1 |w|_1 + 0.1 [t >= 6] |b|_1
    import jax.numpy as jnp

    spec = nets.mlp([2, 3, 1], "tanh")
    params = nets.init(spec, key=jax.random.key(0), n_networks=1)
    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], np.float32)
    data = {"x": x, "y": np.array([[0], [1], [1], [0]], np.float32)}
    loss = train.mlp_objective(spec, "mse")

    def terms(p):
        return jnp.stack([sum(jnp.abs(layer["weight"]).sum() for layer in p),
                          sum(jnp.abs(layer["bias"]).sum() for layer in p)])

    result = train.train(loss, params, data, optimizer=train.Optimizer("sgd", 0.1), n_steps=12,
                         regularizer=train.Regularizer(terms, lambda t: jnp.stack([0.1, jnp.where(t >= 6, 0.1, 0.0)])))
    p = jax.tree_util.tree_map(lambda leaf: leaf[0], params)
    for t in range(12):
        def total(q, t=t):
            return loss(q, data) + 0.1 * terms(q)[0] + (0.1 if t >= 6 else 0.0) * terms(q)[1]
        p = jax.tree_util.tree_map(lambda a, g: a - 0.1 * g, p, jax.grad(total)(p))
    for ours, theirs in zip(jax.tree_util.tree_leaves(result.params), jax.tree_util.tree_leaves(p)):
        np.testing.assert_allclose(np.asarray(ours)[0], theirs, rtol=1e-6, atol=1e-7)
