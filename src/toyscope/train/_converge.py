r"""Converge an ensemble to true local minima: gradient flow, Newton refinement, saddle escapes.

For every member: (1) gradient flow (:func:`make_gradient_flow`, all members at once under
``vmap``) until the max-abs gradient is below ``flow_gtol`` or the step budget is spent;
(2) damped Newton or trust-region Newton (:func:`refine_stationary`) until it is below ``gtol``;
(3) the smallest Hessian eigenvalue :math:`\lambda_{min}` (:func:`smallest_hessian_eigen`).
If :math:`\lambda_{min} < -` ``eig_tol`` the point is a saddle: step ``escape_step`` along the
eigenvector (the sign with the lower loss), flow again and repeat, at most ``max_escapes`` times.
Wall time is split into flow, refinement and eigenvalue work.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from .. import nets
from .._progress import progress_bar
from .._types import PyTree
from ._gradient_flow import make_gradient_flow
from ._second_order import FlatObjective, refine_stationary, smallest_hessian_eigen


class ConvergeRecord(NamedTuple):
    """One member's outcome (``x`` is the full flat parameter vector, float64)."""

    x: np.ndarray
    loss: float
    grad_max: float
    min_eigenvalue: float | None
    converged: bool
    saddle_escapes: int
    flow_steps: int
    flow_grad_max: float
    newton_iterations: int
    method: str
    curve_times: np.ndarray
    curve_losses: np.ndarray
    flow_s: float
    refine_s: float
    eigen_s: float
    note: str


def converge_ensemble(loss: Callable[[PyTree, Any], jax.Array], params: PyTree, args: Any, free: PyTree, *,
                      flow_gtol: float = 1e-5, flow_max_steps: int = 20_000, flow_t1: float = 1e7,
                      solver: str = "tsit5", rtol: float = 1e-8, atol: float = 1e-10, gtol: float = 1e-10,
                      eig_tol: float = 1e-8, max_escapes: int = 5, escape_step: float = 1e-3,
                      dense_limit: int = 2000, objective: FlatObjective | None = None,
                      progress: str | None = None) -> list[ConvergeRecord]:
    """Converge every member of ``params`` (leading ensemble axis) to a minimum of ``loss(params, args)``.

    Args:
        loss: scalar loss of one member; params, args: leading ensemble axis ``E``.
        free: boolean pytree like ``params`` (with the ``E`` axis): which coordinates are trained
            (e.g. ``False`` for padding neurons); the flow must keep the others fixed itself.
        flow_gtol, flow_max_steps, flow_t1, solver, rtol, atol: gradient-flow stage.
        gtol: max-abs gradient target of the Newton stage; eig_tol: a smallest eigenvalue
            ``>= -eig_tol`` counts as a minimum; max_escapes, escape_step: saddle escapes.
        dense_limit: free coordinates up to which the exact dense Hessian is used.
        objective: a :class:`FlatObjective` of the same ``loss`` to reuse (saves compiling it again).

    Returns:
        list of ``E`` :class:`ConvergeRecord`.
    """
    if gtol <= 0 or flow_gtol <= 0 or eig_tol < 0 or max_escapes < 0 or escape_step <= 0:
        raise ValueError(f"need gtol, flow_gtol, escape_step > 0 and eig_tol, max_escapes >= 0; got "
                         f"{gtol}, {flow_gtol}, {escape_step}, {eig_tol}, {max_escapes}")
    flow = make_gradient_flow(loss, solver=solver, t1=flow_t1, gtol=flow_gtol, max_steps=flow_max_steps,
                              rtol=rtol, atol=atol)
    n_members = jax.tree_util.tree_leaves(params)[0].shape[0]
    objective = objective or FlatObjective(loss, nets.ensemble_member(params, 0))
    start = time.perf_counter()
    flowed = flow(params, args)
    jax.block_until_ready(flowed.params)
    batch_flow_s = (time.perf_counter() - start) / n_members
    records = []
    with progress_bar(progress, n_members) as bar:
        for e in range(n_members):
            member_args = nets.ensemble_member(args, e)
            free_index = np.flatnonzero(objective.ravel(nets.ensemble_member(free, e)))
            x = objective.ravel(nets.ensemble_member(flowed.params, e))
            steps, flow_grad = int(flowed.n_steps[e]), float(flowed.grad_max[e])
            times, losses = flowed.times[e], flowed.losses[e]
            flow_s, refine_s, eigen_s, escapes = batch_flow_s, 0.0, 0.0, 0
            while True:
                t0 = time.perf_counter()
                refined = refine_stationary(objective, x, member_args, free=free_index, gtol=gtol, dense_limit=dense_limit)
                t1 = time.perf_counter()
                eigen = smallest_hessian_eigen(objective, refined.x, member_args, free=free_index, dense_limit=dense_limit)
                eigen_s += time.perf_counter() - t1
                refine_s += t1 - t0
                x = refined.x
                if eigen.value >= -eig_tol or escapes >= max_escapes:
                    break
                escapes += 1
                plus, minus = x + escape_step * eigen.vector, x - escape_step * eigen.vector
                x = plus if objective.value(jnp.asarray(plus), member_args) <= objective.value(jnp.asarray(minus), member_args) else minus
                t0 = time.perf_counter()
                again = flow(jax.tree_util.tree_map(lambda leaf: leaf[None], objective.unravel(jnp.asarray(x))),
                             jax.tree_util.tree_map(lambda leaf: jnp.asarray(leaf)[None], member_args))
                flow_s += time.perf_counter() - t0
                x = objective.ravel(nets.ensemble_member(again.params, 0))
                steps += int(again.n_steps[0])
            converged = refined.grad_max < gtol and eigen.value >= -eig_tol
            note = "" if converged else (f"gradient {refined.grad_max:.2e} >= {gtol:g} ({refined.message})"
                                         if refined.grad_max >= gtol else f"saddle after {escapes} escapes")
            records.append(ConvergeRecord(x, refined.loss, refined.grad_max, eigen.value, bool(converged), escapes,
                                          steps, flow_grad, refined.iterations, f"{refined.method}+{eigen.method}",
                                          np.asarray(times), np.asarray(losses), flow_s, refine_s, eigen_s, note))
            bar.advance()
    return records
