r"""Converge an ensemble to stationary points (true local minima): gradient flow, Newton
refinement, saddle escapes, behind one function, :func:`converge`.

For every member: (1) gradient flow (:func:`make_gradient_flow`, all members at once under
``vmap``) until the max-abs gradient is below ``flow_gtol`` or the step budget is spent;
(2) damped Newton or trust-region Newton (:func:`refine_stationary`) until it is below ``gtol``;
(3) the smallest Hessian eigenvalue :math:`\lambda_{min}` (:func:`smallest_hessian_eigen`).
If :math:`\lambda_{min} < -` ``eig_tol`` the point is a saddle: step ``escape_step`` along the
eigenvector (the sign with the lower loss), flow again and repeat, at most ``max_escapes`` times.
Wall time is split into flow, refinement and eigenvalue work.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from .. import nets
from .._progress import progress_bar
from .._types import PyTree
from ._gradient_flow import SOLVERS, make_gradient_flow
from ._second_order import FlatObjective, refine_stationary, smallest_hessian_eigen


class ConvergeRecord(NamedTuple):
    """One member's outcome from :func:`converge`.

    Attributes:
        x: ``(P,)`` the full flat parameter vector (float64; ``FlatObjective.unravel`` restores the pytree).
        loss, grad_max: the loss and the max-abs gradient on the free coordinates at ``x``.
        min_eigenvalue: smallest Hessian eigenvalue on the free coordinates.
        converged: ``grad_max < gtol`` and ``min_eigenvalue >= -eig_tol``.
        saddle_escapes: escapes taken; flow_steps: solver steps of all flows; flow_grad_max: max-abs
            gradient where the first flow stopped; newton_iterations: refinement iterations.
        method: refinement phases and eigen method, e.g. ``"newton+eigh"``.
        curve_times, curve_losses: ``(n_saves,)`` the first flow's loss curve (``inf`` after it stopped).
        flow_s, refine_s, eigen_s: wall seconds (the batched flow's time is shared equally by members).
        note: why the member did not converge, or ``""``.
    """

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


@dataclasses.dataclass(frozen=True)
class GradientFlow:
    r"""Stage 1 of :func:`converge`: :math:`\dot\theta = -\nabla L(\theta)` by an adaptive ODE solver.

    Attributes:
        solver: one of ``SOLVERS`` (see :func:`make_gradient_flow`).
        gtol: stop when the max-abs gradient is below this; max_steps: solver step budget;
        t1: final flow time; rtol, atol: step-size controller tolerances.
    """

    solver: str = "tsit5"
    gtol: float = 1e-5
    max_steps: int = 20_000
    t1: float = 1e7
    rtol: float = 1e-8
    atol: float = 1e-10

    def __post_init__(self):
        if self.solver not in SOLVERS:
            raise ValueError(f"solver must be one of {sorted(SOLVERS)}, got {self.solver!r}")
        for name in ("gtol", "max_steps", "t1", "rtol", "atol"):
            if not getattr(self, name) > 0:
                raise ValueError(f"GradientFlow.{name} must be > 0, got {getattr(self, name)}")


@dataclasses.dataclass(frozen=True)
class NewtonRefinement:
    """Stage 2 of :func:`converge`: damped (saddle-free) Newton / trust region (:func:`refine_stationary`).

    Attributes:
        gtol: max-abs gradient target; dense_limit: free coordinates up to which the exact dense
            Hessian is used (Hessian-vector products beyond).
    """

    gtol: float = 1e-10
    dense_limit: int = 2000

    def __post_init__(self):
        if not self.gtol > 0:
            raise ValueError(f"NewtonRefinement.gtol must be > 0, got {self.gtol}")
        if not (isinstance(self.dense_limit, int) and self.dense_limit >= 1):
            raise ValueError(f"NewtonRefinement.dense_limit must be an integer >= 1, got {self.dense_limit}")


@dataclasses.dataclass(frozen=True)
class SaddleEscape:
    r"""Stage 3 of :func:`converge`: a point with :math:`\lambda_{min} < -` ``eig_tol`` is a saddle;
    step ``step`` along its eigenvector (the sign with the lower loss), flow and refine again, at
    most ``max_escapes`` times (0: stop at any stationary point)."""

    eig_tol: float = 1e-8
    max_escapes: int = 5
    step: float = 1e-3

    def __post_init__(self):
        if not self.eig_tol >= 0:
            raise ValueError(f"SaddleEscape.eig_tol must be >= 0, got {self.eig_tol}")
        if not (isinstance(self.max_escapes, int) and self.max_escapes >= 0):
            raise ValueError(f"SaddleEscape.max_escapes must be an integer >= 0, got {self.max_escapes}")
        if not self.step > 0:
            raise ValueError(f"SaddleEscape.step must be > 0, got {self.step}")


def converge(loss: Callable[[PyTree, Any], jax.Array], params: PyTree, args: Any = None, *, free: PyTree | None = None,
             flow: GradientFlow | None = None, refinement: NewtonRefinement | None = None,
             saddles: SaddleEscape | None = None, objective: FlatObjective | None = None,
             progress: str | None = None) -> list[ConvergeRecord]:
    r"""Converge every member of an ensemble to a stationary point of ``loss`` and check it is a minimum.

    For each member: gradient flow :math:`\dot\theta = -\nabla L` (all members at once) until
    :math:`\max_i|\partial_i L| <` ``flow.gtol``; Newton refinement until it is below
    ``refinement.gtol``; the smallest Hessian eigenvalue :math:`\lambda_{min}` on the free
    coordinates; saddle escapes while :math:`\lambda_{min} < -` ``saddles.eig_tol``. A member is
    ``converged`` when the gradient target is met and :math:`\lambda_{min} \ge -` ``eig_tol``.

    Args:
        loss: scalar loss ``loss(params, args)`` of one member.
        params: leading ensemble axis E on every leaf; args: the loss's extra argument, leading E
            (or ``None``).
        free: boolean pytree like ``params`` (with E): which coordinates are optimised (e.g.
            ``False`` for padding neurons; the loss must keep the others' gradient zero for the
            flow); default all.
        flow, refinement, saddles: :class:`GradientFlow`, :class:`NewtonRefinement`,
            :class:`SaddleEscape` (defaults as documented there).
        objective: a :class:`FlatObjective` of the same ``loss`` to reuse (saves compiling it again).
        progress: progress-bar label over members, or ``None``.

    Returns:
        ``E`` :class:`ConvergeRecord`, one per member: flat float64 ``x``, ``loss``, ``grad_max``,
        ``min_eigenvalue``, ``converged``, escape and step counts, the flow's loss curve, and the
        wall time split into flow, refinement and eigenvalue work.

    Example:
        >>> def loss(p, _): return p[0] ** 2 + (p[1] ** 2 - 1) ** 2 / 4   # saddle at 0, minima at y = +-1
        >>> (record,) = train.converge(loss, jnp.zeros((1, 2)), flow=train.GradientFlow(gtol=1e-3))
        >>> record.converged, record.saddle_escapes   # (True, 1)
    """
    flow = GradientFlow() if flow is None else flow
    refinement = NewtonRefinement() if refinement is None else refinement
    saddles = SaddleEscape() if saddles is None else saddles
    if free is None:
        free = jax.tree_util.tree_map(lambda leaf: jnp.ones(jnp.shape(leaf), bool), params)
    return converge_members(loss, params, args, free, flow_gtol=flow.gtol, flow_max_steps=flow.max_steps,
                            flow_t1=flow.t1, solver=flow.solver, rtol=flow.rtol, atol=flow.atol,
                            gtol=refinement.gtol, eig_tol=saddles.eig_tol, max_escapes=saddles.max_escapes,
                            escape_step=saddles.step, dense_limit=refinement.dense_limit, objective=objective,
                            progress=progress)


def converge_members(loss: Callable[[PyTree, Any], jax.Array], params: PyTree, args: Any, free: PyTree, *,
                      flow_gtol: float = 1e-5, flow_max_steps: int = 20_000, flow_t1: float = 1e7,
                      solver: str = "tsit5", rtol: float = 1e-8, atol: float = 1e-10, gtol: float = 1e-10,
                      eig_tol: float = 1e-8, max_escapes: int = 5, escape_step: float = 1e-3,
                      dense_limit: int = 2000, objective: FlatObjective | None = None,
                      progress: str | None = None) -> list[ConvergeRecord]:
    """The flat-argument implementation of :func:`converge` (every member to a minimum of ``loss(params, args)``).

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
