"""Shared by the train tests: a plain float64 numpy reference for per-sample SGD of a
one-hidden-layer MLP (the tally and blocked-SGD tests), and a bit-for-bit pytree comparison."""

from __future__ import annotations

import jax
import numpy as np

_DERIVATIVES = {"softplus": lambda z: 1 / (1 + np.exp(-z)), "tanh": lambda z: 1 - np.tanh(z) ** 2}
_FUNCTIONS = {"softplus": lambda z: np.logaddexp(0, z), "tanh": np.tanh}


def hand_sgd(spec, params, data, order, lr, tally_from=None):
    """One 2-layer network in float64 numpy, hand-written backprop of the MSE (mean over the 2
    outputs), one example per step: params after each step and |update| tallies per group."""
    act, out_act = spec.activations
    p = [{k: np.asarray(v, np.float64) for k, v in layer.items()} for layer in params]
    tallies = [[{k: np.zeros_like(v) for k, v in layer.items()} for layer in p] for _ in range(2)]
    history = [p]
    for t, i in enumerate(order):
        x, y = np.asarray(data["x"][i], np.float64), np.asarray(data["y"][i], np.float64)
        z1 = x @ p[0]["weight"] + p[0]["bias"]
        h = _FUNCTIONS[act](z1)
        z2 = h @ p[1]["weight"] + p[1]["bias"]
        dz2 = (_FUNCTIONS[out_act](z2) - y) * _DERIVATIVES[out_act](z2)  # d/dout of mean((out-y)^2) = out - y
        dz1 = (p[1]["weight"] @ dz2) * _DERIVATIVES[act](z1)
        grads = [{"weight": np.outer(x, dz1), "bias": dz1}, {"weight": np.outer(h, dz2), "bias": dz2}]
        new = [{k: layer[k] - lr * g[k] for k in layer} for layer, g in zip(p, grads)]
        if tally_from is not None and t >= tally_from:
            group = int(data["group"][i])
            for l in range(2):
                for k in new[l]:
                    tallies[group][l][k] += np.abs(new[l][k] - p[l][k])
        p = new
        history.append(p)
    return history, tallies


def assert_same_tree(a, b):
    """Bit-identical pytrees (same structure, shapes, dtypes and bits; NaN equal to NaN)."""
    assert jax.tree_util.tree_structure(a) == jax.tree_util.tree_structure(b)
    for x, y in zip(jax.tree_util.tree_leaves(a), jax.tree_util.tree_leaves(b)):
        x, y = np.asarray(x), np.asarray(y)
        assert x.dtype == y.dtype and x.shape == y.shape
        np.testing.assert_array_equal(x, y)
