r"""The critical point that continues the C-A optimal configuration when that is not critical (ReLU).

The C-A optimal configuration of width :math:`n` (copies of :math:`v_1..v_{n-1}`, one average of
:math:`S = \{n..k\}`) is invariant under the group :math:`G` that permutes the averaged teachers
among themselves and the copied teachers together with their copy neurons. The loss is
:math:`G`-invariant, so by the principle of symmetric criticality a critical point of the loss
restricted to the fixed subspace of :math:`G` is a critical point of the full loss. That subspace,
with :math:`u_S = \sum_{j\in S} v_j/\sqrt{|S|}`, has seven coordinates
:math:`\theta = (p, q, s, t, m, a_c, a_n)`:

.. math::
    w_i = p\,v_i + q\sum_{j<n, j\ne i} v_j + s\,u_S,\ a_i = a_c\ (i < n);\qquad
    w_n = t\sum_{j<n} v_j + m\,u_S,\ a_n = a_n.

(The component orthogonal to every teacher is 0 by reflection symmetry.) For erf the C-A optimal
configuration :math:`(p, q, s, t, m, a_c, a_n) = (1, 0, 0, 0, r^*, 1, a^*)` is already critical; for
ReLU it is not (:mod:`toyscope.theory._relu_copy_average`), and the minimisation of the
closed-form loss over :math:`\theta` started there ends at the nearest :math:`G`-symmetric
critical point: :math:`n-1` equal perturbed copies and one perturbed average, the "perturbed C-A"
point the paper describes for ReLU. Its full-space gradient and smallest Hessian eigenvalue say
whether it is critical (it must be) and a minimum (it need not be). Paper:
``teacher-student-copy-average.txt`` (ReLU: "similar neurons that we interpret as perturbations of
the exact copy and average neurons").
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from ._copy_average import one_neuron_fit
from ._gaussian_kernels import check_activation
from ._teacher_student import TwoLayerStudent, population_loss


#: Newton steps after BFGS, at most
NEWTON_STEPS = 20


class SymmetricCopyAveragePoint(NamedTuple):
    """The :math:`G`-symmetric critical point of width ``n``: the ``student`` (``a`` ``(n,)``,
    ``w`` ``(n, d)``), its ``loss``, the seven coordinates ``theta``, the full-space max-abs
    gradient ``grad_max`` and smallest Hessian eigenvalue ``min_eigenvalue``, and the loss of the
    C-A optimal configuration it started from (``start_loss``)."""

    n: int
    student: TwoLayerStudent
    loss: float
    theta: tuple[float, ...]
    grad_max: float
    min_eigenvalue: float
    start_loss: float


def _student(theta, basis, n):
    """The padded student of ``theta``: ``basis`` ``(k, d)`` holds v_1..v_{n-1}, u_S, then zero rows;
    ``n`` may be traced (one compile serves every width of a teacher)."""
    p, q, s, t, m, a_c, a_n = theta
    index = jnp.arange(basis.shape[0])
    copy, average = index < n - 1, index == n - 1
    both_copies = copy[:, None] & copy[None, :]
    coefficients = (jnp.where(both_copies, jnp.where(index[:, None] == index[None, :], p, q), 0.0)
                    + jnp.where(copy[:, None] & average[None, :], s, 0.0)
                    + jnp.where(average[:, None] & copy[None, :], t, 0.0)
                    + jnp.where(average[:, None] & average[None, :], m, 0.0))
    a = jnp.where(copy, a_c, jnp.where(average, a_n, 0.0))
    return TwoLayerStudent(a.astype(basis.dtype), (coefficients @ basis).astype(basis.dtype))


def _theta_loss(theta, basis, n, teacher, activation):
    mask = (jnp.arange(basis.shape[0]) < n).astype(basis.dtype)
    return population_loss(_student(theta, basis, n), teacher, activation, mask)


_theta_value_and_grad = jax.jit(jax.value_and_grad(_theta_loss), static_argnames=("activation",))


def _full_loss(flat, n, teacher, activation):
    k = teacher.w.shape[0]
    mask = (jnp.arange(k) < n).astype(flat.dtype)
    return population_loss(TwoLayerStudent(flat[:k], flat[k:].reshape(k, -1)), teacher, activation, mask)


_full_grad = jax.jit(jax.grad(_full_loss), static_argnames=("activation",))


def _central_difference_hessian(grad, x, free, step=1e-6):
    """Symmetrised central differences of ``grad`` on the coordinates ``free`` (one compiled
    gradient serves every step; no second-order program to compile)."""
    columns = []
    for i in free:
        e = np.zeros_like(x)
        e[i] = step
        columns.append((grad(x + e) - grad(x - e))[free] / (2 * step))
    hessian = np.stack(columns, axis=1)
    return (hessian + hessian.T) / 2


def symmetric_copy_average_point(n: int, teacher: TwoLayerStudent, activation: str = "relu", *,
                                 gtol: float = 1e-12, max_iterations: int = 1000) -> SymmetricCopyAveragePoint:
    r"""The :math:`G`-symmetric critical point reached from the C-A optimal configuration of width ``n`` (module docstring).

    BFGS (scipy, JAX gradient) on the closed-form loss over :math:`\theta`, from the C-A optimal
    configuration, polished by Newton steps (least squares on the 7 x 7 Hessian) once it is finite; then the full-space gradient and the smallest eigenvalue of the dense
    :math:`n(d+1)` Hessian at the end point (NaN if that Hessian is not finite).

    Args:
        n: student width, ``1 <= n <= k``.
        teacher: orthonormal teacher, ``w`` ``(k, d)``, output weights 1 (float64 expected).
        activation: ``"erf"`` or ``"relu"``.
        gtol: stop at this max-abs gradient over :math:`\theta`; max_iterations: the BFGS cap.

    Returns:
        :class:`SymmetricCopyAveragePoint`.

    Raises:
        ValueError: not ``1 <= n <= k`` or an unknown activation.

    Example:
        >>> import jax, jax.numpy as jnp
        >>> from toyscope import theory
        >>> with jax.enable_x64(True):
        ...     point = theory.symmetric_copy_average_point(2, theory.orthonormal_teacher(4, 5, dtype=jnp.float64))
        >>> point.grad_max < 1e-9, point.loss < point.start_loss
        (True, True)
    """
    from scipy import optimize  # imported on first use (about 0.5 s)

    check_activation(activation)
    v = jnp.asarray(teacher.w)
    k = v.shape[0]
    if not 1 <= n <= k:
        raise ValueError(f"need 1 <= n <= k = {k}, got n={n}")
    basis = jnp.zeros_like(v).at[:n - 1].set(v[:n - 1]).at[n - 1].set(v[n - 1:].sum(axis=0) / np.sqrt(k - n + 1))
    fit = one_neuron_fit(k - n + 1, activation)
    teacher = TwoLayerStudent(jnp.asarray(teacher.a), v)

    def scipy_loss(x):
        value, gradient = _theta_value_and_grad(jnp.asarray(x, v.dtype), basis, n, teacher, activation)
        return float(value), np.asarray(gradient)

    def scipy_hessian(x):
        return _central_difference_hessian(lambda y: scipy_loss(y)[1], np.asarray(x, float), np.arange(7))

    start = np.array([1.0, 0.0, 0.0, 0.0, fit.r, 1.0, fit.a])
    # BFGS first (from the start, far from the critical point, a Newton step overshoots);
    # then Newton steps (least squares on the 7 x 7 Hessian, singular along the two rescalings
    # a -> a/c, w -> c w) where the copies have tilted off their teachers; the best point is kept
    x = optimize.minimize(scipy_loss, start, jac=True, method="BFGS", options={"gtol": gtol, "maxiter": max_iterations}).x
    best, best_grad = x, float(np.max(np.abs(scipy_loss(x)[1])))
    for _ in range(NEWTON_STEPS):
        hessian = scipy_hessian(x)
        if best_grad < gtol or not np.all(np.isfinite(hessian)):
            break
        x = x - np.linalg.lstsq(hessian, scipy_loss(x)[1], rcond=1e-12)[0]
        grad_max = float(np.max(np.abs(scipy_loss(x)[1])))
        if grad_max < best_grad:
            best, best_grad = x, grad_max
    student = _student(jnp.asarray(best, v.dtype), basis, n)
    flat = np.concatenate([np.asarray(student.a), np.asarray(student.w).ravel()])
    free = np.concatenate([np.arange(n), k + np.arange(n * v.shape[1])])

    def full_grad(x):
        return np.asarray(_full_grad(jnp.asarray(x, v.dtype), n, teacher, activation))

    hessian = _central_difference_hessian(full_grad, flat, free)
    smallest = float(np.linalg.eigvalsh(hessian)[0]) if np.all(np.isfinite(hessian)) else float("nan")
    grad_max = float(np.max(np.abs(full_grad(flat)[free])))
    student = TwoLayerStudent(student.a[:n], student.w[:n])
    return SymmetricCopyAveragePoint(n, student, scipy_loss(best)[0], tuple(float(x) for x in best),
                                     grad_max, smallest, scipy_loss(start)[0])
