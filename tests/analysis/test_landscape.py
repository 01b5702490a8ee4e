"""Loss landscape: gradients and Hessians of quadratics in closed form, paths against a loop."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from toyscope import analysis, nets
from toyscope import tasks


def _quadratic(matrix, centre):
    a, c = jnp.asarray(matrix), jnp.asarray(centre)
    return lambda t: 0.5 * (t - c) @ a @ (t - c)


def test_gradient_norm_and_hessian_of_a_quadratic():
    rng = np.random.default_rng(0)
    m = rng.normal(size=(4, 4))
    a = (m @ m.T + np.eye(4)).astype(np.float32)
    c = rng.normal(size=4).astype(np.float32)
    loss = _quadratic(a, c)
    theta = rng.normal(size=(3, 4)).astype(np.float32)
    # grad = A (theta - c); Hessian = A for every theta
    expected = np.linalg.norm((theta - c) @ a.T, axis=1)
    np.testing.assert_allclose(analysis.gradient_norms(loss, theta), expected, rtol=1e-5)
    eig = analysis.hessian_eigenvalues(loss, theta)
    assert eig.shape == (3, 4) and (np.diff(eig, axis=1) >= 0).all()  # ascending
    np.testing.assert_allclose(eig, np.tile(np.linalg.eigvalsh(a.astype(np.float64)), (3, 1)), rtol=1e-5)


def test_hessian_refuses_huge_parameter_vectors():
    with pytest.raises(ValueError, match="P <= 2000") as info:
        analysis.hessian_eigenvalues(lambda t: (t**2).sum(), np.zeros((1, 2001), np.float32))
    assert "\n" not in str(info.value)


def test_path_losses_against_a_loop_over_alphas():
    loss = lambda t: jnp.sum(jnp.sin(t) * t)
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(2, 3)).astype(np.float32), rng.normal(size=(2, 3)).astype(np.float32)
    losses = analysis.path_losses(loss, a, b, n_points=7)
    assert losses.shape == (2, 7)
    for m in range(2):
        for i, alpha in enumerate(np.linspace(0, 1, 7)):
            point = (1 - alpha) * a[m] + alpha * b[m]
            assert losses[m, i] == pytest.approx(float(np.sum(np.sin(point) * point)), rel=1e-5, abs=1e-6)


def test_loss_barrier_of_a_concave_bump_in_closed_form():
    """L(t) = -t^2 on [0, 1] seen from endpoints -1 and 1: chord is -1, max at t=0 is 0 -> barrier 1."""
    loss = lambda t: -jnp.sum(t**2)
    barrier = analysis.loss_barriers(loss, np.array([[-1.0], [-2.0]]), np.array([[1.0], [-1.0]]), n_points=11)
    # second pair: L goes from -4 to -1 along a line; L - chord = -(t^2) + chord, maximal at the middle:
    # t(alpha) = -2 + alpha, L - chord = -(-2+alpha)^2 - (-4 + 3 alpha) = alpha - alpha^2 -> max 1/4
    np.testing.assert_allclose(barrier, [1.0, 0.25], atol=1e-6)


def test_flat_mlp_loss_equals_bce_computed_by_hand():
    spec = nets.mlp([2, 3, 1], "tanh")
    params = nets.init(spec, key=jax.random.key(0), scheme="normal", scale=1.0)
    rng = np.random.default_rng(2)
    data = {"x": rng.normal(size=(6, 2)).astype(np.float32), "y": (rng.random((6, 1)) < 0.5).astype(np.float32)}
    w = [np.asarray(p["weight"], np.float64) for p in params]
    b = [np.asarray(p["bias"], np.float64) for p in params]
    z = np.tanh(data["x"] @ w[0] + b[0]) @ w[1] + b[1]
    p = 1 / (1 + np.exp(-z))
    bce = -np.mean(data["y"] * np.log(p) + (1 - data["y"]) * np.log(1 - p))
    theta = nets.flatten_params(params)
    assert float(analysis.flat_mlp_loss(spec, data, "bce")(theta)) == pytest.approx(bce, rel=1e-5)
    mse = np.mean((z - data["y"]) ** 2)
    assert float(analysis.flat_mlp_loss(spec, data, "mse")(theta)) == pytest.approx(mse, rel=1e-5)


def test_barrier_between_hidden_unit_twins_is_zero_only_for_the_same_function():
    """Permuted twins compute the same function (equal endpoint losses); the straight path between
    a network and itself is flat, so its barrier is exactly zero."""
    spec = nets.mlp([2, 3, 1], "tanh")
    params = nets.init(spec, key=jax.random.key(1), n_networks=2, scheme="normal", scale=2.0)
    data = {"x": np.random.default_rng(3).normal(size=(8, 2)).astype(np.float32),
            "y": np.ones((8, 1), np.float32)}
    loss = analysis.flat_mlp_loss(spec, data, "bce")
    theta = np.asarray(nets.flatten_params(params))
    twin = np.asarray(nets.flatten_params(nets.permute_hidden_units(spec, params, [2, 0, 1])))
    losses = analysis.path_losses(loss, theta, twin, n_points=5)
    np.testing.assert_allclose(losses[:, 0], losses[:, -1], rtol=1e-5)
    np.testing.assert_allclose(analysis.loss_barriers(loss, theta, theta), 0.0, atol=1e-6)


SPEC = nets.mlp([2, 3, 1], "sigmoid")


def _ensemble(n=6, spec=SPEC, seed=0):
    return nets.init(spec, key=jax.random.key(seed), n_networks=n, scheme="normal", scale=2.0)


def test_gradient_norm_and_hessian_match_finite_differences():
    with jax.enable_x64(True):
        params = jax.tree_util.tree_map(lambda a: jnp.asarray(a, jnp.float64), _ensemble(n=2))
        data = tasks.xor_task(np.float64)
        loss = analysis.flat_mlp_loss(SPEC, data, "bce")
        theta = np.asarray(nets.flatten_params(params))
        eps = 1e-5
        for e in range(2):
            t = theta[e]
            grad_fd = np.array([(loss(t + eps * d) - loss(t - eps * d)) / (2 * eps) for d in np.eye(len(t))])
            hess_fd = np.array([[(loss(t + eps * (di + dj)) - loss(t + eps * (di - dj)) - loss(t - eps * (di - dj))
                                  + loss(t - eps * (di + dj))) / (4 * eps**2) for dj in np.eye(len(t))]
                                for di in np.eye(len(t))])
            assert np.isclose(analysis.gradient_norms(loss, theta)[e], np.linalg.norm(grad_fd), rtol=1e-5)
            np.testing.assert_allclose(analysis.hessian_eigenvalues(loss, theta)[e],
                                       np.linalg.eigvalsh(0.5 * (hess_fd + hess_fd.T)), atol=1e-4)


def test_loss_barrier_of_a_double_well_and_of_a_convex_path():
    double_well = lambda t: (t[0] ** 2 - 1.0) ** 2  # minima at -1 and +1, value 1 at 0
    barrier = analysis.loss_barriers(double_well, np.array([[-1.0], [0.5]]), np.array([[1.0], [0.5]]), n_points=21)
    np.testing.assert_allclose(barrier, [1.0, 0.0], atol=1e-6)
    convex = lambda t: (t**2).sum()
    assert analysis.loss_barriers(convex, np.array([[-1.0, 2.0]]), np.array([[3.0, 1.0]]))[0] <= 1e-6
