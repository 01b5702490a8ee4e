r"""Second-order refinement to a stationary point, and the smallest Hessian eigenvalue.

A :class:`FlatObjective` jit-compiles value, gradient and Hessian-vector product of
``loss(params, args)`` on the flattened parameter vector once; a subset of coordinates
(``free``) may be optimised while the rest stay fixed (e.g. masked padding neurons), and the
compiled functions are shared by every subset. Refinement is damped saddle-free Newton on the
exact dense Hessian (built from HVPs in fixed-size chunks), with scipy's trust region
(``trust-exact`` dense, ``trust-krylov`` on HVPs for large problems) as the fallback.
The smallest eigenvalue is ``numpy.linalg.eigh`` (dense) or Lanczos ``eigsh`` on HVPs.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree
from threadpoolctl import threadpool_limits

from .._types import PyTree

_CHUNK = 64


def _one_blas_thread(function):
    """Run ``function`` with OpenBLAS/MKL on one thread: beside JAX's own threads, a threaded
    ``eigh`` of a 1,000 x 1,000 Hessian measured 4-15x slower than a single-threaded one here."""

    @functools.wraps(function)
    def wrapped(*args, **kwargs):
        with threadpool_limits(limits=1, user_api="blas"):
            return function(*args, **kwargs)

    return wrapped


class _HessianNotFinite(Exception):
    """A Hessian-vector product was not finite (ends Lanczos in :func:`smallest_hessian_eigen`)."""


def _symmetric_eigh(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues (ascending) and eigenvectors of a finite symmetric matrix: ``numpy.linalg.eigh``
    (LAPACK's divide and conquer, ``syevd``), and where that fails to converge, scipy's MRRR
    (``syevr``). syevd failed on a finite 110 x 110 Hessian here (entries up to 74, three
    eigenvalues within 1e-7 of zero: a ReLU copy-average student); syevr and syev did not."""
    try:
        return np.linalg.eigh(matrix)
    except np.linalg.LinAlgError:
        from scipy import linalg

        return linalg.eigh(matrix, driver="evr")


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


def _damped_newton(fun, hessian_solve, z, gtol: float, max_steps: int):
    r"""Damped Newton steps until the max-abs gradient is below ``gtol``; ``(z, steps, stalled)``.

    A step :math:`s = -|H|^{-1} g` is halved until it lowers the loss by Armijo's rule or, within
    round-off of the loss, lowers the max-abs gradient. Near-degenerate minima (one Hessian
    eigenvalue ~1e-7 against ~1e4) sit at the end of a curved valley: a full step jumps the soft
    mode to the valley's end and leaves stiff components that the next step removes, where a
    trust region crawls along the valley (hundreds of iterations).
    """
    value, grad = fun(z)
    grad_max = float(np.max(np.abs(grad)))
    steps = 0
    for _ in range(max_steps):
        if grad_max < gtol:
            return z, steps, False
        step = hessian_solve(z, grad)
        slope = float(grad @ step)
        if slope >= 0:  # MINRES on an indefinite Hessian can point uphill
            step, slope = -step, -slope
        resolution = 64 * np.finfo(np.float64).eps * max(abs(value), 1.0)
        for _ in range(40):
            trial_value, trial_grad = fun(z + step)
            trial_max = float(np.max(np.abs(trial_grad)))
            if trial_value < value + 1e-4 * slope - resolution or (trial_value <= value + resolution
                                                                   and trial_max < grad_max):
                break
            step, slope = step / 2, slope / 2
        else:
            return z, steps, True
        z, value, grad, grad_max = z + step, trial_value, trial_grad, trial_max
        steps += 1
    return z, steps, grad_max >= gtol


@_one_blas_thread
def refine_stationary(objective: FlatObjective, x: np.ndarray, args=None, *, free: np.ndarray | None = None,
                      gtol: float = 1e-10, max_iterations: int = 500, dense_limit: int = 2000,
                      newton_steps: int = 100, newton_dense_limit: int = 6000) -> RefineResult:
    r"""Second-order refinement from ``x`` until the max-abs gradient on ``free`` is below ``gtol``.

    Up to ``dense_limit`` free coordinates: damped saddle-free Newton on the exact dense Hessian
    (Cholesky, or :math:`|\lambda|` of the eigendecomposition where it is indefinite; steps halved
    until the loss falls by Armijo's rule or, within its round-off, the max-abs gradient falls).
    If that stalls, and always beyond ``dense_limit``: scipy's trust region (``trust-exact`` on
    the dense Hessian up to ``dense_limit`` coordinates, ``trust-krylov`` on HVPs beyond), then
    damped Newton again (dense Hessian up to ``newton_dense_limit``, MINRES on HVPs beyond). scipy stops on the 2-norm of the gradient,
    which bounds the max-abs norm from above, so ``gtol`` is passed as the 2-norm target.

    Args:
        objective: compiled loss; x: ``(P,)`` start; args: the loss's extra argument.
        free: indices of the coordinates to optimise (default all).
        max_iterations: trust-region iterations; newton_steps: damped Newton steps per phase.
        dense_limit, newton_dense_limit: free coordinates up to which the trust region and the
            Newton steps use the exact dense Hessian.

    Returns:
        :class:`RefineResult` (``method``: the phases that ran, e.g. ``"newton"`` or
        ``"newton+trust-krylov+newton"``).

    Raises:
        ValueError: ``gtol <= 0``.
    """
    if gtol <= 0:
        raise ValueError(f"gtol must be > 0, got {gtol}")
    free = np.arange(objective.size) if free is None else np.asarray(free)
    embed = _embedder(objective, x, free)

    from scipy import linalg, optimize  # imported here: scipy costs about 0.5 s to import
    from scipy.sparse import linalg as sparse_linalg

    def fun(z):
        value, grad = objective.value_and_grad(embed(z), args)
        return float(value), np.asarray(grad)[free]

    def hessp(z, p):
        full = np.zeros(objective.size)
        full[free] = p
        return np.asarray(objective.hvp(embed(z), args, jnp.asarray(full)))[free]

    def hessian(z):
        return objective.dense_hessian(np.asarray(embed(z)), args, free)

    def dense_solve(z, grad):
        hessian_z = hessian(z)
        try:  # positive definite: Cholesky (about 10x cheaper than an eigendecomposition)
            return -linalg.cho_solve(linalg.cho_factor(hessian_z), grad)
        except linalg.LinAlgError:  # indefinite: saddle-free Newton with |eigenvalues|
            values, vectors = _symmetric_eigh(hessian_z)
            return -vectors @ ((vectors.T @ grad) / np.maximum(np.abs(values), 1e-300))

    def krylov_solve(z, grad):
        operator = sparse_linalg.LinearOperator((free.size, free.size), matvec=lambda p: hessp(z, p), dtype=np.float64)
        return sparse_linalg.minres(operator, -grad, rtol=1e-12, maxiter=10 * free.size)[0]

    solve = dense_solve if free.size <= newton_dense_limit else krylov_solve
    z, phases, iterations, message = np.asarray(x, dtype=np.float64)[free], [], 0, ""
    if free.size <= dense_limit:
        z, steps, stalled = _damped_newton(fun, solve, z, gtol, newton_steps)
        phases.append("newton")
        iterations += steps
        message = f"damped Newton: {steps} steps" + (", stalled" if stalled else "")
    if float(np.max(np.abs(fun(z)[1]))) >= gtol:
        if free.size <= dense_limit:
            method, extra = "trust-exact", {"hess": hessian}
        else:
            method, extra = "trust-krylov", {"hessp": hessp}
        result = optimize.minimize(fun, z, jac=True, method=method,
                                   options={"gtol": gtol, "maxiter": max_iterations}, **extra)
        z, iterations = np.asarray(result.x), iterations + int(result.nit)
        z, steps, stalled = _damped_newton(fun, solve, z, gtol, newton_steps)
        phases += [method, "newton"]
        iterations += steps
        message = f"{result.message}; then damped Newton: {steps} steps" + (", stalled" if stalled else "")
    full = np.asarray(embed(z))
    value, grad = objective.value_and_grad(jnp.asarray(full), args)
    return RefineResult(full, float(value), float(np.max(np.abs(np.asarray(grad)[free]))), iterations,
                        "+".join(phases), message)


class SmallestEigen(NamedTuple):
    """Smallest Hessian eigenvalue on the free coordinates and its unit eigenvector (full length)."""

    value: float
    vector: np.ndarray
    method: str


@_one_blas_thread
def smallest_hessian_eigen(objective: FlatObjective, x: np.ndarray, args=None, *, free: np.ndarray | None = None,
                           dense_limit: int = 2000, tol: float = 1e-10) -> SmallestEigen:
    """Smallest eigenvalue of the Hessian restricted to ``free``: dense ``eigh`` or Lanczos on HVPs.

    Where the Hessian is not finite (e.g. a ReLU neuron whose weights vanish: the arc-cosine
    kernel's second derivative divides by their norm), the value is NaN, the vector zero and the
    method ``"eigh"`` or ``"lanczos"`` with `` (Hessian not finite)`` appended.
    """
    free = np.arange(objective.size) if free is None else np.asarray(free)
    vector = np.zeros(objective.size)
    if free.size <= dense_limit:
        hessian = objective.dense_hessian(x, args, free)
        if not np.all(np.isfinite(hessian)):
            return SmallestEigen(float("nan"), vector, "eigh (Hessian not finite)")
        values, vectors = _symmetric_eigh(hessian)
        vector[free] = vectors[:, 0]
        return SmallestEigen(float(values[0]), vector, "eigh")
    xj = jnp.asarray(x)

    from scipy.sparse import linalg as sparse_linalg

    def matvec(p):
        full = np.zeros(objective.size)
        full[free] = np.ravel(p)
        product = np.asarray(objective.hvp(xj, args, jnp.asarray(full)))[free]
        if not np.all(np.isfinite(product)):
            raise _HessianNotFinite
        return product

    operator = sparse_linalg.LinearOperator((free.size, free.size), matvec=matvec, dtype=np.float64)
    try:
        values, vectors = sparse_linalg.eigsh(operator, k=1, which="SA", tol=tol, maxiter=20 * free.size)
    except _HessianNotFinite:
        return SmallestEigen(float("nan"), vector, "lanczos (Hessian not finite)")
    vector[free] = vectors[:, 0]
    return SmallestEigen(float(values[0]), vector, "lanczos")
