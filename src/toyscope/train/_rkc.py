r"""Gradient flow by the second-order Runge-Kutta-Chebyshev method (RKC2), a stabilised explicit solver.

Gradient flow :math:`\dot\theta = F(\theta) = -\nabla L(\theta)` has the Jacobian :math:`-H`, a
symmetric matrix: its spectrum is real. Explicit solvers such as Tsit5 are then held to a step
:math:`\tau \lesssim 3/\rho` by the largest Hessian eigenvalue :math:`\rho` (the stiff directions,
long settled), however slowly the rest of the flow moves. Near a slow saddle of the copy-average
losses (curvature :math:`-6\cdot10^{-5}` beside :math:`\rho \approx 100`) leaving takes a flow time
of about :math:`10^5`: :math:`3\cdot10^6` Tsit5 steps. RKC2 (Sommeijer, Shampine & Verwer 1998,
"RKC: an explicit solver for parabolic PDEs", J. Comput. Appl. Math. 88; Verwer, Sommeijer &
Hundsdorfer 2004, J. Comput. Phys. 201, eqs. 2.1-2.4) takes an s-stage step whose stability interval
on the negative real axis grows as :math:`\beta(s) \approx 0.65 s^2`, so a step :math:`\tau` costs
about :math:`\sqrt{1.54\,\tau\rho}` gradients instead of :math:`\tau\rho/3` steps.

One step from :math:`y_n` (damping :math:`\epsilon = 2/13`, :math:`w_0 = 1 + \epsilon/s^2`,
:math:`w_1 = T_s'(w_0)/T_s''(w_0)`, :math:`T_j` the Chebyshev polynomials,
:math:`b_j = T_j''(w_0)/T_j'(w_0)^2` for :math:`j \ge 2`, :math:`b_0 = b_1 = b_2`,
:math:`a_j = 1 - b_j T_j(w_0)`):

.. math::
    Y_0 = y_n,\quad Y_1 = Y_0 + \tilde\mu_1 \tau F(Y_0),\quad \tilde\mu_1 = b_1 w_1,

    Y_j = (1 - \mu_j - \nu_j) Y_0 + \mu_j Y_{j-1} + \nu_j Y_{j-2} + \tilde\mu_j \tau F(Y_{j-1})
          + \tilde\gamma_j \tau F(Y_0),

    \mu_j = 2 b_j w_0 / b_{j-1},\ \nu_j = -b_j / b_{j-2},\ \tilde\mu_j = 2 b_j w_1 / b_{j-1},\
    \tilde\gamma_j = -a_{j-1}\tilde\mu_j,\qquad y_{n+1} = Y_s.

The local error estimate is :math:`\frac{1}{15}[12(y_n - y_{n+1}) + 6\tau(F(y_n) + F(y_{n+1}))]`,
weighed by ``atol + rtol * max(|y_n|, |y_{n+1}|)`` in the root-mean-square norm (diffrax's
default); a step is accepted at norm <= 1 and the next is :math:`\tau \cdot \min(10, \max(0.1,
0.8\,\mathrm{err}^{-1/3}))`. The stage count is :math:`s = 1 + \lceil\sqrt{1 + 1.54\,\tau\rho}\rceil`
with :math:`\rho` 1.2 times a power-iteration estimate of the largest Hessian eigenvalue on
Hessian-vector products (30 iterations at the start, one warm-started iteration per step).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
from jax.flatten_util import ravel_pytree

from .._types import PyTree

#: damping of the Chebyshev polynomials (RKC's value): the stability region keeps a margin from 0
_DAMPING = 2.0 / 13.0
#: power iterations for the first estimate of the largest Hessian eigenvalue
_FIRST_POWER_ITERATIONS = 30
#: the stage count's safety factor on that estimate (RKC's)
_RADIUS_SAFETY = 1.2


def _chebyshev_step(field, y0, f0, tau, rho, max_stages: int):
    """One RKC2 step of ``tau`` from ``y0`` (``f0 = field(y0)``), stages set by the spectral radius ``rho``."""
    dtype = y0.dtype
    stages = jnp.clip(1 + jnp.ceil(jnp.sqrt(1.0 + 1.54 * tau * rho)), 2, max_stages).astype(jnp.int32)
    s = stages.astype(dtype)
    w0 = 1.0 + _DAMPING / s ** 2

    def chebyshev(_, values):  # (T_{j-1}, T_j, T'_{j-1}, T'_j, T''_{j-1}, T''_j) -> j + 1
        t_prev, t, d_prev, d, e_prev, e = values
        return t, 2 * w0 * t - t_prev, d, 2 * t + 2 * w0 * d - d_prev, e, 4 * d + 2 * w0 * e - e_prev

    one, zero = jnp.ones((), dtype), jnp.zeros((), dtype)
    *_, d_s, _, e_s = jax.lax.fori_loop(1, stages, chebyshev, (one, w0, zero, one, zero, zero))
    w1 = d_s / e_s
    b2 = 4.0 / (4.0 * w0) ** 2  # T_2'' / T_2'^2 with T_2 = 2 w^2 - 1
    y1 = y0 + b2 * w1 * tau * f0

    def stage(_, carry):
        y_prev2, y_prev, t_prev2, t_prev, d_prev2, d_prev, e_prev2, e_prev, b_prev2, b_prev = carry
        t = 2 * w0 * t_prev - t_prev2
        d = 2 * t_prev + 2 * w0 * d_prev - d_prev2
        e = 4 * d_prev + 2 * w0 * e_prev - e_prev2
        b = e / d ** 2
        mu, nu, mu_tilde = 2 * b * w0 / b_prev, -b / b_prev2, 2 * b * w1 / b_prev
        gamma_tilde = -(1.0 - b_prev * t_prev) * mu_tilde
        y = (1 - mu - nu) * y0 + mu * y_prev + nu * y_prev2 + mu_tilde * tau * field(y_prev) + gamma_tilde * tau * f0
        return y_prev, y, t_prev, t, d_prev, d, e_prev, e, b_prev, b

    carry = (y0, y1, one, w0, zero, one, zero, zero, b2, b2)
    return jax.lax.fori_loop(2, stages + 1, stage, carry)[1], stages


#: gradient evaluations of a Tsit5 step: an RKC2 flow of ``max_steps`` costs at most as much as Tsit5's
TSIT5_EVALUATIONS = 6


def rkc_flow_program(loss: Callable[[PyTree, Any], jax.Array], *, t1: float, max_steps: int, rtol: float,
                     atol: float, save_times, max_stages: int = 300, max_evaluations: int | None = None):
    r"""``flow_one(params, args, gtol)``: gradient flow of one member by RKC2, in the tuple layout of
    :mod:`toyscope.train._gradient_flow`'s programs.

    The flow stops once an accepted step ends where the max-abs gradient is below ``gtol``, at
    ``t1``, after ``max_steps`` attempted steps (accepted and rejected), or once it has spent
    ``max_evaluations`` gradient evaluations (default ``6 * max_steps``, the cost of ``max_steps``
    Tsit5 steps; a step holds up to ``max_stages`` + 1 of them, and a Hessian-vector product of the
    power iteration counts 2), whichever comes first. The loss curve holds, for each of ``save_times``, the loss
    and time of the first accepted step at or after it (``inf`` where the flow stopped before).

    Returns:
        ``flow_one(params, args, gtol) -> (params, times, losses, final_time, final_loss, grad_max,
        n_steps, reached_gtol, n_gradients)``; write it for one member and ``vmap`` it (``n_gradients``:
        the evaluations spent, a Hessian-vector product counting 2).
    """
    save_times = jnp.asarray(save_times)
    max_evaluations = TSIT5_EVALUATIONS * max_steps if max_evaluations is None else max_evaluations

    def flow_one(params, args, gtol):
        flat, unravel = ravel_pytree(params)
        dtype = flat.dtype

        def value_and_field(y):
            value, grad = jax.value_and_grad(loss)(unravel(y), args)
            return value, -ravel_pytree(grad)[0]

        def field(y):
            return value_and_field(y)[1]

        def hvp(y, v):  # H v = -(dF) v
            return -jax.jvp(field, (y,), (v,))[1]

        def power_step(y, v):
            w = hvp(y, v)
            norm = jnp.linalg.norm(w)
            return jnp.where(norm > 0, w / jnp.where(norm > 0, norm, 1.0), v), norm

        value0, f0 = value_and_field(flat)
        start = jax.random.normal(jax.random.key(0), flat.shape, dtype)
        vector, radius = jax.lax.fori_loop(0, _FIRST_POWER_ITERATIONS, lambda _, c: power_step(flat, c[0]),
                                           (start / jnp.linalg.norm(start), jnp.zeros((), dtype)))
        tau0 = jnp.minimum(jnp.asarray(t1, dtype), 1.0 / jnp.maximum(radius, 1e-12))
        inf = jnp.full(save_times.shape, jnp.inf, dtype)

        def running(state):
            y, f, value, tau, t, steps, evaluations, vector, radius, done, times, losses = state
            return (~done) & (steps < max_steps) & (evaluations < max_evaluations) & (t < t1)

        def step(state):
            y, f, value, tau, t, steps, evaluations, vector, radius, done, times, losses = state
            vector, estimate = power_step(y, vector)
            radius = jnp.maximum(estimate, 0.9 * radius)  # the estimate is a lower bound: forget it slowly
            tau = jnp.minimum(tau, t1 - t)
            # no more than max_stages stages: shorten the step to their stability interval
            longest = ((max_stages - 1.0) ** 2 - 1.0) / (1.54 * _RADIUS_SAFETY * jnp.maximum(radius, 1e-300))
            tau = jnp.minimum(tau, longest)
            y_new, stages = _chebyshev_step(field, y, f, tau, _RADIUS_SAFETY * radius, max_stages)
            value_new, f_new = value_and_field(y_new)
            estimate_error = (12.0 * (y - y_new) + 6.0 * tau * (f + f_new)) / 15.0
            scale = atol + rtol * jnp.maximum(jnp.abs(y), jnp.abs(y_new))
            error = jnp.sqrt(jnp.mean((estimate_error / scale) ** 2))
            accept = jnp.isfinite(error) & (error <= 1.0) & jnp.isfinite(value_new)
            factor = jnp.where(jnp.isfinite(error), 0.8 * jnp.maximum(error, 1e-10) ** (-1.0 / 3.0), 0.1)
            factor = jnp.clip(factor, 0.1, jnp.where(accept, 10.0, 1.0))
            t_new = t + tau
            newly_saved = accept & (save_times <= t_new) & ~jnp.isfinite(times)
            times = jnp.where(newly_saved, t_new, times)
            losses = jnp.where(newly_saved, value_new, losses)
            y, f = jnp.where(accept, y_new, y), jnp.where(accept, f_new, f)
            value = jnp.where(accept, value_new, value)
            t = jnp.where(accept, t_new, t)
            done = accept & (jnp.max(jnp.abs(f_new)) < gtol)
            evaluations = evaluations + stages + 2  # stages - 1 in the step, its end point, one power HVP
            return y, f, value, tau * factor, t, steps + 1, evaluations, vector, radius, done, times, losses

        state = (flat, f0, value0, tau0, jnp.zeros((), dtype), jnp.zeros((), jnp.int32),
                 jnp.asarray(1 + 2 * _FIRST_POWER_ITERATIONS, jnp.int32), vector, radius,
                 jnp.max(jnp.abs(f0)) < gtol, inf, inf)
        y, f, value, _, t, steps, evaluations, _, _, done, times, losses = jax.lax.while_loop(running, step, state)
        return unravel(y), times, losses, t, value, jnp.max(jnp.abs(f)), steps, done, evaluations

    return flow_one
