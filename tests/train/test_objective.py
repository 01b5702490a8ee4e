"""An MLP objective equals the loss of the network's forward pass written out in numpy."""

from __future__ import annotations

import jax
import numpy as np
import pytest

from toyscope import nets, train

NUMPY_ACTIVATIONS = {"tanh": np.tanh, "linear": lambda z: z, "sigmoid": lambda z: 1 / (1 + np.exp(-z))}


def _forward(spec, params, x):
    h = np.asarray(x, np.float64)
    for layer, name in zip(params, spec.activations):
        h = NUMPY_ACTIVATIONS[name](h @ np.asarray(layer["weight"], np.float64) + np.asarray(layer["bias"], np.float64))
    return h


def _numpy_loss(loss, out, y):
    if loss == "mse":
        return np.mean((out - y) ** 2)
    if loss == "bce":
        p = 1 / (1 + np.exp(-out))
        return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    log_softmax = out - np.log(np.exp(out).sum(axis=1, keepdims=True))
    return -np.mean(log_softmax[np.arange(len(y)), y])


@pytest.mark.parametrize("loss", ["mse", "bce", "softmax_ce"])
def test_objective_is_the_loss_of_the_forward_pass_by_hand(loss):
    spec = nets.mlp([3, 4, 3], "tanh")
    params = nets.init(spec, key=jax.random.key(0), scheme="normal", scale=1.0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(7, 3)).astype(np.float32)
    y = rng.integers(0, 3, 7) if loss == "softmax_ce" else rng.random((7, 3)).astype(np.float32)
    batch = {"x": x, "y": y, "group": np.zeros(7, np.int32)}  # other keys are ignored
    objective = train.mlp_objective(spec, loss)
    assert objective == train.MLPObjective(spec, loss)
    expected = _numpy_loss(loss, _forward(spec, params, x), y)
    assert float(objective(params, batch)) == pytest.approx(expected, rel=1e-5)
    assert float(jax.jit(objective)(params, batch)) == pytest.approx(expected, rel=1e-5)


def test_objective_gradient_matches_finite_differences_of_the_numpy_loss():
    spec = nets.mlp([2, 3, 1], "sigmoid")
    params = jax.tree_util.tree_map(lambda p: np.asarray(p, np.float64),
                                    nets.init(spec, key=jax.random.key(1), scheme="normal", scale=1.0))
    rng = np.random.default_rng(1)
    batch = {"x": rng.normal(size=(5, 2)), "y": rng.normal(size=(5, 1))}
    with jax.enable_x64(True):
        grad = jax.grad(train.mlp_objective(spec, "mse"))(params, batch)
    eps = 1e-6
    for layer in range(2):
        for name in ("weight", "bias"):
            for index in np.ndindex(params[layer][name].shape):
                up = jax.tree_util.tree_map(np.copy, params)
                down = jax.tree_util.tree_map(np.copy, params)
                up[layer][name][index] += eps
                down[layer][name][index] -= eps
                numeric = (_numpy_loss("mse", _forward(spec, up, batch["x"]), batch["y"])
                           - _numpy_loss("mse", _forward(spec, down, batch["x"]), batch["y"])) / (2 * eps)
                assert float(grad[layer][name][index]) == pytest.approx(numeric, rel=1e-5, abs=1e-8)


def test_unknown_loss_raises_one_line():
    with pytest.raises(ValueError, match=r"^unknown loss 'l1'; valid: mse, bce, softmax_ce$"):
        train.mlp_objective(nets.mlp([2, 1]), "l1")


def test_closed_form_gradient_objective_has_the_same_value_and_the_gradient_within_rounding():
    spec = nets.mlp([2, 3, 1], "sigmoid")
    params = nets.init(spec, key=jax.random.key(2), scheme="normal", scale=2.0)
    rng = np.random.default_rng(1)
    batch = {"x": rng.normal(size=(6, 2)).astype(np.float32), "y": rng.random((6, 1)).astype(np.float32)}
    closed = train.mlp_objective(spec, "bce", closed_form_gradient=True)
    assert closed == train.MLPObjective(spec, "bce", closed_form_gradient=True) != train.mlp_objective(spec, "bce")
    value, got = jax.jit(jax.value_and_grad(closed))(params, batch)
    autodiff_value, want = jax.jit(jax.value_and_grad(train.mlp_objective(spec, "bce")))(params, batch)
    assert float(value) == float(autodiff_value)
    for a, b in zip(jax.tree_util.tree_leaves(got), jax.tree_util.tree_leaves(want)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)  # sigma(z) - y vs exp(z - softplus(z)) - y: a few ulp
