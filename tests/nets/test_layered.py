"""Layered (BIMT) networks: the forward pass by hand, neuron orders, token embeddings, init."""

import math

import jax
import numpy as np
import pytest

from toyscope import nets


def _numpy_mlp(spec: nets.MLP, layers, h):
    acts = {"tanh": np.tanh, "relu": lambda z: np.maximum(z, 0), "linear": lambda z: z}
    for layer, name in zip(layers, spec.activations):
        h = acts[name](h @ np.asarray(layer["weight"], np.float64) + np.asarray(layer["bias"], np.float64))
    return h


def test_apply_reads_inputs_and_writes_outputs_through_the_orders():
    """Input slot s reads feature input_order[s]; output slot s is output output_order[s]."""
    spec = nets.layered_network([4, 5, 3], "tanh")
    params = nets.init(spec, key=jax.random.key(0))
    params["input_order"] = np.array([2, 0, 3, 1], np.float32)
    params["output_order"] = np.array([1, 2, 0], np.float32)
    x = np.random.default_rng(0).standard_normal((6, 4)).astype(np.float32)
    slots = _numpy_mlp(spec.mlp, params["layers"], x[:, [2, 0, 3, 1]])
    expected = np.empty_like(slots)
    expected[:, [1, 2, 0]] = slots
    np.testing.assert_allclose(nets.apply(spec, params, x), expected, rtol=1e-5, atol=1e-6)
    inputs, hidden, out = nets.activations(spec, params, x)
    np.testing.assert_array_equal(inputs, x[:, [2, 0, 3, 1]])
    assert hidden.shape == (6, 5)
    np.testing.assert_allclose(out, slots, rtol=1e-5, atol=1e-6)  # activations stay in slot order


def test_swapping_two_input_neurons_with_their_weights_keeps_the_function():
    spec = nets.layered_network([3, 4, 2], "relu")
    params = nets.init(spec, key=jax.random.key(1))
    swapped = jax.tree_util.tree_map(np.array, params)
    swapped["input_order"] = swapped["input_order"][[1, 0, 2]]
    swapped["layers"][0]["weight"] = swapped["layers"][0]["weight"][[1, 0, 2]]
    x = np.random.default_rng(1).standard_normal((5, 3)).astype(np.float32)
    np.testing.assert_allclose(nets.apply(spec, swapped, x), nets.apply(spec, params, x), rtol=1e-5, atol=1e-6)
    broken = dict(swapped, input_order=params["input_order"])  # weights moved, order not: a different function
    assert not np.allclose(nets.apply(spec, broken, x), nets.apply(spec, params, x))


def test_tokens_read_concatenated_embedding_rows():
    spec = nets.layered_network([3, 4, 5], "linear", n_tokens=2, vocab_size=5)
    params = nets.init(spec, key=jax.random.key(2))
    tokens = np.array([[0, 4], [3, 3], [1, 2]])
    embedding = np.asarray(params["embedding"])
    by_hand = np.concatenate([embedding[tokens[:, 0]], embedding[tokens[:, 1]]], axis=1)  # (3, 2 d_0)
    np.testing.assert_array_equal(nets.layered_network_inputs(spec, params, tokens), by_hand)
    np.testing.assert_allclose(nets.apply(spec, params, tokens), _numpy_mlp(spec.mlp, params["layers"], by_hand),
                               rtol=1e-5, atol=1e-6)
    assert spec.neuron_widths == (3, 4, 5) and spec.mlp.widths == (6, 4, 5)


def test_init_draws_the_documented_distributions():
    spec = nets.layered_network([50, 40, 3], n_tokens=1, vocab_size=400)
    params = nets.init(spec, key=jax.random.key(3), embedding_scale=0.5)
    assert abs(np.asarray(params["embedding"]).std() / 0.5 - 1) < 0.03  # 20,000 draws of N(0, 0.25)
    weight = np.asarray(params["layers"][0]["weight"])
    assert np.abs(weight).max() <= 1 / math.sqrt(50)  # torch_default: U(+-1/sqrt(fan_in))
    assert abs(weight.std() / (1 / math.sqrt(50) / math.sqrt(3)) - 1) < 0.05
    np.testing.assert_array_equal(params["output_order"], np.arange(3))
    vectors = nets.init(nets.layered_network([4, 2]), key=jax.random.key(0))
    np.testing.assert_array_equal(vectors["input_order"], np.arange(4))
    assert "embedding" not in vectors


def test_orders_get_no_gradient():
    spec = nets.layered_network([3, 4, 2], "tanh")
    params = nets.init(spec, key=jax.random.key(4))
    x = np.ones((2, 3), np.float32)
    grads = jax.grad(lambda p: nets.apply(spec, p, x).sum())(params)
    assert not np.asarray(grads["input_order"]).any() and not np.asarray(grads["output_order"]).any()
    assert np.asarray(grads["layers"][0]["weight"]).any()


def test_spec_validation():
    with pytest.raises(ValueError, match="vocab_size"):
        nets.layered_network([3, 2], n_tokens=2)
    with pytest.raises(ValueError, match="multiple of n_tokens"):
        nets.LayeredNetwork(nets.mlp([5, 2]), n_tokens=2, vocab_size=3)
    with pytest.raises(ValueError, match="n_tokens"):
        nets.LayeredNetwork(nets.mlp([4, 2]), n_tokens=-1)
