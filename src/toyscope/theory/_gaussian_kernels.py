r"""Closed-form Gaussian expectations of activation products (the "arcsine" and "arccos" kernels).

For :math:`x \sim \mathcal N(0, I_d)` and weight vectors :math:`w, v`:

* erf, :math:`\sigma(z) = \operatorname{erf}(z/\sqrt 2)`:
  :math:`E[\sigma(w\cdot x)\sigma(v\cdot x)] = \frac{2}{\pi}\arcsin\frac{w\cdot v}{\sqrt{(1+|w|^2)(1+|v|^2)}}`
  (Williams 1997, "Computing with infinite networks").
* ReLU: :math:`E[\mathrm{relu}(w\cdot x)\mathrm{relu}(v\cdot x)] = \frac{|w||v|}{2\pi}
  \left(\sqrt{1-u^2} + (\pi - \arccos u)\,u\right)`, :math:`u = \cos\angle(w, v)`
  (Cho & Saul 2009, arc-cosine kernel of degree 1).

Both are written on a Gram matrix :math:`G = U U^\top` so a whole network costs one matrix.
Paper: ``teacher-student-copy-average.txt`` (the population loss behind every figure).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from .._types import Array, Float

ACTIVATIONS = ("erf", "relu")


def check_activation(activation: str) -> None:
    """Raise a one-line ``ValueError`` unless ``activation`` has closed-form kernels (:data:`ACTIVATIONS`)."""
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {ACTIVATIONS}, got {activation!r}")


def erf_gaussian_kernel(gram: Float[Array, "m m"]) -> Float[Array, "m m"]:
    r"""Matrix of :math:`E[\sigma(u_i\cdot x)\sigma(u_j\cdot x)]` for :math:`\sigma = \operatorname{erf}(\cdot/\sqrt2)`.

    Args:
        gram: ``(m, m)`` Gram matrix :math:`G_{ij} = u_i \cdot u_j` of the weight vectors.

    Returns:
        ``(m, m)``: :math:`\frac 2\pi \arcsin(G_{ij}/\sqrt{(1+G_{ii})(1+G_{jj})})`.
    """
    return erf_gaussian_cross_kernel(gram, jnp.diagonal(gram), jnp.diagonal(gram))


def erf_gaussian_cross_kernel(gram: Float[Array, "m p"], sq_left: Float[Array, " m"],
                              sq_right: Float[Array, " p"]) -> Float[Array, "m p"]:
    r"""Block :math:`E[\sigma(u_i\cdot x)\sigma(v_j\cdot x)]` of the erf kernel between two sets of vectors.

    Args:
        gram: ``(m, p)`` cross Gram matrix :math:`u_i \cdot v_j`.
        sq_left, sq_right: ``(m,)`` :math:`|u_i|^2` and ``(p,)`` :math:`|v_j|^2`.

    Returns:
        ``(m, p)``: :math:`\frac 2\pi \arcsin(G_{ij}/\sqrt{(1+|u_i|^2)(1+|v_j|^2)})`.
    """
    return (2.0 / jnp.pi) * jnp.arcsin(gram / jnp.sqrt((1.0 + sq_left)[:, None] * (1.0 + sq_right)[None, :]))


#: floor of 1 - u^2 in h''(u) = 1/sqrt(1 - u^2): keeps second derivatives finite at exactly parallel vectors
_PARALLEL_FLOOR = 1e-16


@jax.custom_jvp
def _arccos_slope(u):
    # h'(u) = pi - arccos u, with h''(u) = 1/sqrt(1 - u^2) floored (see relu_gaussian_kernel)
    return jnp.pi - jnp.arccos(jnp.clip(u, -1.0, 1.0))


@_arccos_slope.defjvp
def _arccos_slope_jvp(primals, tangents):
    (u,), (du,) = primals, tangents
    u = jnp.clip(u, -1.0, 1.0)
    return _arccos_slope(u), du / jnp.sqrt(jnp.maximum(1.0 - u * u, _PARALLEL_FLOOR))


@jax.custom_jvp
def _arccos_shape(u):
    # h(u) = sqrt(1 - u^2) + (pi - arccos u) u;  h'(u) = pi - arccos u (finite at u = +-1)
    u = jnp.clip(u, -1.0, 1.0)
    return jnp.sqrt(jnp.maximum(1.0 - u * u, 0.0)) + (jnp.pi - jnp.arccos(u)) * u


@_arccos_shape.defjvp
def _arccos_shape_jvp(primals, tangents):
    (u,), (du,) = primals, tangents
    return _arccos_shape(u), _arccos_slope(u) * du


def _safe_sqrt(x):
    positive = x > 0
    return jnp.where(positive, jnp.sqrt(jnp.where(positive, x, 1.0)), 0.0)


def relu_gaussian_kernel(gram: Float[Array, "m m"]) -> Float[Array, "m m"]:
    r"""Matrix of :math:`E[\mathrm{relu}(u_i\cdot x)\,\mathrm{relu}(u_j\cdot x)]` (degree-1 arc-cosine kernel).

    The diagonal is :math:`|u_i|^2/2` exactly; zero vectors give zero rows with zero (not NaN)
    gradients. In the cosine :math:`u` the kernel's second derivative :math:`h''(u) = 1/\sqrt{1-u^2}`
    diverges at parallel vectors, but in the weights it is :math:`C^2` there (in the angle
    :math:`\theta`, :math:`h = \pi - \pi\theta^2/2 + \theta^3/3 + \dots`): :math:`h''` multiplies
    :math:`(\partial u/\partial w)^2 \propto \sin^2\theta`. Autodiff through :math:`u` would give
    :math:`\infty \cdot 0`, so :math:`1-u^2` is floored at 1e-16 in :math:`h''` only: Hessians are
    finite at exact copies, and exact wherever :math:`1 - u^2 > 10^{-16}` (every cosine but
    :math:`\pm 1` in float64).

    Args:
        gram: ``(m, m)`` Gram matrix.

    Returns:
        ``(m, m)`` kernel matrix.
    """
    m = gram.shape[0]
    eye = jnp.eye(m, dtype=bool)
    norms = _safe_sqrt(jnp.diagonal(gram))
    outer = norms[:, None] * norms[None, :]
    usable = (outer > 0) & ~eye
    cosine = jnp.where(usable, gram / jnp.where(usable, outer, 1.0), 0.0)
    off_diagonal = outer * _arccos_shape(cosine) / (2.0 * jnp.pi)
    return jnp.where(eye, gram / 2.0, jnp.where(usable, off_diagonal, 0.0))


def relu_gaussian_cross_kernel(gram: Float[Array, "m p"], sq_left: Float[Array, " m"],
                               sq_right: Float[Array, " p"]) -> Float[Array, "m p"]:
    r"""Block :math:`E[\mathrm{relu}(u_i\cdot x)\,\mathrm{relu}(v_j\cdot x)]` between two sets of vectors
    (``(m, p)`` cross Gram, squared norms ``(m,)`` and ``(p,)``); zero vectors give zeros.
    Use :func:`relu_gaussian_kernel` for a set with itself (its diagonal is exact)."""
    outer = _safe_sqrt(sq_left)[:, None] * _safe_sqrt(sq_right)[None, :]
    usable = outer > 0
    cosine = jnp.where(usable, gram / jnp.where(usable, outer, 1.0), 0.0)
    return jnp.where(usable, outer * _arccos_shape(cosine) / (2.0 * jnp.pi), 0.0)


def gaussian_cross_kernel(gram: Float[Array, "m p"], sq_left: Float[Array, " m"], sq_right: Float[Array, " p"],
                          activation: str) -> Float[Array, "m p"]:
    """:func:`erf_gaussian_cross_kernel` or :func:`relu_gaussian_cross_kernel` by name.

    Raises:
        ValueError: unknown ``activation``.
    """
    if activation == "erf":
        return erf_gaussian_cross_kernel(gram, sq_left, sq_right)
    if activation == "relu":
        return relu_gaussian_cross_kernel(gram, sq_left, sq_right)
    check_activation(activation)  # raises: the activation is not erf or relu


def gaussian_kernel(gram: Float[Array, "m m"], activation: str) -> Float[Array, "m m"]:
    """:func:`erf_gaussian_kernel` or :func:`relu_gaussian_kernel` by name (``"erf"``/``"relu"``).

    Raises:
        ValueError: unknown ``activation``.
    """
    if activation == "erf":
        return erf_gaussian_kernel(gram)
    if activation == "relu":
        return relu_gaussian_kernel(gram)
    check_activation(activation)  # raises: the activation is not erf or relu


def pair_expectation(w: Float[Array, " d"], v: Float[Array, " d"], activation: str = "erf") -> Float[Array, ""]:
    r""":math:`E_{x\sim N(0,I)}[\sigma(w\cdot x)\sigma(v\cdot x)]` in closed form for one pair.

    Args:
        w, v: ``(d,)`` weight vectors.
        activation: ``"erf"`` (:math:`\operatorname{erf}(z/\sqrt2)`) or ``"relu"``.

    Returns:
        scalar expectation.

    Raises:
        ValueError: unknown ``activation`` or shapes that differ.
    """
    w, v = jnp.asarray(w), jnp.asarray(v)
    if w.shape != v.shape or w.ndim != 1:
        raise ValueError(f"w and v must be 1-D of equal length, got shapes {w.shape} and {v.shape}")
    stacked = jnp.stack([w, v])
    return gaussian_kernel(stacked @ stacked.T, activation)[0, 1]
