r"""Gradient flow :math:`\dot\theta = -\nabla L(\theta)` integrated by an adaptive ODE solver (diffrax).

Written for one network; the ensemble axis is added by ``vmap`` (each member keeps its own
step size). Integration stops at ``t1``, after ``max_steps`` accepted+rejected steps, or as
soon as :math:`\max_i|\partial_i L| <` ``gtol`` (a terminating event).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from .._types import PyTree
from ._rkc import rkc_flow_program

#: solver name -> the diffrax solver class's name (diffrax is imported when a flow is built); ``rkc`` is
#: toyscope's stabilised explicit RKC2 (:mod:`toyscope.train._rkc`), for stiff flows
SOLVERS = {"tsit5": "Tsit5", "dopri5": "Dopri5", "dopri8": "Dopri8", "bosh3": "Bosh3", "kvaerno5": "Kvaerno5",
           "kvaerno3": "Kvaerno3", "rkc": "RKC2"}

#: gradient evaluations of one attempted step of the explicit diffrax solvers, and of their start and end:
#: the tableau's new stages (first-same-as-last: 6 for Tsit5 and Dopri5, 3 for Bosh3) plus the stopping
#: event's gradient; the start adds the initial step size's two, the first stage and the event, the end the
#: final max-abs gradient (counted by a callback in tests/train/test_gradient_flow.py)
_GRADIENTS_PER_STEP = {"tsit5": (7, 5), "dopri5": (7, 5), "bosh3": (4, 6)}


class FlowResult(NamedTuple):
    """Result of :func:`gradient_flow` (leading ensemble axis ``E`` on every field).

    Attributes:
        params: final parameters.
        times: ``(E, n_saves)`` save times (``inf`` after the member stopped; for ``rkc`` the time of the
            first accepted step at or after each save time, where the loss was taken).
        losses: ``(E, n_saves)`` loss at the save times (``inf`` after the member stopped).
        final_time, final_loss, grad_max: ``(E,)`` time reached, loss and max-abs gradient there.
        n_steps: ``(E,)`` solver steps taken (accepted and rejected).
        reached_gtol: ``(E,)`` whether the gradient event fired.
        n_gradients: ``(E,)`` gradient evaluations spent (a Hessian-vector product counts 2): counted by
            ``rkc``, from the tableau for ``tsit5``, ``dopri5`` and ``bosh3``; -1 for ``dopri8`` (not
            counted) and the implicit solvers (diffrax does not report their Newton iterations).
    """

    params: PyTree
    times: np.ndarray
    losses: np.ndarray
    final_time: np.ndarray
    final_loss: np.ndarray
    grad_max: np.ndarray
    n_steps: np.ndarray
    reached_gtol: np.ndarray
    n_gradients: np.ndarray


def _max_abs(tree) -> jax.Array:
    return jnp.max(jnp.stack([jnp.max(jnp.abs(leaf)) for leaf in jax.tree_util.tree_leaves(tree)]))


def make_gradient_flow(loss: Callable[[PyTree, Any], jax.Array], *, solver: str = "tsit5", t1: float = 1e7,
                       gtol: float = 1e-6, max_steps: int = 200_000, rtol: float = 1e-8, atol: float = 1e-10,
                       n_saves: int = 60, t_first_save: float = 1e-2) -> Callable[[PyTree, Any], FlowResult]:
    r"""A jitted, vmapped gradient-flow solver for ``loss(params, args)``: ``flow(params, args) -> FlowResult``.

    Build it once per loss and shape and call it many times (it compiles on the first call).
    ``params`` and ``args`` carry a leading ensemble axis; the loss is written for one member.
    The loss curve is saved at ``n_saves`` log-spaced times in ``[t_first_save, t1]``.

    Args:
        loss: scalar loss of one member's ``params`` given its ``args``.
        solver: one of ``SOLVERS`` (explicit ``tsit5``/``dopri5``/``dopri8``/``bosh3``; implicit
            ``kvaerno3``/``kvaerno5``, which form the Hessian as Jacobian; stabilised explicit
            ``rkc``, whose steps are not held to 3 / the largest Hessian eigenvalue, see
            :mod:`toyscope.train._rkc`).
        t1: final flow time; gtol: max-abs gradient at which the flow stops;
        max_steps: solver step budget; rtol, atol: PID step-size controller tolerances.

    Raises:
        ValueError: unknown solver or non-positive tolerances.
    """
    if solver not in SOLVERS:
        raise ValueError(f"solver must be one of {sorted(SOLVERS)}, got {solver!r}")
    if not (gtol > 0 and rtol > 0 and atol > 0 and t1 > 0 and max_steps > 0):
        raise ValueError(f"gtol, rtol, atol, t1, max_steps must be > 0, got {gtol}, {rtol}, {atol}, {t1}, {max_steps}")
    flow_one = _flow_program(loss, solver=solver, t1=t1, max_steps=max_steps, rtol=rtol, atol=atol,
                             save_times=np.geomspace(t_first_save, t1, n_saves))
    batched = jax.jit(jax.vmap(lambda params, args: flow_one(params, args, gtol)))

    def flow(params, args=None) -> FlowResult:
        return _flow_result(batched(params, args))

    return flow


def make_flow_stage(loss: Callable[[PyTree, Any], jax.Array], *, solver: str = "tsit5", t1: float = 1e7,
                    max_steps: int = 20_000, rtol: float = 1e-10, atol: float = 1e-12,
                    n_saves: int = 2, t_first_save: float = 1e-2) -> Callable[[PyTree, Any, Any], FlowResult]:
    r"""Like :func:`make_gradient_flow`, but the stopping gradient is an argument:
    ``stage(params, args, gtol) -> FlowResult``, ``gtol`` of shape ``(E,)``, compiled once for every value.

    Used to continue a flow in stages with a falling target (``train.converge`` follows the flow
    past saddles this way); ``kvaerno5`` is the implicit choice for stiff flows (near the
    copy-average saddles the Hessian eigenvalues span about 1e-4 to 1e2).

    Example:
        >>> stage = train.make_flow_stage(lambda x, _: 0.5 * jnp.sum(x ** 2), solver="tsit5")
        >>> result = stage(jnp.ones((1, 2)), None, jnp.array([1e-3]))   # flows until |x| < 1e-3

    Raises:
        ValueError: unknown solver or non-positive tolerances.
    """
    if solver not in SOLVERS:
        raise ValueError(f"solver must be one of {sorted(SOLVERS)}, got {solver!r}")
    if not (rtol > 0 and atol > 0 and t1 > 0 and max_steps > 0):
        raise ValueError(f"rtol, atol, t1, max_steps must be > 0, got {rtol}, {atol}, {t1}, {max_steps}")
    flow_one = _flow_program(loss, solver=solver, t1=t1, max_steps=max_steps, rtol=rtol, atol=atol,
                             save_times=np.geomspace(t_first_save, t1, n_saves))
    batched = jax.jit(jax.vmap(flow_one, in_axes=(0, 0, 0)))

    def stage(params, args, gtol) -> FlowResult:
        return _flow_result(batched(params, args, jnp.asarray(gtol)))

    return stage


def _flow_result(out) -> FlowResult:
    return FlowResult(out[0], *[np.asarray(x) for x in out[1:]])


def _flow_program(loss, *, solver: str, t1: float, max_steps: int, rtol: float, atol: float, save_times):
    """``flow_one(params, args, gtol)`` for one member: the diffrax (or RKC2) solve behind both builders."""
    if solver == "rkc":
        return rkc_flow_program(loss, t1=t1, max_steps=max_steps, rtol=rtol, atol=atol, save_times=save_times)
    import diffrax  # here, not at import: diffrax costs about 0.7 s to import

    grad = jax.grad(loss)

    def vector_field(t, params, args):
        return jax.tree_util.tree_map(jnp.negative, grad(params, args))

    def flow_one(params, args, gtol):
        def small_gradient(t, y, a, **kwargs):
            return _max_abs(grad(y, a)) < gtol

        solution = diffrax.diffeqsolve(
            diffrax.ODETerm(vector_field), getattr(diffrax, SOLVERS[solver])(), t0=0.0, t1=t1, dt0=None, y0=params,
            args=args,
            saveat=diffrax.SaveAt(subs=[diffrax.SubSaveAt(ts=save_times, fn=lambda t, y, a: loss(y, a)),
                                        diffrax.SubSaveAt(t1=True)]),
            stepsize_controller=diffrax.PIDController(rtol=rtol, atol=atol),
            event=diffrax.Event(small_gradient), max_steps=max_steps, throw=False)
        curve, last = solution.ys
        final_params = jax.tree_util.tree_map(lambda leaf: leaf[-1], last)
        final_time = solution.ts[1][-1]
        n_steps = solution.stats["num_steps"]
        per_step, ends = _GRADIENTS_PER_STEP.get(solver, (0, -1))
        return (final_params, solution.ts[0], curve, final_time, loss(final_params, args),
                _max_abs(grad(final_params, args)), n_steps,
                solution.event_mask if solution.event_mask is not None else jnp.asarray(False),
                per_step * n_steps + ends)

    return flow_one
