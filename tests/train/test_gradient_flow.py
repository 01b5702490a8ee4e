r"""Gradient flow of a coupled quadratic against its exact solution :math:`\theta(t) = e^{-At}\theta_0`."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.linalg import expm

from toyscope import train

A = np.array([[3.0, 1.0], [1.0, 0.5]])  # symmetric positive definite, eigenvalues ~3.35 and ~0.15
B = np.array([[1.0, -0.4], [-0.4, 2.0]])


@pytest.fixture(autouse=True)
def x64():
    with jax.enable_x64(True):
        yield


def _quadratic(theta, matrix):
    return 0.5 * theta @ matrix @ theta


def test_flow_follows_the_matrix_exponential_for_every_member():
    flow = train.make_gradient_flow(_quadratic, gtol=1e-12, rtol=1e-10, atol=1e-12, t1=3.0, n_saves=12,
                                    t_first_save=0.05)
    theta0 = np.array([[1.0, -2.0], [0.5, 0.5]])
    matrices = np.stack([A, B])
    result = flow(jnp.asarray(theta0), jnp.asarray(matrices))
    for member in range(2):  # t1 = 3 is reached long before |grad| < 1e-12
        exact = expm(-matrices[member] * 3.0) @ theta0[member]
        np.testing.assert_allclose(np.asarray(result.params)[member], exact, rtol=1e-7, atol=1e-10)
        assert result.final_time[member] == pytest.approx(3.0) and not result.reached_gtol[member]
        assert result.final_loss[member] == pytest.approx(_quadratic(exact, matrices[member]), rel=1e-7)
        gradient = matrices[member] @ exact
        assert result.grad_max[member] == pytest.approx(np.abs(gradient).max(), rel=1e-6)
        np.testing.assert_allclose(result.times[member], np.geomspace(0.05, 3.0, 12), rtol=1e-12)
        curve = [_quadratic(expm(-matrices[member] * t) @ theta0[member], matrices[member]) for t in result.times[member]]
        np.testing.assert_allclose(result.losses[member], curve, rtol=1e-7)
        assert result.n_steps[member] > 0


def test_flow_stops_at_gtol_on_the_exact_trajectory():
    flow = train.make_gradient_flow(_quadratic, gtol=1e-4, rtol=1e-10, atol=1e-12, t1=1e4)
    theta0 = np.array([[1.0, -2.0]])
    result = flow(jnp.asarray(theta0), jnp.asarray(A[None]))
    t = float(result.final_time[0])
    exact = expm(-A * t) @ theta0[0]
    np.testing.assert_allclose(np.asarray(result.params)[0], exact, rtol=1e-6, atol=1e-12)
    assert result.reached_gtol[0] and result.grad_max[0] < 1e-4
    # the gradient crossed gtol during the last step, not long before: |grad| at 0.9 t is still above it
    assert np.abs(A @ (expm(-A * 0.9 * t) @ theta0[0])).max() > 1e-4
    saved = np.isfinite(result.times[0])  # save times after the stop are inf, and so are their losses
    assert 0 < saved.sum() < saved.size and np.all(result.times[0][saved] <= t)
    assert np.all(np.isinf(result.losses[0][~saved]))
    curve = [_quadratic(expm(-A * s) @ theta0[0], A) for s in result.times[0][saved]]
    np.testing.assert_allclose(result.losses[0][saved], curve, rtol=1e-7)


@pytest.mark.parametrize("kwargs,message", [
    ({"solver": "euler"}, r"^solver must be one of \[.*\], got 'euler'$"),
    ({"gtol": 0.0}, r"^gtol, rtol, atol, t1, max_steps must be > 0, got 0.0"),
    ({"max_steps": 0}, r"^gtol, rtol, atol, t1, max_steps must be > 0"),
])
def test_bad_flow_arguments_raise_one_line_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        train.make_gradient_flow(_quadratic, **kwargs)


def _counting_loss():
    """A stiff quadratic-plus-quartic loss whose backward pass bumps a counter: one call per gradient
    evaluation (and one per Hessian-vector product, whose forward-mode pass runs it once)."""
    calls = [0]

    @jax.custom_vjp
    def counted(x):
        return x

    def backward(_, g):
        jax.debug.callback(lambda: calls.__setitem__(0, calls[0] + 1))
        return (g,)

    counted.defvjp(lambda x: (x, None), backward)

    def loss(theta, _):
        q = counted(theta)
        return 0.5 * jnp.sum(jnp.array([1.0, 10.0, 100.0]) * q ** 2) + 0.1 * jnp.sum(q ** 4)

    return loss, calls


@pytest.mark.parametrize("solver", ["tsit5", "dopri5", "bosh3", "rkc"])
@pytest.mark.parametrize("max_steps", [40, 150])
def test_reported_gradient_evaluations_are_the_evaluations_made(solver, max_steps):
    loss, calls = _counting_loss()
    flow = train.make_gradient_flow(loss, solver=solver, max_steps=max_steps, gtol=1e-12, t1=1e3)
    result = flow(jnp.ones((1, 3)), None)
    jax.effects_barrier()
    assert 0 < result.n_steps[0] <= max_steps
    if solver == "rkc":  # a Hessian-vector product counts 2: 30 power iterations at the start, one per step
        assert result.n_gradients[0] == calls[0] + 30 + result.n_steps[0]
    else:
        assert result.n_gradients[0] == calls[0]


def test_implicit_solvers_report_no_gradient_count():
    result = train.make_gradient_flow(lambda x, _: 0.5 * jnp.sum(x ** 2), solver="kvaerno3", max_steps=20)(
        jnp.ones((1, 2)), None)
    assert result.n_gradients[0] == -1 and result.n_steps[0] > 0
