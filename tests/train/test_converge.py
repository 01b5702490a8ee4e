"""Gradient flow, Newton refinement and saddle escapes against closed-form answers."""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from toyscope import train


@pytest.fixture(autouse=True)
def x64():
    with jax.enable_x64(True):
        yield


def test_flow_on_a_quadratic_stops_when_and_where_the_closed_form_says():
    # L = lam x^2 / 2: x(t) = x0 exp(-lam t); |grad| = lam |x| crosses gtol at t* = log(lam x0 / gtol) / lam;
    # the event fires at the end of the first step past t*
    def loss(x, lam):
        return 0.5 * lam * jnp.sum(x**2)

    flow = train.make_gradient_flow(loss, gtol=1e-6, rtol=1e-10, atol=1e-12, t1=1e4, max_steps=10_000)
    lam = jnp.array([1.0, 4.0])
    result = flow(jnp.array([[1.0], [1.0]]), lam)
    expected = np.log(np.asarray(lam) / 1e-6) / np.asarray(lam)
    assert np.all(result.final_time >= expected) and np.all(result.final_time < 1.1 * expected)
    np.testing.assert_allclose(np.asarray(result.params)[:, 0], np.exp(-np.asarray(lam) * result.final_time), rtol=1e-5)
    assert np.all(result.reached_gtol) and np.all(result.grad_max < 1.01e-6)
    finite = np.isfinite(result.losses[0])
    np.testing.assert_allclose(result.losses[0][finite], 0.5 * np.exp(-2 * result.times[0][finite]), rtol=1e-6)


def test_saddle_is_escaped_and_refinement_reaches_1e_10():
    # L = x^2 + (y^2 - 1)^2 / 4: saddle at the origin (Hessian diag(2, -1)), minima at y = +-1
    def loss(p, _):
        return p[0] ** 2 + (p[1] ** 2 - 1) ** 2 / 4

    start = jnp.zeros((1, 2))
    free = jnp.ones((1, 2), bool)
    (record,) = train.converge(loss, start, jnp.zeros(1), free=free, flow=train.GradientFlow(gtol=1e-3))
    assert record.saddle_escapes == 1 and record.converged
    assert abs(abs(record.x[1]) - 1) < 1e-9 and record.loss < 1e-18
    assert record.grad_max < 1e-10 and np.isclose(record.min_eigenvalue, 2.0)


def test_refine_respects_frozen_coordinates_and_lanczos_agrees_with_eigh():
    a = np.diag([3.0, 1.0, 2.0, 0.5])

    def loss(p, _):
        return 0.5 * p @ jnp.asarray(a) @ p + jnp.sum(p**4)

    objective = train.FlatObjective(loss, jnp.zeros(4))
    x = np.array([0.3, -0.2, 0.5, 7.0])
    refined = train.refine_stationary(objective, x, None, free=np.array([0, 1, 2]), gtol=1e-12)
    assert refined.x[3] == 7.0 and np.abs(refined.x[:3]).max() < 1e-10
    dense = train.smallest_hessian_eigen(objective, refined.x, None, free=np.arange(3))
    lanczos = train.smallest_hessian_eigen(objective, refined.x, None, free=np.arange(3), dense_limit=1)
    assert np.isclose(dense.value, 1.0) and np.isclose(lanczos.value, 1.0) and lanczos.method == "lanczos"
    assert refined.method == "newton"
    krylov = train.refine_stationary(objective, x, None, free=np.array([0, 1, 2]), gtol=1e-12, dense_limit=1,
                                     newton_dense_limit=1)
    assert krylov.method == "trust-krylov+newton" and krylov.grad_max < 1e-12
    exact = train.refine_stationary(objective, x, None, free=np.array([0, 1, 2]), gtol=1e-10, newton_steps=0)
    assert exact.method == "newton+trust-exact+newton" and exact.grad_max < 1e-10



def test_converge_reaches_the_closed_form_minimum_of_a_coupled_quadratic_keeping_frozen_coordinates():
    # L = s (x - c)^T A (x - c) / 2 on x_0..2; x_3 is frozen (the loss ignores it, as the flow needs): minimum c
    a = np.array([[4.0, 1.0, 0.0], [1.0, 3.0, 0.5], [0.0, 0.5, 2.0]])
    c = np.array([0.5, -1.0, 2.0])

    def loss(p, scale):
        d = p[:3] - jnp.asarray(c)
        return scale * 0.5 * d @ jnp.asarray(a) @ d + 0.0 * p[3]

    start = jnp.array([[3.0, 3.0, -3.0, 7.0], [0.0, 0.0, 0.0, -1.0]])
    free = jnp.array([[True, True, True, False]] * 2)
    records = train.converge(loss, start, jnp.array([1.0, 10.0]), free=free,
                             flow=train.GradientFlow(gtol=1e-4), refinement=train.NewtonRefinement(gtol=1e-12))
    for record, x3 in zip(records, (7.0, -1.0)):
        assert record.converged and record.saddle_escapes == 0 and record.note == ""
        np.testing.assert_allclose(record.x[:3], c, atol=1e-11)
        assert record.x[3] == x3 and record.grad_max < 1e-12
    # the smallest eigenvalue of the free Hessian is that of A (times the member's scale)
    np.testing.assert_allclose([r.min_eigenvalue for r in records], np.linalg.eigvalsh(a)[0] * np.array([1.0, 10.0]))


def test_converge_without_escapes_stops_at_the_saddle_and_says_so():
    def loss(p, _):
        return p[0] ** 2 + (p[1] ** 2 - 1) ** 2 / 4

    (record,) = train.converge(loss, jnp.zeros((1, 2)), saddles=train.SaddleEscape(max_escapes=0),
                               flow=train.GradientFlow(gtol=1e-3))
    assert not record.converged and record.saddle_escapes == 0 and "saddle" in record.note
    np.testing.assert_allclose(record.x, 0.0, atol=1e-12)
    assert np.isclose(record.min_eigenvalue, -1.0)  # Hessian diag(2, -1) at the origin


def _tilted_double_well(p, _):
    # saddle near y = 0.1 (y^3 - y + 0.1 = 0), minima y ~ +0.95 (higher) and y ~ -1.05 (lower)
    return p[0] ** 2 + (p[1] ** 2 - 1) ** 2 / 4 + 0.1 * p[1]


def _saddle_y() -> float:
    roots = np.roots([1.0, 0.0, -1.0, 0.1]).real
    return float(roots[np.argmin(np.abs(roots))])


def test_flow_stopped_near_a_saddle_is_continued_to_the_minimum_gradient_flow_reaches():
    # the first flow is cut after 5 steps just above the saddle, on the side of the higher minimum;
    # the hand-off must wait for a positive definite Hessian, and the end point is where an
    # independent gradient flow (scipy, to t = 200) ends, not the lower minimum on the other side
    from scipy.integrate import solve_ivp

    start = np.array([0.5, _saddle_y() + 1e-4])
    reference = solve_ivp(lambda t, p: -np.array([2 * p[0], p[1] ** 3 - p[1] + 0.1]), (0, 200), start,
                          rtol=1e-11, atol=1e-13).y[:, -1]
    (record,) = train.converge(_tilted_double_well, jnp.asarray(start)[None], jnp.zeros(1),
                               flow=train.GradientFlow(gtol=1e-3, max_steps=5))
    assert record.converged and record.negative_handoffs == 0 and record.flow_stages >= 1
    assert record.handoff_eigenvalue >= -1e-8 and record.saddle_escapes == 0
    np.testing.assert_allclose(record.x, reference, atol=1e-8)
    assert reference[1] > 0.9


def test_spent_continuation_budget_is_counted_as_a_hand_off_at_a_negative_eigenvalue():
    start = jnp.array([[0.5, _saddle_y() + 1e-4]])
    (record,) = train.converge(_tilted_double_well, start, jnp.zeros(1), flow=train.GradientFlow(gtol=1e-3, max_steps=5),
                               continuation=train.FlowContinuation(max_stages=0))
    assert record.negative_handoffs == 1 and record.flow_stages == 0 and record.handoff_eigenvalue < -0.5


def test_escape_from_a_saddle_the_flow_sits_on_goes_the_way_the_flow_drifts():
    # y = y_s + 1e-12: the gradient (~1e-12) is below stall_gtol, so an escape step is taken; its
    # sign follows -grad . v (up, toward the higher minimum), not the lower loss (down)
    start = jnp.array([[0.0, _saddle_y() + 1e-12]])
    (record,) = train.converge(_tilted_double_well, start, jnp.zeros(1), flow=train.GradientFlow(gtol=1e-3))
    assert record.converged and record.saddle_escapes == 1 and record.x[1] > 0.9


def test_first_flow_one_member_at_a_time_equals_a_loop_of_single_member_runs():
    # two starts of the tilted double well, on either side of the saddle: members flowed alone
    # (rkc's default) must each equal converge on that member by itself, and for Tsit5 the batched
    # program (each member keeps its own step size under vmap) must equal the one-at-a-time one
    starts = jnp.array([[0.5, 0.6], [-0.3, -0.4]])
    rkc = train.GradientFlow(solver="rkc", gtol=1e-4, rtol=1e-9, atol=1e-11)
    assert rkc.batched is None
    together = train.converge(_tilted_double_well, starts, jnp.zeros(2), flow=rkc)
    alone = [train.converge(_tilted_double_well, starts[e:e + 1], jnp.zeros(1), flow=rkc)[0] for e in range(2)]
    for record, single in zip(together, alone):
        np.testing.assert_array_equal(record.x, single.x)
        assert record.flow_steps == single.flow_steps and record.flow_gradients == single.flow_gradients
        assert record.converged and record.flow_s > 0
    tsit5 = dataclasses.replace(rkc, solver="tsit5")
    batched = train.converge(_tilted_double_well, starts, jnp.zeros(2), flow=tsit5)
    one_at_a_time = train.converge(_tilted_double_well, starts, jnp.zeros(2),
                                   flow=dataclasses.replace(tsit5, batched=False))
    for record, single in zip(batched, one_at_a_time):
        np.testing.assert_allclose(record.x, single.x, rtol=0, atol=1e-12)
        assert record.flow_steps == single.flow_steps and record.converged
    # each minimum is reached on its own side of the saddle, by both solvers
    assert [r.x[1] > 0 for r in together] == [r.x[1] > 0 for r in batched] == [True, False]
    with pytest.raises(ValueError, match="batched"):
        train.GradientFlow(batched="yes")


def test_a_member_whose_hessian_is_not_finite_is_reported_not_converged_and_the_others_go_on():
    # L = |p - c|^2 / 2 whose gradient p - c is exact but whose Hessian is NaN where p_0 < 0.2 (as a
    # ReLU neuron's arc-cosine kernel is where its weights vanish): the member that flows there is
    # reported, not converged, with a note; the other member (kept in p_0 > 0.2) converges as usual
    c = jnp.array([0.0, 1.0])

    @jax.custom_jvp
    def gradient(p):
        return p - c

    @gradient.defjvp
    def _(primals, tangents):
        (p,), (t,) = primals, tangents
        return gradient(p), jnp.where(p[0] < 0.2, jnp.nan, 1.0) * t

    @jax.custom_jvp
    def loss(p, _):
        return 0.5 * jnp.sum((p - c) ** 2)

    @loss.defjvp
    def _(primals, tangents):
        (p, a), (t, _) = primals, tangents
        return loss(p, a), gradient(p) @ t

    def loss_both(p, bound):
        return loss(jnp.stack([jnp.maximum(p[0], bound), p[1]]), None) + 0.5 * jnp.minimum(p[0] - bound, 0.0) ** 2

    starts = jnp.array([[1.0, 0.0], [1.0, 0.0]])
    records = train.converge(loss_both, starts, jnp.array([-1.0, 0.5]), flow=train.GradientFlow(gtol=1e-6))
    stuck, fine = records
    assert not stuck.converged and "Hessian not finite" in stuck.note and np.isnan(stuck.min_eigenvalue)
    assert stuck.x[0] < 0.2 and np.isfinite(stuck.loss)
    assert fine.converged and fine.note == "" and fine.min_eigenvalue == pytest.approx(1.0)
    np.testing.assert_allclose(fine.x, [0.5, 1.0], atol=1e-8)
    objective = train.FlatObjective(loss_both, jnp.zeros(2))
    for dense_limit in (2000, 1):
        eigen = train.smallest_hessian_eigen(objective, np.array([0.1, 0.0]), jnp.asarray(-1.0), dense_limit=dense_limit)
        assert np.isnan(eigen.value) and "not finite" in eigen.method and not eigen.vector.any()


def test_flow_continuation_rejects_bad_options():
    with pytest.raises(ValueError, match="shrink"):
        train.FlowContinuation(shrink=1.0)
    with pytest.raises(ValueError, match="solver"):
        train.FlowContinuation(solver="euler")
