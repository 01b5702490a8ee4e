r"""The RKC2 gradient flow (``solver="rkc"``) against exact solutions of stiff quadratic flows.

For :math:`L = \frac12 x^\top A x - b^\top x` the flow is
:math:`x(t) = x^* + Q e^{-\Lambda t} Q^\top (x_0 - x^*)`; with eigenvalues from 1e-3 to 1e3 (and a
negative one: a saddle) an explicit solver is held to steps of about 3e-3, RKC2 is not."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from toyscope import train
from toyscope.train._rkc import _chebyshev_step


@pytest.fixture(autouse=True)
def x64():
    with jax.enable_x64(True):
        yield


def _stiff_problem(n=30, seed=0, saddle=True):
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.normal(size=(n, n)))
    eigenvalues = np.geomspace(1e-3, 1e3, n)
    if saddle:
        eigenvalues[0] = -2e-3
    matrix, b, x0 = q @ np.diag(eigenvalues) @ q.T, rng.normal(size=n), rng.normal(size=n)
    x_star = np.linalg.solve(matrix, b)

    def exact(t):
        return x_star + q @ (np.exp(-eigenvalues * t) * (q.T @ (x0 - x_star)))

    def loss(x, args):
        m, v = args
        return 0.5 * x @ m @ x - v @ x

    return loss, (jnp.asarray(matrix)[None], jnp.asarray(b)[None]), x0, exact, q, eigenvalues


@pytest.mark.parametrize("rtol, tolerance", [(1e-6, 1e-4), (1e-10, 1e-6)])
def test_rkc_follows_the_exact_stiff_flow_through_a_saddle(rtol, tolerance):
    loss, args, x0, exact, q, eigenvalues = _stiff_problem()
    t1 = 2000.0  # the saddle's direction has grown e^4 ~ 55-fold, the stiff ones settled 1e6 times over
    stage = train.make_flow_stage(loss, solver="rkc", rtol=rtol, atol=rtol * 1e-2, max_steps=100_000, t1=t1)
    result = stage(jnp.asarray(x0)[None], args, jnp.asarray([1e-30]))
    x = np.asarray(result.params)[0]
    moved = np.max(np.abs(exact(t1) - x0))
    assert np.max(np.abs(x - exact(t1))) < tolerance * moved
    assert result.final_time[0] == pytest.approx(t1) and not result.reached_gtol[0]
    # far fewer steps than the explicit stability limit allows: Tsit5 needs about t1 * 1e3 / 3.5 ~ 6e5
    assert result.n_steps[0] < 60_000
    # the unstable direction is followed on its own side
    assert np.sign(q[:, 0] @ x) == np.sign(q[:, 0] @ exact(t1))


def test_rkc_one_step_error_falls_like_tau_cubed():
    # one step on a linear problem: the error of RKC2 falls like tau^3 (local order 2)
    loss, args, x0, _, q, eigenvalues = _stiff_problem(saddle=False)
    matrix = np.asarray(args[0][0])
    b = np.asarray(args[1][0])

    def field(y):
        return -(jnp.asarray(matrix) @ y - jnp.asarray(b))

    x_star = np.linalg.solve(matrix, b)
    errors = []
    for tau in (0.4, 0.2, 0.1):
        y0 = jnp.asarray(x0)
        step, _ = _chebyshev_step(field, y0, field(y0), jnp.asarray(tau), jnp.asarray(1.2e3), 300)
        exact = x_star + q @ (np.exp(-eigenvalues * tau) * (q.T @ (x0 - x_star)))
        # measure the error on the slow directions (the stiff ones are damped, not followed, within a step)
        slow = eigenvalues < 1.0
        errors.append(np.max(np.abs((q.T @ (np.asarray(step) - exact))[slow])))
    ratios = np.asarray(errors[:-1]) / np.asarray(errors[1:])
    assert np.all(ratios > 6.0), ratios  # 8 for a local error of order tau^3


def test_rkc_stops_at_gtol_and_saves_the_loss_where_it_passed():
    loss, args, x0, exact, _, _ = _stiff_problem(saddle=False)
    flow = train.make_gradient_flow(loss, solver="rkc", gtol=1e-3, rtol=1e-10, atol=1e-12, t1=1e6, n_saves=8,
                                    t_first_save=1e-2)
    result = flow(jnp.asarray(x0)[None], args)
    t = float(result.final_time[0])
    assert result.reached_gtol[0] and result.grad_max[0] < 1e-3 and t < 1e6
    np.testing.assert_allclose(np.asarray(result.params)[0], exact(t), rtol=1e-6, atol=1e-8)
    matrix, b = np.asarray(args[0][0]), np.asarray(args[1][0])
    # the gradient crossed 1e-3 in the last step: at 0.9 t it was still above
    assert np.abs(matrix @ exact(0.9 * t) - b).max() > 1e-3
    saved = np.isfinite(result.times[0])
    assert 0 < saved.sum() < saved.size
    requested = np.geomspace(1e-2, 1e6, 8)[saved]
    assert np.all(result.times[0][saved] >= requested) and np.all(result.times[0][saved] <= t)
    curve = [loss(jnp.asarray(exact(s)), (args[0][0], args[1][0])) for s in result.times[0][saved]]
    np.testing.assert_allclose(result.losses[0][saved], curve, rtol=1e-6)
    assert np.all(np.isinf(result.losses[0][~saved]))


def test_rkc_members_under_vmap_are_the_members_run_alone():
    loss, (matrix, b), x0, _, _, _ = _stiff_problem(saddle=True)
    stage = train.make_flow_stage(loss, solver="rkc", rtol=1e-8, atol=1e-10, max_steps=100_000, t1=500.0)
    starts = jnp.stack([jnp.asarray(x0), -jnp.asarray(x0), 0.5 * jnp.asarray(x0)])
    both = stage(starts, (jnp.repeat(matrix, 3, 0), jnp.repeat(b, 3, 0)), jnp.asarray([1e-30, 1e-30, 5.0]))
    for e in range(3):
        alone = stage(starts[e:e + 1], (matrix, b), jnp.asarray([[1e-30, 1e-30, 5.0][e]]))
        # equal up to the round-off of batched matrix products
        np.testing.assert_allclose(np.asarray(both.params)[e], np.asarray(alone.params)[0], rtol=1e-9)
        assert both.n_steps[e] == alone.n_steps[0] and both.reached_gtol[e] == alone.reached_gtol[0]
    assert both.reached_gtol[2] and not both.reached_gtol[0]


def test_rkc_is_a_named_solver_and_unknown_names_list_it():
    assert "rkc" in train.SOLVERS
    with pytest.raises(ValueError, match="rkc"):
        train.make_flow_stage(lambda x, _: jnp.sum(x ** 2), solver="rk45")


def test_rkc_stops_at_the_evaluations_of_max_steps_tsit5_steps():
    # a stage of max_steps = 50 may spend 300 gradient evaluations (the 61 of the first spectral-radius
    # estimate included): on the stiff problem its steps hold several stages each, so it stops on
    # evaluations, short of both t1 and its 50 steps
    loss, args, x0, exact, _, _ = _stiff_problem(saddle=False)
    short = train.make_flow_stage(loss, solver="rkc", rtol=1e-8, atol=1e-10, max_steps=50, t1=1e4)
    result = short(jnp.asarray(x0)[None], args, jnp.asarray([1e-30]))
    assert 0 < result.n_steps[0] < 50 and 0 < result.final_time[0] < 1e4 and not result.reached_gtol[0]
    # the point it stopped at is on the exact trajectory at the time it reached
    t = float(result.final_time[0])
    np.testing.assert_allclose(np.asarray(result.params)[0], exact(t), rtol=1e-5, atol=1e-6)
    longer = train.make_flow_stage(loss, solver="rkc", rtol=1e-8, atol=1e-10, max_steps=500, t1=1e4)
    assert longer(jnp.asarray(x0)[None], args, jnp.asarray([1e-30])).final_time[0] > t
