r"""Population loss of a two-layer student fitting a two-layer teacher under Gaussian inputs.

Student :math:`f(x) = \sum_{i=1}^n a_i \sigma(w_i\cdot x)`, teacher
:math:`f^*(x) = \sum_{j=1}^k b_j \sigma(v_j\cdot x)`, :math:`x \sim N(0, I_d)`:

.. math:: L = E_x[(f(x) - f^*(x))^2] = c^\top K c,\quad U = [W; V],\ c = [a; -b],\ K = \kappa(U U^\top)

with :math:`\kappa` the closed-form Gaussian kernel of the activation
(:mod:`toyscope.theory._gaussian_kernels`). There is **no** factor 1/2. The cost is one
:math:`(n+k)\times(n+k)` Gram matrix. Paper: ``teacher-student-copy-average.txt`` (Setting).
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp

from .._types import Array, Float, PRNGKeyArray
from ._gaussian_kernels import check_activation, gaussian_cross_kernel, gaussian_kernel


class TwoLayerStudent(NamedTuple):
    """A bias-free two-layer network: ``a`` ``(n,)`` output weights, ``w`` ``(n, d)`` input weights."""

    a: Float[Array, " n"]
    w: Float[Array, "n d"]


@functools.partial(jax.jit, static_argnames=("activation",))
def population_loss(student: TwoLayerStudent, teacher: TwoLayerStudent, activation: str = "erf",
                    mask: Float[Array, " n"] | None = None) -> Float[Array, ""]:
    r"""Exact :math:`E_x[(f(x) - f^*(x))^2]` for Gaussian inputs (no factor 1/2).

    Args:
        student: ``a`` ``(n,)``, ``w`` ``(n, d)``.
        teacher: ``a`` ``(k,)``, ``w`` ``(k, d)`` (for the copy-average study ``a = 1``,
            ``w`` orthonormal rows).
        activation: ``"erf"`` (:math:`\operatorname{erf}(z/\sqrt 2)`) or ``"relu"``.
        mask: optional ``(n,)`` 0/1 weights; a masked neuron is removed from the network (its
            gradient is exactly zero), so students of different widths can share one shape.

    Returns:
        scalar loss.

    Raises:
        ValueError: unknown activation or mismatched shapes (checked at trace time).
    """
    return _population_loss(student, teacher, activation, mask)


def _population_loss(student, teacher, activation, mask):
    check_activation(activation)
    if student.w.ndim != 2 or teacher.w.ndim != 2 or student.w.shape[1] != teacher.w.shape[1]:
        raise ValueError(f"student.w (n, d) and teacher.w (k, d) must share d, got {student.w.shape} and {teacher.w.shape}")
    a, w = student.a, student.w
    if mask is not None:
        a, w = a * mask, w * mask[:, None]
    # c^T K(U U^T) c with U = [w; v], c = [a; -a*], by blocks: the teacher-teacher block is
    # constant, so the cost per evaluation is n^2 d + n k d, not (n + k)^2 d
    v, t = teacher.w.astype(w.dtype), teacher.a.astype(a.dtype)
    student_student = gaussian_kernel(w @ w.T, activation)
    student_teacher = gaussian_cross_kernel(w @ v.T, jnp.sum(w * w, axis=1), jnp.sum(v * v, axis=1), activation)
    teacher_teacher = gaussian_kernel(v @ v.T, activation)
    return a @ student_student @ a - 2.0 * a @ student_teacher @ t + t @ teacher_teacher @ t


@functools.partial(jax.jit, static_argnames=("activation",))
def population_loss_grad(student: TwoLayerStudent, teacher: TwoLayerStudent, activation: str = "erf",
                         mask: Float[Array, " n"] | None = None) -> TwoLayerStudent:
    """Gradient of :func:`population_loss` with respect to the student (JAX autodiff)."""
    return jax.grad(_population_loss)(student, teacher, activation, mask)


def orthonormal_teacher(k: int, d: int, *, key: PRNGKeyArray | None = None, dtype=None) -> TwoLayerStudent:
    r"""Teacher with ``k`` orthonormal input vectors in ``d >= k`` dimensions and output weights 1.

    Without ``key`` the vectors are the first ``k`` unit vectors :math:`e_1..e_k` (the loss is
    rotation invariant, so this loses nothing); with ``key`` a random orthonormal frame.

    Raises:
        ValueError: ``k < 1`` or ``d < k``.
    """
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    if d < k:
        raise ValueError(f"d must be >= k = {k}, got {d}")
    dtype = dtype or jnp.result_type(float)
    if key is None:
        v = jnp.eye(k, d, dtype=dtype)
    else:
        q, _ = jnp.linalg.qr(jax.random.normal(key, (d, k), dtype=dtype))
        v = q.T
    return TwoLayerStudent(a=jnp.ones(k, dtype), w=v)


def glorot_normal_student(n: int, d: int, *, key: PRNGKeyArray, dtype=None) -> TwoLayerStudent:
    r"""Glorot-normal initialisation: :math:`w_{ij} \sim N(0, 2/(d+n))`, :math:`a_i \sim N(0, 2/(n+1))`.

    Raises:
        ValueError: ``n < 1`` or ``d < 1``.
    """
    if n < 1 or d < 1:
        raise ValueError(f"n and d must be >= 1, got n={n}, d={d}")
    dtype = dtype or jnp.result_type(float)
    key_a, key_w = jax.random.split(key)
    w = jax.random.normal(key_w, (n, d), dtype) * jnp.sqrt(2.0 / (d + n))
    a = jax.random.normal(key_a, (n,), dtype) * jnp.sqrt(2.0 / (n + 1))
    return TwoLayerStudent(a=a, w=w)


def glorot_normal_students(widths, d: int, *, key: PRNGKeyArray, dtype=None) -> tuple[TwoLayerStudent, jax.Array]:
    r"""Glorot-normal students of several widths, zero-padded to the widest, with their masks.

    One draw of standard normals at the padded shape ``(E, n_max, d)`` (so a member's numbers
    depend on the whole ``widths`` list); member ``e`` of width ``n`` scales its slice by :math:`\sqrt{2/(d+n)}` (input weights) and
    :math:`\sqrt{2/(n+1)}` (output weights); rows beyond ``n`` are zero and masked out. One
    compiled draw serves every width.

    Args:
        widths: ``(E,)`` student widths ``>= 1``; d: input dimension.

    Returns:
        ``(students, mask)``: ``a`` ``(E, n_max)``, ``w`` ``(E, n_max, d)``; ``mask`` ``(E, n_max)`` bool.

    Raises:
        ValueError: empty ``widths``, a width < 1, or ``d < 1``.
    """
    widths = [int(n) for n in widths]
    if not widths or min(widths) < 1 or d < 1:
        raise ValueError(f"widths must be non-empty and >= 1 and d >= 1, got widths={widths}, d={d}")
    dtype = dtype or jnp.result_type(float)
    n_max = max(widths)
    key_a, key_w = jax.random.split(key)
    a = jax.random.normal(key_a, (len(widths), n_max), dtype)
    w = jax.random.normal(key_w, (len(widths), n_max, d), dtype)
    n = jnp.asarray(widths)[:, None]
    mask = jnp.arange(n_max)[None, :] < n
    a = jnp.where(mask, a * jnp.sqrt(2.0 / (n + 1)), 0.0)
    w = jnp.where(mask[:, :, None], w * jnp.sqrt(2.0 / (d + n))[:, :, None], 0.0)
    return TwoLayerStudent(a.astype(dtype), w.astype(dtype)), mask
