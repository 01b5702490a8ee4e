r"""Converge an ensemble to stationary points (true local minima): gradient flow, Newton
refinement, saddle escapes, behind one function, :func:`converge`.

For every member: (1) gradient flow (:func:`make_gradient_flow`, all members at once under
``vmap``, or one at a time: :attr:`GradientFlow.batched`) until the max-abs gradient is below
``flow_gtol`` or the step budget is spent;
(2) the hand-off check: Newton may take over only where the smallest Hessian eigenvalue
:math:`\lambda_{min}` (:func:`smallest_hessian_eigen`) is :math:`\ge -` ``eig_tol``; elsewhere
the flow goes on (:class:`FlowContinuation`: in stages, each until the gradient falls to a tenth
of where the stage began) until it has left the saddle it was near; (3) damped Newton or trust-region Newton (:func:`refine_stationary`) until the
gradient is below ``gtol``; (4) :math:`\lambda_{min}` again. A point the flow cannot leave (its
gradient vanishes on a saddle) and a saddle Newton lands on are escaped by a step ``escape_step``
along the eigenvector, on the side gradient flow takes: the side the flow was drifting to
(:math:`-g \cdot v`), or for Newton's saddle the side of the hand-off point; at most
``max_escapes`` times. Hand-offs made at :math:`\lambda_{min} < -` ``eig_tol`` (a budget spent)
are counted. Wall time is split into flow, refinement and eigenvalue work.
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
from ._gradient_flow import SOLVERS, FlowResult, make_flow_stage, make_gradient_flow
from ._second_order import FlatObjective, RefineResult, refine_stationary, smallest_hessian_eigen


class ConvergeRecord(NamedTuple):
    r"""One member's outcome from :func:`converge`.

    Attributes:
        x: ``(P,)`` the full flat parameter vector (float64; ``FlatObjective.unravel`` restores the pytree).
        loss, grad_max: the loss and the max-abs gradient on the free coordinates at ``x``.
        min_eigenvalue: smallest Hessian eigenvalue on the free coordinates (NaN where the Hessian is
            not finite: then no Newton step is taken and ``note`` says so).
        converged: ``grad_max < gtol`` and ``min_eigenvalue >= -eig_tol``.
        saddle_escapes: escapes taken; flow_steps: solver steps of all flows; flow_grad_max: max-abs
            gradient where the first flow stopped; newton_iterations: refinement iterations.
        method: refinement phases and eigen method, e.g. ``"newton+eigh"``.
        curve_times, curve_losses: ``(n_saves,)`` the first flow's loss curve (``inf`` after it stopped).
        flow_s, refine_s, eigen_s: wall seconds (a batched first flow's time is shared equally by members).
        note: why the member did not converge, or ``""``.
        flow_stages: continuation stages run after the first flow (:class:`FlowContinuation`).
        handoff_eigenvalue: :math:`\lambda_{min}` where the flow last handed off to Newton.
        negative_handoffs: hand-offs to Newton made at :math:`\lambda_{min} < -` ``eig_tol``
            (the continuation or escape budget was spent); 0 when every hand-off was at a minimum's basin.
        flow_gradients: gradient evaluations of all flows (:attr:`FlowResult.n_gradients`; the first
            flow's batched evaluations are the member's own); -1 if a flow's solver does not report them.
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
    flow_stages: int = 0
    handoff_eigenvalue: float | None = None
    negative_handoffs: int = 0
    flow_gradients: int = -1


@dataclasses.dataclass(frozen=True)
class GradientFlow:
    r"""Stage 1 of :func:`converge`: :math:`\dot\theta = -\nabla L(\theta)` by an adaptive ODE solver.

    Attributes:
        solver: one of ``SOLVERS`` (see :func:`make_gradient_flow`).
        gtol: stop when the max-abs gradient is below this; max_steps: solver step budget;
        t1: final flow time; rtol, atol: step-size controller tolerances.
        batched: flow all members in one ``vmap``-ed program (``True``) or each member alone
            (``False``); ``None`` (default): alone for ``rkc``, batched otherwise. Under ``vmap`` a
            solver's loop runs until the batch's slowest member stops, and every RKC2 step takes
            the batch's largest stage count. One k = 100 copy-average student (n = 85) spent 187 s
            flowing (first flow and continuation) as one of 12 batched Tsit5 members, 102 s as
            Tsit5 alone, and 22 s as RKC2 alone.
    """

    solver: str = "tsit5"
    gtol: float = 1e-5
    max_steps: int = 20_000
    t1: float = 1e7
    rtol: float = 1e-8
    atol: float = 1e-10
    batched: bool | None = None

    def __post_init__(self):
        if self.solver not in SOLVERS:
            raise ValueError(f"solver must be one of {sorted(SOLVERS)}, got {self.solver!r}")
        if self.batched not in (None, True, False):
            raise ValueError(f"GradientFlow.batched must be True, False or None, got {self.batched!r}")
        for name in ("gtol", "max_steps", "t1", "rtol", "atol"):
            if not getattr(self, name) > 0:
                raise ValueError(f"GradientFlow.{name} must be > 0, got {getattr(self, name)}")


@dataclasses.dataclass(frozen=True)
class FlowContinuation:
    r"""Stage 1b of :func:`converge`: where the first flow stops at a point where the Hessian is not
    positive (semi)definite (:math:`\lambda_{min} < -` ``eig_tol``), the flow
    goes on with this solver, in stages, until it stops at a point where the Hessian is positive
    (semi)definite to ``eig_tol``. Each stage flows until the max-abs gradient is below
    ``shrink`` times its value at the stage's start (at most the flow's ``gtol``), so that a flow
    passing a saddle is followed past it.

    Attributes:
        solver: one of ``SOLVERS``: ``rkc`` (default; the stabilised explicit RKC2 of
            :mod:`toyscope.train._rkc`: near a slow saddle the flow's stiff directions hold an
            explicit step to 3 / the largest Hessian eigenvalue, and RKC2's step is not held
            there; on a k = 100 copy-average student it covered a flow time of 520 in 1.2 s
            where Tsit5 took 19,271 steps and 21 s, ending 2e-8 away), ``tsit5`` (stepping at
            that stability limit), or the implicit ``kvaerno5``/``kvaerno3``;
        rtol, atol: its step-size controller tolerances; max_steps: step budget per stage (for
            ``rkc``: also at most the ``6 * max_steps`` gradient evaluations of that many Tsit5 steps);
        t1: flow time budget per stage; max_stages: stages per member before it is handed off
            anyway (counted in ``ConvergeRecord.negative_handoffs``); shrink: the target factor;
        stall_gtol: a gradient below this on a saddle means the flow sits on it (an escape step is
            taken, see :class:`SaddleEscape`).
    """

    solver: str = "rkc"
    rtol: float = 1e-10
    atol: float = 1e-12
    max_steps: int = 20_000
    t1: float = 1e8
    max_stages: int = 12
    shrink: float = 0.1
    stall_gtol: float = 1e-9

    def __post_init__(self):
        if self.solver not in SOLVERS:
            raise ValueError(f"solver must be one of {sorted(SOLVERS)}, got {self.solver!r}")
        for name in ("rtol", "atol", "max_steps", "t1", "stall_gtol"):
            if not getattr(self, name) > 0:
                raise ValueError(f"FlowContinuation.{name} must be > 0, got {getattr(self, name)}")
        if not (isinstance(self.max_stages, int) and self.max_stages >= 0):
            raise ValueError(f"FlowContinuation.max_stages must be an integer >= 0, got {self.max_stages}")
        if not 0 < self.shrink < 1:
            raise ValueError(f"FlowContinuation.shrink must be in (0, 1), got {self.shrink}")


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
    r"""Stage 3 of :func:`converge`: a saddle (:math:`\lambda_{min} < -` ``eig_tol``) that the flow
    cannot leave by itself is left by a step ``step`` along its eigenvector v, then the flow goes on,
    at most ``max_escapes`` times (0: stop at any stationary point). The sign is the one gradient
    flow takes, never chosen by the loss: the side the flow drifts to (:math:`-\nabla L \cdot v`)
    where the flow stalled on the saddle; the side of the hand-off point where Newton landed on it
    (the flow was on that side; exactly on it, ``+v``)."""

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
             saddles: SaddleEscape | None = None, continuation: FlowContinuation | None = None,
             objective: FlatObjective | None = None, progress: str | None = None) -> list[ConvergeRecord]:
    r"""Converge every member of an ensemble to a stationary point of ``loss`` and check it is a minimum.

    For each member: gradient flow :math:`\dot\theta = -\nabla L` (all members at once) until
    :math:`\max_i|\partial_i L| <` ``flow.gtol``; where it stops, the smallest Hessian
    eigenvalue :math:`\lambda_{min}` on the free coordinates; if it is below ``-saddles.eig_tol``,
    the flow continues (``continuation``) until it stops
    where :math:`\lambda_{min} \ge -` ``eig_tol``; only there Newton refinement takes over, to
    ``refinement.gtol``; then :math:`\lambda_{min}` again, and a saddle escape while it is
    negative. The class of the end point is therefore gradient flow's, not Newton's. A member is
    ``converged`` when the gradient target is met and :math:`\lambda_{min} \ge -` ``eig_tol``.

    Args:
        loss: scalar loss ``loss(params, args)`` of one member.
        params: leading ensemble axis E on every leaf; args: the loss's extra argument, leading E
            (or ``None``).
        free: boolean pytree like ``params`` (with E): which coordinates are optimised (e.g.
            ``False`` for padding neurons; the loss must keep the others' gradient zero for the
            flow); default all.
        flow, refinement, saddles, continuation: :class:`GradientFlow`, :class:`NewtonRefinement`,
            :class:`SaddleEscape`, :class:`FlowContinuation` (defaults as documented there).
        objective: a :class:`FlatObjective` of the same ``loss`` to reuse (saves compiling it again).
        progress: progress-bar label over members, or ``None``.

    Returns:
        ``E`` :class:`ConvergeRecord`, one per member: flat float64 ``x``, ``loss``, ``grad_max``,
        ``min_eigenvalue``, ``converged``, escape, stage and step counts, the hand-offs made at a
        negative eigenvalue, the flow's loss curve, and the wall time split into flow, refinement
        and eigenvalue work.

    Example:
        >>> def loss(p, _): return p[0] ** 2 + (p[1] ** 2 - 1) ** 2 / 4   # saddle at 0, minima at y = +-1
        >>> (record,) = train.converge(loss, jnp.zeros((1, 2)), flow=train.GradientFlow(gtol=1e-3))
        >>> record.converged, record.saddle_escapes   # (True, 1)
    """
    flow = GradientFlow() if flow is None else flow
    refinement = NewtonRefinement() if refinement is None else refinement
    saddles = SaddleEscape() if saddles is None else saddles
    continuation = FlowContinuation() if continuation is None else continuation
    if free is None:
        free = jax.tree_util.tree_map(lambda leaf: jnp.ones(jnp.shape(leaf), bool), params)
    return converge_members(loss, params, args, free, flow_gtol=flow.gtol, flow_max_steps=flow.max_steps,
                            flow_t1=flow.t1, solver=flow.solver, rtol=flow.rtol, atol=flow.atol,
                            gtol=refinement.gtol, eig_tol=saddles.eig_tol, max_escapes=saddles.max_escapes,
                            escape_step=saddles.step, dense_limit=refinement.dense_limit, objective=objective,
                            progress=progress, continuation=continuation,
                            flow_batched=flow.solver != "rkc" if flow.batched is None else flow.batched)


def converge_members(loss: Callable[[PyTree, Any], jax.Array], params: PyTree, args: Any, free: PyTree, *,
                      flow_gtol: float = 1e-5, flow_max_steps: int = 20_000, flow_t1: float = 1e7,
                      solver: str = "tsit5", rtol: float = 1e-8, atol: float = 1e-10, gtol: float = 1e-10,
                      eig_tol: float = 1e-8, max_escapes: int = 5, escape_step: float = 1e-3,
                      dense_limit: int = 2000, objective: FlatObjective | None = None,
                      progress: str | None = None, continuation: FlowContinuation | None = None,
                      flow_batched: bool = True) -> list[ConvergeRecord]:
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
        continuation: :class:`FlowContinuation` (default as documented there).
        flow_batched: the first flow of all members in one ``vmap``-ed call, or one member at a time
            (see :attr:`GradientFlow.batched`).

    Returns:
        list of ``E`` :class:`ConvergeRecord`.
    """
    if gtol <= 0 or flow_gtol <= 0 or eig_tol < 0 or max_escapes < 0 or escape_step <= 0:
        raise ValueError(f"need gtol, flow_gtol, escape_step > 0 and eig_tol, max_escapes >= 0; got "
                         f"{gtol}, {flow_gtol}, {escape_step}, {eig_tol}, {max_escapes}")
    continuation = FlowContinuation() if continuation is None else continuation
    flow = make_gradient_flow(loss, solver=solver, t1=flow_t1, gtol=flow_gtol, max_steps=flow_max_steps,
                              rtol=rtol, atol=atol)
    stage = make_flow_stage(loss, solver=continuation.solver, t1=continuation.t1, max_steps=continuation.max_steps,
                            rtol=continuation.rtol, atol=continuation.atol)
    n_members = jax.tree_util.tree_leaves(params)[0].shape[0]
    objective = objective or FlatObjective(loss, nets.ensemble_member(params, 0))
    if flow_batched:
        start = time.perf_counter()
        batch = flow(params, args)
        jax.block_until_ready(batch.params)
        batch_flow_s = (time.perf_counter() - start) / n_members

    def first_flow(e: int) -> tuple[FlowResult, int, float]:
        """Member ``e``'s first flow: ``(result, index of e in it, wall seconds)``."""
        if flow_batched:
            return batch, e, batch_flow_s
        start = time.perf_counter()
        alone = flow(nets.ensemble_member(params, slice(e, e + 1)), nets.ensemble_member(args, slice(e, e + 1)))
        jax.block_until_ready(alone.params)
        return alone, 0, time.perf_counter() - start

    records = []
    with progress_bar(progress, n_members) as bar:
        for e in range(n_members):
            flowed, i, flow_s = first_flow(e)
            member = _Member(objective, stage, nets.ensemble_member(args, e),
                             np.flatnonzero(objective.ravel(nets.ensemble_member(free, e))), dense_limit,
                             flow_s=flow_s, steps=int(flowed.n_steps[i]), gradients=int(flowed.n_gradients[i]))
            x = objective.ravel(nets.ensemble_member(flowed.params, i))
            while True:
                x, eigen = member.follow_flow(x, flow_gtol=flow_gtol, eig_tol=eig_tol, max_escapes=max_escapes,
                                              escape_step=escape_step, continuation=continuation)
                if not np.isfinite(eigen.value):  # no Newton step and no minimum check can be made here
                    refined = RefineResult(x, float(objective.value(jnp.asarray(x), member.args)),
                                           float(np.max(np.abs(member.gradient(x)[member.free]), initial=0.0)),
                                           0, "none", "the Hessian is not finite")
                    end = eigen
                    break
                t0 = time.perf_counter()
                refined = refine_stationary(objective, x, member.args, free=member.free, gtol=gtol, dense_limit=dense_limit)
                member.refine_s += time.perf_counter() - t0
                end = member.eigen(refined.x)
                if end.value >= -eig_tol or member.escapes >= max_escapes or not np.isfinite(end.value):
                    break
                # Newton landed on a saddle: leave it on the side of the hand-off point (where the flow was)
                member.escapes += 1
                side = float((x - refined.x) @ end.vector)
                x = refined.x + escape_step * (1.0 if side >= 0 else -1.0) * end.vector
            converged = refined.grad_max < gtol and end.value >= -eig_tol
            note = "" if converged else (
                f"Hessian not finite at loss {refined.loss:.6g}, max-abs gradient {refined.grad_max:.2e} (e.g. a "
                "neuron whose weights vanish): no minimum check" if not np.isfinite(end.value)
                else f"gradient {refined.grad_max:.2e} >= {gtol:g} ({refined.message})" if refined.grad_max >= gtol
                else f"saddle after {member.escapes} escapes")
            records.append(ConvergeRecord(
                refined.x, refined.loss, refined.grad_max, end.value, bool(converged), member.escapes, member.steps,
                float(flowed.grad_max[i]), refined.iterations, f"{refined.method}+{end.method}",
                np.asarray(flowed.times[i]), np.asarray(flowed.losses[i]), member.flow_s, member.refine_s,
                member.eigen_s, note, member.stages, eigen.value, member.negative_handoffs, member.gradients))
            bar.advance()
    return records


class _Member:
    """One member's state through :func:`converge_members`: its loss argument, free coordinates,
    counters and wall times, and the flow continuation up to a hand-off point."""

    def __init__(self, objective: FlatObjective, stage, args, free: np.ndarray, dense_limit: int, *,
                 flow_s: float, steps: int, gradients: int):
        self.objective, self.stage, self.args, self.free, self.dense_limit = objective, stage, args, free, dense_limit
        self.flow_s, self.refine_s, self.eigen_s, self.steps = flow_s, 0.0, 0.0, steps
        self.gradients = gradients
        self.escapes = self.stages = self.negative_handoffs = 0

    def eigen(self, x: np.ndarray):
        t0 = time.perf_counter()
        eigen = smallest_hessian_eigen(self.objective, x, self.args, free=self.free, dense_limit=self.dense_limit)
        self.eigen_s += time.perf_counter() - t0
        return eigen

    def gradient(self, x: np.ndarray) -> np.ndarray:
        """The full gradient, zero off the free coordinates."""
        full = np.asarray(self.objective.grad(jnp.asarray(x), self.args), dtype=np.float64)
        out = np.zeros_like(full)
        out[self.free] = full[self.free]
        return out

    def flow_until(self, x: np.ndarray, gtol: float) -> np.ndarray:
        """One continuation stage from ``x``: flow until the max-abs gradient is below ``gtol``."""
        t0 = time.perf_counter()
        out = self.stage(jax.tree_util.tree_map(lambda leaf: leaf[None], self.objective.unravel(jnp.asarray(x))),
                         jax.tree_util.tree_map(lambda leaf: jnp.asarray(leaf)[None], self.args), jnp.asarray([gtol]))
        jax.block_until_ready(out.params)
        self.flow_s += time.perf_counter() - t0
        self.steps += int(out.n_steps[0])
        spent = int(out.n_gradients[0])
        self.gradients = -1 if min(spent, self.gradients) < 0 else self.gradients + spent
        self.stages += 1
        return self.objective.ravel(nets.ensemble_member(out.params, 0))

    def follow_flow(self, x: np.ndarray, *, flow_gtol: float, eig_tol: float, max_escapes: int, escape_step: float,
                    continuation: FlowContinuation):
        """Continue the flow from ``x`` until it stops where Newton may take over: ``(x, eigen)`` there.

        A hand-off needs a smallest eigenvalue >= ``-eig_tol`` (the gradient may still be above
        ``flow_gtol``: the flow toward a flat minimum is slow, and Newton finishes it). Near a saddle each stage's target is ``shrink`` times the gradient where it starts, so the
        flow is followed past it; on a saddle it cannot leave (gradient < ``stall_gtol``) one escape
        step is taken along the eigenvector, on the side the flow drifts to. With the stage or escape
        budget spent the point is handed off as it is (counted in ``negative_handoffs`` if a saddle).
        """
        while True:
            eigen = self.eigen(x)
            grad = self.gradient(x)
            grad_max = float(np.max(np.abs(grad[self.free]))) if self.free.size else 0.0
            basin = eigen.value >= -eig_tol
            if basin or not np.isfinite(eigen.value):
                return x, eigen
            stalled = not basin and grad_max < continuation.stall_gtol
            if self.stages >= continuation.max_stages or (stalled and self.escapes >= max_escapes):
                self.negative_handoffs += int(not basin)
                return x, eigen
            if stalled:
                self.escapes += 1
                drift = -float(grad @ eigen.vector)  # the flow's velocity along v
                x = x + escape_step * (1.0 if drift >= 0 else -1.0) * eigen.vector
                grad_max = float(np.max(np.abs(self.gradient(x)[self.free])))
            x = self.flow_until(x, min(flow_gtol, continuation.shrink * grad_max))
