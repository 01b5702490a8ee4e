"""The tiny-ensemble fast path against a plain numpy loop of full-batch gradient descent, member by member."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from toyscope import nets, train
from toyscope.train import _small

XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], np.float32)
XOR_Y = np.array([[0], [1], [1], [0]], np.float32)


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def _hand_descent(params, x, y, loss, lr, n_steps):
    """Full-batch GD of one sigmoid 2-h-1 net (linear output) by hand-written backprop in float64.

    Returns the losses before each step and the params after each step."""
    w1, b1, w2, b2 = (np.asarray(a, np.float64) for a in (params[0]["weight"], params[0]["bias"],
                                                          params[1]["weight"], params[1]["bias"]))
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    n = x.shape[0] * y.shape[1]
    losses, history = [], []
    for _ in range(n_steps):
        h = _sigmoid(x @ w1 + b1)
        z = h @ w2 + b2
        if loss == "bce":
            losses.append(np.sum(np.logaddexp(0, z) - y * z) / n)
            dz = (_sigmoid(z) - y) / n
        else:
            losses.append(np.sum((z - y) ** 2) / n)
            dz = 2 * (z - y) / n
        da = (dz @ w2.T) * h * (1 - h)
        w2, b2, w1, b1 = w2 - lr * h.T @ dz, b2 - lr * dz.sum(0), w1 - lr * x.T @ da, b1 - lr * da.sum(0)
        history.append((w1.copy(), b1.copy(), w2.copy(), b2.copy()))
    return np.array(losses), history


@pytest.mark.parametrize("loss,closed_form", [("bce", False), ("mse", False), ("bce", True)])
def test_fast_path_equals_a_plain_loop_for_every_member(loss, closed_form):
    spec = nets.mlp([2, 2, 1], "sigmoid")
    params = nets.init(spec, key=jax.random.key(3), n_networks=4, scheme="normal", scale=1.0)
    result = _small.small_ensemble_descent(spec, params, XOR_X, XOR_Y, loss=loss, learning_rate=0.8, n_steps=6,
                                           record_every=1, snapshot_every=3, progress=None,
                                           closed_form_gradient=closed_form)
    assert result.path == "small_ensemble"
    np.testing.assert_array_equal(result.steps, np.arange(6))
    np.testing.assert_array_equal(result.snapshot_steps, [0, 3, 6])
    for e in range(4):
        losses, history = _hand_descent(nets.ensemble_member(params, e), XOR_X, XOR_Y, loss, 0.8, 6)
        np.testing.assert_allclose(result.loss[:, e], losses, rtol=1e-5)
        for got, want in zip([result.params[0]["weight"][e], result.params[0]["bias"][e],
                              result.params[1]["weight"][e], result.params[1]["bias"][e]], history[-1]):
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(result.snapshots[1]["weight"][1, e], history[2][2], rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(result.snapshots[0]["weight"][0, e], params[0]["weight"][e])


def test_record_every_keeps_every_kth_loss():
    spec = nets.mlp([2, 2, 1], "sigmoid")
    params = nets.init(spec, key=jax.random.key(4), n_networks=2, scheme="normal", scale=1.0)
    result = _small.small_ensemble_descent(spec, params, XOR_X, XOR_Y[:, 0], learning_rate=0.5, n_steps=8,
                                           record_every=4, progress=None)  # 1-D targets become (N, 1)
    losses, _ = _hand_descent(nets.ensemble_member(params, 1), XOR_X, XOR_Y, "bce", 0.5, 8)
    np.testing.assert_array_equal(result.steps, [0, 4])
    np.testing.assert_allclose(result.loss[:, 1], losses[[0, 4]], rtol=1e-5)
    assert result.snapshots is None


def test_divergence_names_the_step_and_member():
    spec = nets.mlp([2, 2, 1], "sigmoid")
    params = nets.init(spec, key=jax.random.key(5), n_networks=2, scheme="normal", scale=1.0)
    with pytest.raises(train.TrainingDiverged, match=r"^non-finite loss by step \d+ in ensemble member \d; lower"):
        _small.small_ensemble_descent(spec, params, XOR_X, 1e3 * XOR_Y, loss="mse", learning_rate=1e3, n_steps=50,
                                      progress=None)


@pytest.mark.parametrize("change,message", [
    ("one_network", r"^fit_small_ensemble needs ensemble params"),
    ("softmax_ce", r"^fit_small_ensemble supports loss 'bce' or 'mse', got 'softmax_ce'$"),
    ("shape", r"^need x \(N, 2\) and y \(N, 1\), got \(4, 3\) and \(4, 1\)$"),
    ("record_every", r"^record_every must be >= 1 and divide n_steps=10, got 3$"),
    ("snapshot_every", r"^snapshot_every must be a positive multiple of record_every=2$"),
    ("too_large", r"too large to unroll \(max 4096\)"),
])
def test_bad_requests_raise_one_line_errors(change, message):
    spec = nets.mlp([2, 64, 1], "sigmoid") if change == "too_large" else nets.mlp([2, 2, 1], "sigmoid")
    params = nets.init(spec, key=jax.random.key(0), n_networks=2)
    x = np.ones((4, 3), np.float32) if change == "shape" else (np.ones((64, 2), np.float32) if change == "too_large" else XOR_X)
    y = np.ones((64, 1), np.float32) if change == "too_large" else XOR_Y
    kwargs = {"loss": "softmax_ce" if change == "softmax_ce" else "bce", "n_steps": 10,
              "record_every": {"record_every": 3, "snapshot_every": 2}.get(change, 2),
              "snapshot_every": 3 if change == "snapshot_every" else None, "progress": None}
    if change == "one_network":
        params = nets.ensemble_member(params, 0)
    with pytest.raises(ValueError, match=message):
        _small.small_ensemble_descent(spec, params, x, y, **kwargs)


def _unfolded_descent(spec, params, x, y, learning_rate, n_steps):
    """The fast path as it was before known inputs were folded and 512-bit vectors asked for: every
    ``h_i * W_ij`` multiplied out, ``jax.grad`` of the summed member losses, a plain ``jax.jit``."""
    def member_loss(s):
        total = 0.0
        for n in range(x.shape[0]):
            h = [float(v) for v in x[n]]
            for layer, name in zip(s, spec.activations):
                z = [sum(h[i] * layer["w"][i][j] for i in range(len(h))) + layer["b"][j]
                     for j in range(len(layer["b"]))]
                h = [nets.ACTIVATIONS[name](v) for v in z]
            total = total + sum(jax.nn.softplus(out) - float(y[n, j]) * out for j, out in enumerate(h))
        return total / (x.shape[0] * y.shape[1])

    grad = jax.grad(lambda s: jnp.sum(member_loss(s)))
    step = lambda s, _: (jax.tree_util.tree_map(lambda p, g: p - learning_rate * g, s, grad(s)), None)  # noqa: E731
    run = jax.jit(lambda s: jax.lax.scan(step, s, None, length=n_steps)[0])
    return _small._from_scalars(run(_small._to_scalars(spec, params)))


def test_default_fast_path_is_bit_identical_to_the_unfolded_program():
    """Folding inputs of 1 and asking XLA for wider vectors change no bit (what the studies' recorded
    numbers rely on); 40 steps of lr 1 on XOR amplify any rounding difference into many ulp."""
    spec = nets.mlp([2, 2, 1], "sigmoid")
    params = nets.init(spec, key=jax.random.key(6), n_networks=train.MIN_SMALL_ENSEMBLE, scheme="normal", scale=1.0)
    result = _small.small_ensemble_descent(spec, params, XOR_X, XOR_Y, learning_rate=1.0, n_steps=40,
                                           record_every=40, progress=None)
    reference = _unfolded_descent(spec, params, XOR_X, XOR_Y, 1.0, 40)
    reference = jax.device_get(reference)
    for got, want in zip(jax.tree_util.tree_leaves(result.params), jax.tree_util.tree_leaves(reference)):
        np.testing.assert_array_equal(got, want)
