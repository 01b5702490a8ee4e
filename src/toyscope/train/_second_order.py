r"""Second-order refinement to a stationary point, and the smallest Hessian eigenvalue.

A :class:`FlatObjective` jit-compiles value, gradient and Hessian-vector product of
``loss(params, args)`` on the flattened parameter vector once; a subset of coordinates
(``free``) may be optimised while the rest stay fixed (e.g. masked padding neurons), and the
compiled functions are shared by every subset. Refinement is scipy's trust-region Newton:
``trust-exact`` on the exact dense Hessian (built from HVPs in fixed-size chunks) up to
``dense_limit`` free coordinates, ``trust-krylov`` (Newton-CG/Lanczos on HVPs) beyond.
The smallest eigenvalue is ``numpy.linalg.eigh`` (dense) or Lanczos ``eigsh`` on HVPs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree
from scipy import optimize
from scipy.sparse import linalg as sparse_linalg

from .._types import PyTree

_CHUNK = 64


class FlatObjective:
    """``loss(params, args)`` on a flat float64 vector: jitted ``value``, ``grad``, ``hvp``, ``hvp_batch``.

    Args:
        loss: scalar loss of one network.
        example_params: a pytree with the shapes of ``params`` (fixes the flat layout).
    """

    def __init__(self, loss: Callable[[PyTree, Any], jax.Array], example_params: PyTree):
        flat, self.unravel = ravel_pytree(example_params)
        self.size = flat.size

        def flat_loss(x, args):
            return loss(self.unravel(x), args)

        grad = jax.grad(flat_loss)

        def hvp(x, args, v):
            return jax.jvp(lambda y: grad(y, args), (x,), (v,))[1]

        self.value = jax.jit(flat_loss)
        self.value_and_grad = jax.jit(jax.value_and_grad(flat_loss))
        self.grad = jax.jit(grad)
        self.hvp = jax.jit(hvp)
        self.hvp_batch = jax.jit(jax.vmap(hvp, in_axes=(None, None, 0)))

    def ravel(self, params: PyTree) -> np.ndarray:
        return np.asarray(ravel_pytree(params)[0], dtype=np.float64)

    def dense_hessian(self, x: np.ndarray, args, free: np.ndarray) -> np.ndarray:
        """``(m, m)`` exact Hessian on the ``free`` coordinates (HVPs in chunks of fixed shape)."""
        m = free.size
        rows = np.zeros((m, m))
        for start in range(0, m, _CHUNK):
            idx = free[start:start + _CHUNK]
            basis = np.zeros((_CHUNK, self.size))
            basis[np.arange(idx.size), idx] = 1.0
            block = np.asarray(self.hvp_batch(jnp.asarray(x), args, jnp.asarray(basis)))
            rows[start:start + idx.size] = block[: idx.size][:, free]
        return 0.5 * (rows + rows.T)


class RefineResult(NamedTuple):
    """Result of :func:`refine_stationary`: full flat ``x``, ``loss``, ``grad_max`` (max-abs on the
    free coordinates), Newton ``iterations``, ``method`` used and scipy's ``message``."""

    x: np.ndarray
    loss: float
    grad_max: float
    iterations: int
    method: str
    message: str


def _embedder(objective: FlatObjective, x: np.ndarray, free: np.ndarray):
    base = np.array(x, dtype=np.float64)

    def embed(z):
        full = base.copy()
        full[free] = z
        return jnp.asarray(full)

    return embed


def refine_stationary(objective: FlatObjective, x: np.ndarray, args=None, *, free: np.ndarray | None = None,
                      gtol: float = 1e-10, max_iterations: int = 500, dense_limit: int = 2000,
                      newton_polish: int = 50, polish_dense_limit: int = 6000) -> RefineResult:
    r"""Trust-region Newton from ``x`` until the max-abs gradient on ``free`` is below ``gtol``.

    scipy stops on the 2-norm of the gradient, which bounds the max-abs norm from above, so
    ``gtol`` is passed as the 2-norm target and the max-abs norm is reported.

    Args:
        objective: compiled loss; x: ``(P,)`` start; args: the loss's extra argument.
        free: indices of the coordinates to optimise (default all).
        dense_limit: up to this many free coordinates use the exact dense Hessian.
        newton_polish: at most this many damped Newton steps after the trust region stops (the
            step is halved until it lowers the loss by Armijo's rule or, within round-off of the
            loss, lowers the max-abs gradient). Each step solves with the exact dense Hessian
            (eigendecomposition, absolute eigenvalues) up to ``polish_dense_limit`` free
            coordinates (the trust region alone stalls near-degenerate minima at gradients
            ~1e-8), MINRES on HVPs beyond.

    Returns:
        :class:`RefineResult`.

    Raises:
        ValueError: ``gtol <= 0``.
    """
    if gtol <= 0:
        raise ValueError(f"gtol must be > 0, got {gtol}")
    free = np.arange(objective.size) if free is None else np.asarray(free)
    embed = _embedder(objective, x, free)

    def fun(z):
        value, grad = objective.value_and_grad(embed(z), args)
        return float(value), np.asarray(grad)[free]

    if free.size <= dense_limit:
        method = "trust-exact"
        extra = {"hess": lambda z: objective.dense_hessian(np.asarray(embed(z)), args, free)}
    else:
        method = "trust-krylov"

        def embed_direction(p):
            full = np.zeros(objective.size)
            full[free] = p
            return jnp.asarray(full)

        extra = {"hessp": lambda z, p: np.asarray(objective.hvp(embed(z), args, embed_direction(p)))[free]}

    result = optimize.minimize(fun, np.asarray(x)[free], jac=True, method=method,
                               options={"gtol": gtol, "maxiter": max_iterations}, **extra)
    z, iterations, message = np.asarray(result.x), int(result.nit), str(result.message)
    # Near-degenerate minima (one Hessian eigenvalue ~1e-7 against ~1e4: condition 1e11) sit at the
    # end of a curved valley: the trust region crawls along it and stops. A Newton step jumps the
    # soft mode to the valley's end but leaves stiff components that the next step removes, so a
    # step is accepted when it lowers the loss (Armijo) or, once loss changes drown in round-off,
    # when it lowers the max-abs gradient.
    value, grad = fun(z)
    grad_max = float(np.max(np.abs(grad)))
    polished = 0
    for _ in range(newton_polish):
        if grad_max < gtol:
            break
        if free.size <= max(dense_limit, polish_dense_limit):
            values, vectors = np.linalg.eigh(objective.dense_hessian(np.asarray(embed(z)), args, free))
            # saddle-free Newton: |eigenvalues|, so the step always points downhill
            step = -vectors @ ((vectors.T @ grad) / np.maximum(np.abs(values), 1e-300))
        else:
            operator = sparse_linalg.LinearOperator((free.size, free.size), matvec=lambda p: extra["hessp"](z, p),
                                                    dtype=np.float64)
            step = sparse_linalg.minres(operator, -grad, rtol=1e-12, maxiter=10 * free.size)[0]
        slope = float(grad @ step)
        if slope >= 0:  # MINRES on an indefinite Hessian can point uphill
            step, slope = -step, -slope
        resolution = 64 * np.finfo(np.float64).eps * max(abs(value), 1.0)
        for _ in range(40):
            trial_value, trial_grad = fun(z + step)
            trial_max = float(np.max(np.abs(trial_grad)))
            if trial_value < value + 1e-4 * slope - resolution or (trial_value <= value + resolution and trial_max < grad_max):
                break
            step, slope = step / 2, slope / 2
        else:
            message += "; Newton polish stalled"
            break
        z, value, grad, grad_max = z + step, trial_value, trial_grad, trial_max
        polished += 1
    if polished:
        iterations += polished
        message = f"Newton polish ({polished} steps)" + ("; stalled" if "stalled" in message else "")
    full = np.asarray(embed(z))
    value, grad = objective.value_and_grad(jnp.asarray(full), args)
    return RefineResult(full, float(value), float(np.max(np.abs(np.asarray(grad)[free]))), iterations, method, message)


class SmallestEigen(NamedTuple):
    """Smallest Hessian eigenvalue on the free coordinates and its unit eigenvector (full length)."""

    value: float
    vector: np.ndarray
    method: str


def smallest_hessian_eigen(objective: FlatObjective, x: np.ndarray, args=None, *, free: np.ndarray | None = None,
                           dense_limit: int = 2000, tol: float = 1e-10) -> SmallestEigen:
    """Smallest eigenvalue of the Hessian restricted to ``free``: dense ``eigh`` or Lanczos on HVPs."""
    free = np.arange(objective.size) if free is None else np.asarray(free)
    vector = np.zeros(objective.size)
    if free.size <= dense_limit:
        values, vectors = np.linalg.eigh(objective.dense_hessian(x, args, free))
        vector[free] = vectors[:, 0]
        return SmallestEigen(float(values[0]), vector, "eigh")
    xj = jnp.asarray(x)

    def matvec(p):
        full = np.zeros(objective.size)
        full[free] = np.ravel(p)
        return np.asarray(objective.hvp(xj, args, jnp.asarray(full)))[free]

    operator = sparse_linalg.LinearOperator((free.size, free.size), matvec=matvec, dtype=np.float64)
    values, vectors = sparse_linalg.eigsh(operator, k=1, which="SA", tol=tol, maxiter=20 * free.size)
    vector[free] = vectors[:, 0]
    return SmallestEigen(float(values[0]), vector, "lanczos")
