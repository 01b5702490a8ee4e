"""MLP pytrees: the forward pass against a hand-written one, ensembles vs loops, flat params."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from toyscope import nets


def test_spec_validation():
    with pytest.raises(ValueError, match="width"):
        nets.mlp([2, 0, 1])
    with pytest.raises(ValueError, match="activation"):
        nets.mlp([2, 3, 1], "nope")
    spec = nets.mlp([2, 3, 1], bias=[True, False])
    params = nets.init(spec, key=jax.random.key(0))
    assert "bias" not in params[1] and spec.n_params == 2 * 3 + 3 + 3


def test_apply_matches_manual_forward():
    spec = nets.mlp([3, 5, 2], "tanh", "sigmoid")
    params = nets.init(spec, key=jax.random.key(0), scheme="glorot_normal", bias_scheme="same")
    x = np.random.default_rng(0).normal(size=(7, 3)).astype(np.float32)
    w1, b1 = (np.asarray(params[0][k]) for k in ("weight", "bias"))
    w2, b2 = (np.asarray(params[1][k]) for k in ("weight", "bias"))
    expected = 1 / (1 + np.exp(-(np.tanh(x @ w1 + b1) @ w2 + b2)))
    np.testing.assert_allclose(nets.apply(spec, params, x), expected, rtol=1e-5)
    pre, post = nets.activations(spec, params, x)
    np.testing.assert_allclose(pre[0], x @ w1 + b1, rtol=1e-5)
    np.testing.assert_allclose(post[0], np.tanh(x @ w1 + b1), rtol=1e-5)


def test_ensemble_equals_loop_over_members():
    spec = nets.mlp([2, 4, 3], "relu")
    key = jax.random.key(7)
    ensemble = nets.init(spec, key=key, n_networks=5)
    assert nets.ensemble_size(spec, ensemble) == 5
    x = jnp.ones((6, 2))
    out = nets.apply(spec, ensemble, x)
    keys = jax.random.split(key, 5)
    for i in range(5):
        member = nets.init(spec, key=keys[i])  # independent keys, as documented
        np.testing.assert_allclose(out[i], nets.apply(spec, member, x), rtol=1e-6)
    # members differ from one another
    assert not np.allclose(out[0], out[1])


def test_flatten_roundtrip():
    spec = nets.mlp([2, 3, 1])
    params = nets.init(spec, key=jax.random.key(0), n_networks=4, bias_scheme="same")
    flat = nets.flatten_params(params)
    assert flat.shape == (4, spec.n_params)
    back = nets.unflatten_params(spec, flat)
    for a, b in zip(jax.tree_util.tree_leaves(params), jax.tree_util.tree_leaves(back)):
        np.testing.assert_array_equal(a, b)


def test_flatten_order_is_layer_by_layer_weight_then_bias_for_any_leading_axes():
    spec = nets.mlp([2, 3, 1], bias=[True, False])
    params = nets.init(spec, key=jax.random.key(1), bias_scheme="same")
    by_hand = np.concatenate([np.asarray(params[0]["weight"]).ravel(), np.asarray(params[0]["bias"]),
                              np.asarray(params[1]["weight"]).ravel()])
    np.testing.assert_array_equal(nets.flatten_params(params), by_hand)
    snapshots = jax.tree_util.tree_map(lambda a: np.stack([np.stack([a, 2 * a, 3 * a])] * 2), params)  # (S, E, ...)
    flat = np.asarray(nets.flatten_params(snapshots))
    assert flat.shape == (2, 3, spec.n_params)
    np.testing.assert_array_equal(flat[1, 2], 3 * by_hand)


def test_wrong_input_width_and_params_of_another_net():
    spec = nets.mlp([3, 2])
    with pytest.raises(ValueError, match="expects 3"):
        nets.apply(spec, nets.init(spec, key=jax.random.key(0)), jnp.ones((2, 4)))
    other = nets.init(nets.mlp([4, 2]), key=jax.random.key(0), n_networks=2)
    with pytest.raises(ValueError, match=r"'layer0.weight' has shape \(2, 4, 2\), expected \(E\?, 3, 2\)"):
        nets.apply(spec, other, jnp.ones((2, 3)))


def test_ensemble_member_computes_what_the_ensemble_computes_for_that_member():
    """Member e of an ensemble, applied alone, gives row e of the ensemble's output; a tuple index
    takes one member of stacked snapshots (S, E, ...), and numpy leaves stay numpy."""
    spec = nets.mlp([3, 5, 2], "tanh")
    ensemble = nets.init(spec, key=jax.random.key(0), n_networks=4)
    x = jax.random.normal(jax.random.key(1), (7, 3))
    together = nets.apply(spec, ensemble, x)  # (E, N, d_out)
    for e in range(4):
        np.testing.assert_allclose(nets.apply(spec, nets.ensemble_member(ensemble, e), x), together[e], rtol=1e-6)
    snapshots = jax.tree_util.tree_map(lambda leaf: np.stack([np.asarray(leaf), 2 * np.asarray(leaf)]), ensemble)
    second = nets.ensemble_member(snapshots, (1, 2))
    assert isinstance(second[0]["weight"], np.ndarray)
    np.testing.assert_array_equal(second[0]["weight"], 2 * np.asarray(ensemble[0]["weight"][2]))
