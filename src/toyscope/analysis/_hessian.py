r"""The Hessian spectrum of ONE network's loss at its parameters, with a stationarity check.

With :math:`L(\theta)` the loss of a flat parameter vector :math:`\theta \in \mathbb{R}^P`
(:func:`toyscope.analysis.flat_mlp_loss`):

* **dense** (:math:`P \le` :data:`DENSE_HESSIAN_LIMIT`): the full :math:`P \times P` Hessian
  :math:`\nabla^2 L` by ``jax.hessian``, symmetrised, every eigenvalue by ``numpy.linalg.eigvalsh``;
* **lanczos** (any :math:`P`): the ``k`` largest and ``k`` smallest eigenvalues by implicitly
  restarted Lanczos (``scipy.sparse.linalg.eigsh`` on a ``LinearOperator``) over Hessian-vector
  products :math:`v \mapsto \nabla^2 L\, v = \frac{d}{d\epsilon} \nabla L(\theta + \epsilon v)`
  (forward-over-reverse, ``jax.jvp`` of ``jax.grad``), never forming the matrix.

The point is *stationary* when :math:`\|\nabla L(\theta)\|_2 \le` ``gradient_tol``; a spectrum
away from a stationary point describes curvature, not a minimum or a saddle.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np

#: the largest parameter count whose Hessian is formed densely (2000**2 float64 = 32 MB)
DENSE_HESSIAN_LIMIT = 2000
#: eigenvalues at each end of the spectrum found by Lanczos
LANCZOS_EIGENVALUES = 6


@dataclasses.dataclass
class HessianSpectrum:
    """What :func:`hessian_spectrum` found.

    Attributes:
        method: ``"dense"`` or ``"lanczos"``.
        n_params: :math:`P`.
        loss: :math:`L(\\theta)`; gradient_norm: :math:`\\|\\nabla L(\\theta)\\|_2`.
        stationary: ``gradient_norm <= gradient_tol``; gradient_tol: that tolerance.
        eigenvalues: dense: all :math:`P`, ascending; lanczos: the ``k`` smallest then the ``k``
            largest, ascending (``2k`` values, fewer when :math:`2k \\ge P`).
    """

    method: str
    n_params: int
    loss: float
    gradient_norm: float
    stationary: bool
    gradient_tol: float
    eigenvalues: np.ndarray

    @property
    def top(self) -> float:
        return float(self.eigenvalues[-1])

    @property
    def bottom(self) -> float:
        return float(self.eigenvalues[0])


def hessian_vector_product(loss_of_flat: Callable, theta) -> Callable:
    r"""The jitted map :math:`v \mapsto \nabla^2 L(\theta) v` (``(P,) -> (P,)``), forward over reverse.

    >>> import jax.numpy as jnp
    >>> hvp = hessian_vector_product(lambda t: (t[0] * t[1]) ** 2, jnp.array([1.0, 2.0]))
    >>> hvp(jnp.array([1.0, 0.0])).tolist()  # first column of [[2 t1^2, 4 t0 t1], [4 t0 t1, 2 t0^2]]
    [8.0, 8.0]
    """
    theta = jnp.asarray(theta)
    grad = jax.grad(loss_of_flat)
    return jax.jit(lambda v: jax.jvp(grad, (theta,), (v.astype(theta.dtype),))[1])


def hessian_spectrum(loss_of_flat: Callable, theta, *, method: str = "auto", k: int = LANCZOS_EIGENVALUES,
                     gradient_tol: float = 1e-4, dense_limit: int = DENSE_HESSIAN_LIMIT) -> HessianSpectrum:
    r"""The Hessian spectrum at ``theta`` and whether ``theta`` is stationary (see the module docstring).

    Args:
        loss_of_flat: :math:`\theta \mapsto L(\theta)` for ONE network's flat ``(P,)`` params.
        theta: ``(P,)``.
        method: ``"dense"``, ``"lanczos"``, or ``"auto"`` (dense up to ``dense_limit``, else lanczos).
        k: eigenvalues at each end for lanczos.
        gradient_tol: the gradient norm below which the point counts as stationary.
        dense_limit: the largest P for a dense spectrum.

    Returns:
        A :class:`HessianSpectrum`.

    Raises:
        ValueError: an unknown method, ``theta`` not 1-D, k < 1, or a dense spectrum asked for
            above ``dense_limit`` parameters (one line with the limit).

    >>> import jax.numpy as jnp
    >>> spectrum = hessian_spectrum(lambda t: t[0] ** 2 + 3 * t[1] ** 2 - t[2] ** 2, jnp.zeros(3))
    >>> spectrum.method, spectrum.eigenvalues.tolist(), spectrum.stationary
    ('dense', [-2.0, 2.0, 6.0], True)
    """
    if method not in ("auto", "dense", "lanczos"):
        raise ValueError(f"method must be 'auto', 'dense' or 'lanczos', got {method!r}")
    theta = jnp.asarray(theta)
    if theta.ndim != 1:
        raise ValueError(f"theta must be ONE network's flat (P,) params, got shape {theta.shape}")
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    n_params = int(theta.shape[0])
    if method == "dense" and n_params > dense_limit:
        raise ValueError(f"a dense Hessian is limited to {dense_limit} parameters, the model has {n_params}; "
                         "use method='lanczos' (top and bottom eigenvalues)")
    if method == "auto":
        method = "dense" if n_params <= dense_limit else "lanczos"
    loss, grad = jax.jit(jax.value_and_grad(loss_of_flat))(theta)
    gradient_norm = float(jnp.linalg.norm(grad))
    if method == "dense":
        hessian = np.asarray(jax.jit(jax.hessian(loss_of_flat))(theta), np.float64)
        eigenvalues = np.linalg.eigvalsh(0.5 * (hessian + hessian.T))
    else:
        eigenvalues = _lanczos(hessian_vector_product(loss_of_flat, theta), n_params, k)
    return HessianSpectrum(method, n_params, float(loss), gradient_norm, gradient_norm <= gradient_tol,
                           gradient_tol, eigenvalues)


def _lanczos(hvp: Callable, n_params: int, k: int) -> np.ndarray:
    from scipy.sparse.linalg import LinearOperator, eigsh

    if 2 * k >= n_params:  # eigsh needs k < P: the whole spectrum from P products instead
        columns = [np.asarray(hvp(jnp.eye(n_params)[i]), np.float64) for i in range(n_params)]
        matrix = np.stack(columns, axis=1)
        return np.linalg.eigvalsh(0.5 * (matrix + matrix.T))
    matvec = lambda v: np.asarray(hvp(jnp.asarray(v.ravel())), np.float64)  # noqa: E731
    operator = LinearOperator((n_params, n_params), matvec=matvec,
                              dtype=np.float64)
    start = np.random.default_rng(0).normal(size=n_params)
    top = eigsh(operator, k=k, which="LA", v0=start, return_eigenvectors=False)
    bottom = eigsh(operator, k=k, which="SA", v0=start, return_eigenvectors=False)
    return np.sort(np.concatenate([bottom, top]))
