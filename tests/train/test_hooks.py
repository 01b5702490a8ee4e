"""map_param_shaped reaches every parameter-shaped subtree of an optimiser state, and nothing else."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax

from toyscope import nets, train


def _reverse_hidden(tree):
    """Reverse the hidden units of a 2-3-1 MLP's params (columns of layer 0, rows of layer 1)."""
    return [{"weight": tree[0]["weight"][:, ::-1], "bias": tree[0]["bias"][::-1]},
            {"weight": tree[1]["weight"][::-1, :], "bias": tree[1]["bias"]}]


def _adam_state(params):
    optimizer = optax.adam(0.1)
    state = optimizer.init(params)
    grads = jax.tree_util.tree_map(lambda p: jnp.arange(p.size, dtype=p.dtype).reshape(p.shape) + 1.0, params)
    _, state = optimizer.update(grads, state, params)  # non-zero moments and count 1
    return state


def test_adam_moments_are_mapped_and_the_step_count_is_not():
    spec = nets.mlp([2, 3, 1], "tanh")
    params = nets.init(spec, key=jax.random.key(0))
    state = _adam_state(params)
    mapped = train.map_param_shaped(_reverse_hidden, state, params)
    adam, mapped_adam = state[0], mapped[0]
    for field in ("mu", "nu"):
        for got, want in zip(jax.tree_util.tree_leaves(getattr(mapped_adam, field)),
                             jax.tree_util.tree_leaves(_reverse_hidden(getattr(adam, field)))):
            np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(mapped_adam.count, adam.count)
    assert jax.tree_util.tree_structure(mapped) == jax.tree_util.tree_structure(state)
    # the moments really changed (their hidden units differ), so the test can fail
    assert not np.array_equal(mapped_adam.mu[0]["weight"], adam.mu[0]["weight"])


def test_momentum_trace_and_a_bare_params_tree_are_mapped():
    spec = nets.mlp([2, 3, 1], "tanh")
    params = nets.init(spec, key=jax.random.key(1))
    calls = []

    def double(tree):
        calls.append(1)
        return jax.tree_util.tree_map(lambda p: 2 * p, tree)

    optimizer = optax.sgd(0.1, momentum=0.9)
    state = optimizer.init(params)
    _, state = optimizer.update(params, state, params)  # trace = params
    mapped = train.map_param_shaped(double, state, params)
    np.testing.assert_array_equal(mapped[0].trace[1]["weight"], 2 * np.asarray(params[1]["weight"]))
    assert len(calls) == 1
    whole = train.map_param_shaped(double, params, params)  # the tree itself has the params' shape
    np.testing.assert_array_equal(whole[0]["bias"], 2 * np.asarray(params[0]["bias"]))
    untouched = train.map_param_shaped(double, {"count": jnp.asarray(3)}, params)
    assert int(untouched["count"]) == 3 and len(calls) == 2
