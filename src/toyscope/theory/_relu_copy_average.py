r"""Copy-average configurations of a ReLU student fitting an orthonormal ReLU teacher, in closed form.

The ReLU analogue of :mod:`toyscope.theory._copy_average` (erf). :math:`\sigma(z) = \max(0, z)`,
orthonormal teacher vectors :math:`v_j`, output weights 1, :math:`x \sim N(0, I_d)`, loss
:math:`E_x[(f - f^*)^2]` (no factor 1/2).

**One neuron** :math:`(a, w)`, :math:`w = r u`, :math:`|u| = 1`, fitting the :math:`\ell` teacher
neurons of a set :math:`S`, with :math:`c_j = u\cdot v_j` (arc-cosine kernel,
:mod:`toyscope.theory._gaussian_kernels`; :math:`h(c) = \sqrt{1-c^2} + (\pi - \arccos c)\,c`):

.. math::
    L_S(a, w) = \frac{\beta^2}{2} - \frac{\beta}{\pi} H(u) + T_\ell,\qquad
    \beta = a r,\quad H(u) = \sum_{j\in S} h(c_j),\quad T_\ell = \frac\ell2 + \frac{\ell(\ell-1)}{2\pi}.

Positive homogeneity (:math:`\sigma(rz) = r\sigma(z)`, :math:`r > 0`) makes the loss depend on
:math:`(a, r)` only through :math:`\beta = a r`: every minimiser lies on a ray
:math:`\{(\beta/r, r u)\}`, so :math:`a` and :math:`|w|` are **not** determined separately (the erf
fit :math:`a^* = \ell`, :math:`r^* = 1/\sqrt{2\ell-1}` has no ReLU analogue). Minimising over
:math:`\beta`: :math:`\beta^* = H(u)/\pi`, :math:`L = T_\ell - H(u)^2/(2\pi^2)`; :math:`h` increases,
so :math:`u` lies in the span of :math:`S`, and the maximiser of :math:`H` on the sphere is the mean
direction :math:`u_S = \sum_{j\in S} v_j/\sqrt\ell` (checked by direct minimisation over
:math:`(a, w)` in the tests; the Hermite expansion :math:`h(c) = 1 + \pi c/2 + c^2/2 + \phi(c)`,
:math:`0 \le \phi \le \phi(1) = \pi/2 - 3/2`, bounds any other direction's gain by 0.071). Hence

.. math::
    \beta^*(\ell) = \frac{\ell\, h(1/\sqrt\ell)}{\pi},\qquad
    L(\ell) = \frac\ell2 + \frac{\ell(\ell-1)}{2\pi} - \frac{\ell^2 h(1/\sqrt\ell)^2}{2\pi^2},\qquad
    \mu(\ell) = E[a\sigma(w\cdot x) - \textstyle\sum_{j\in S}\sigma(v_j\cdot x)] = \frac{\beta^* - \ell}{\sqrt{2\pi}}.

:math:`\ell = 1` is the copy (:math:`h(1) = \pi`: :math:`\beta^* = 1`, :math:`L = \mu = 0`); for
:math:`\ell \ge 2`, :math:`\mu < 0` (the neuron's mean falls short of the teacher's) and
:math:`\beta^* > \sqrt\ell` (it overshoots the teacher's linear Hermite component
:math:`\sqrt\ell/2`, which the erf fit matches exactly). The representative used here is
:math:`r = 1/\sqrt\ell`, :math:`a = \beta^*\sqrt\ell \ge \ell`: the paper's
:math:`a \ge \ell`, :math:`|w| \le 1/\sqrt\ell` hold exactly for the minimisers with :math:`r \le 1/\sqrt\ell`.

**A partition** :math:`(\ell_1..\ell_n)` of the teachers into consecutive blocks :math:`S_i`, neuron
:math:`i` the one-neuron fit of :math:`S_i`: the residuals :math:`R_i` depend on orthogonal,
hence independent, projections :math:`P_i x` of :math:`x`, so :math:`E[R_i R_m] = \mu_i \mu_m` and

.. math::
    L(\ell_1..\ell_n) = \sum_i L(\ell_i) + \sum_{i\ne m}\mu_i\mu_m,\qquad
    \frac{\partial L}{\partial a_i} = \frac{2 M_i r_i}{\sqrt{2\pi}},\quad
    \frac{\partial L}{\partial w_i} = 2 a_i\Big(\frac{M_i u_i}{\sqrt{2\pi}} + \frac12\sum_{m\ne i}\lambda_m\Big),

with :math:`M_i = \sum_{m\ne i}\mu_m` and :math:`\lambda_m = E[R_m x] = (\beta^*_m - \sqrt{\ell_m})\,u_m/2`,
the residual's linear Hermite component (the bucket's own term vanishes at its one-neuron
optimum; :math:`E[\sigma(w_i\cdot x)] = r_i/\sqrt{2\pi}`, :math:`E[x\,1\{u_i\cdot x > 0\}] = u_i/\sqrt{2\pi}`,
and :math:`E[R_m(P_m x)\,1\{u_i\cdot x>0\}\,x] = \mu_m u_i/\sqrt{2\pi} + \lambda_m/2`). Since
:math:`\mu(\ell) = 0` only at :math:`\ell = 1`, **no copy-average configuration with**
:math:`2 \le n \le k-1` **is a critical point** for ReLU (erf: all are; there the fit matches the
linear component and the odd activation has no mean). The C-A optimal partition
:math:`(1..1, k-n+1)` still has loss :math:`L(k-n+1)` (copies have :math:`\mu = \lambda = 0`),
but its copies carry the gradient: :math:`\partial L/\partial a_c = (\beta^*-\ell)/\pi`,
:math:`\ell = k-n+1`. Paper: ``teacher-student-copy-average.txt`` (Construction of
Copy-Average Neurons; Copy-Average Configurations are Critical Points; ReLU in Assumptions).
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax.numpy as jnp
import numpy as np

from ._teacher_student import TwoLayerStudent


class ReluOneNeuronFit(NamedTuple):
    """Optimal ReLU neuron for ``l`` orthonormal teacher neurons: the product ``scale`` = a|w|
    (:math:`\\beta^*`), the representative ``r`` = 1/sqrt(l), ``a`` = scale sqrt(l), the ``loss``
    :math:`L(\\ell)` and the residual mean :math:`\\mu(\\ell)`."""

    l: int
    scale: float
    r: float
    a: float
    loss: float
    residual_mean: float


def _arccos_shape(c: float) -> float:
    return float(np.sqrt(1.0 - c * c) + (np.pi - np.arccos(c)) * c)


@functools.lru_cache(maxsize=4096)
def relu_one_neuron_fit(l: int) -> ReluOneNeuronFit:
    r"""The optimal ReLU neuron fitting :math:`\sum_{j=1}^\ell \sigma(v_j\cdot x)` (module docstring), in closed form.

    Args:
        l: number of teacher neurons, ``>= 1``.

    Returns:
        :class:`ReluOneNeuronFit` (float64 numbers).

    Raises:
        ValueError: ``l`` not an integer ``>= 1``.

    Example:
        >>> fit = relu_one_neuron_fit(1)
        >>> fit.scale, fit.loss, fit.residual_mean
        (1.0, 0.0, 0.0)
        >>> round(relu_one_neuron_fit(2).loss, 6)
        0.177024
    """
    if int(l) != l or l < 1:
        raise ValueError(f"l must be an integer >= 1, got {l!r}")
    l = int(l)
    if l == 1:
        return ReluOneNeuronFit(1, 1.0, 1.0, 1.0, 0.0, 0.0)
    total = l * _arccos_shape(1.0 / np.sqrt(l))  # H(u_S)
    scale = total / np.pi
    loss = l / 2 + l * (l - 1) / (2 * np.pi) - total**2 / (2 * np.pi**2)
    return ReluOneNeuronFit(l, float(scale), float(1 / np.sqrt(l)), float(scale * np.sqrt(l)), float(loss),
                            float((scale - l) / np.sqrt(2 * np.pi)))


def _parts(partition) -> list[int]:
    parts = [int(p) for p in partition]
    if not parts or min(parts) < 1:
        raise ValueError(f"partition must be non-empty with parts >= 1, got {partition!r}")
    return parts


def relu_copy_average_loss(partition) -> float:
    r""":math:`L(\ell_1..\ell_n) = \sum_i L(\ell_i) + \sum_{i\ne m}\mu_i\mu_m` of the ReLU copy-average configuration.

    The partition's parts must cover the teacher (sum ``k``) for this to be the loss against a
    width-``k`` teacher.

    Raises:
        ValueError: an empty partition or a part ``< 1``.

    Example:
        >>> relu_copy_average_loss([1, 1, 3]) == relu_one_neuron_fit(3).loss
        True
        >>> relu_copy_average_loss([2, 2]) > 2 * relu_one_neuron_fit(2).loss
        True
    """
    fits = [relu_one_neuron_fit(p) for p in _parts(partition)]
    means = np.array([fit.residual_mean for fit in fits])
    return float(sum(fit.loss for fit in fits) + means.sum() ** 2 - (means**2).sum())


def relu_copy_average_gradient(partition, teacher: TwoLayerStudent) -> TwoLayerStudent:
    r"""Closed-form gradient of the population loss at the ReLU copy-average configuration of ``partition``.

    :math:`\partial L/\partial a_i = 2 M_i r_i/\sqrt{2\pi}`,
    :math:`\partial L/\partial w_i = 2 a_i (M_i u_i/\sqrt{2\pi} + \tfrac12\sum_{m\ne i}\lambda_m)`,
    :math:`M_i = \sum_{m\ne i}\mu(\ell_m)`, :math:`\lambda_m = (\beta^*(\ell_m) - \sqrt{\ell_m})\,u_{S_m}/2`, at :math:`w_i = r_i u_{S_i}`, :math:`a_i = \beta^*(\ell_i)/r_i`,
    :math:`r_i = 1/\sqrt{\ell_i}` (module docstring; the configuration of
    :func:`toyscope.theory.copy_average_configuration` with ``activation="relu"``).

    Args:
        partition: ``n`` positive parts summing to ``k``.
        teacher: orthonormal teacher, ``w`` ``(k, d)``, output weights 1.

    Returns:
        :class:`TwoLayerStudent`: ``a`` ``(n,)``, ``w`` ``(n, d)`` gradient.

    Raises:
        ValueError: parts ``< 1`` or not summing to ``k``.

    Example:
        >>> from toyscope import theory
        >>> g = relu_copy_average_gradient([1, 2], theory.orthonormal_teacher(3, 4))
        >>> bool(abs(g.a[0]) > 0.1), float(g.a[1])
        (True, 0.0)
    """
    parts = _parts(partition)
    v = np.asarray(teacher.w, dtype=float)
    if sum(parts) != v.shape[0]:
        raise ValueError(f"partition must sum to k = {v.shape[0]}, got {partition!r}")
    fits = [relu_one_neuron_fit(p) for p in parts]
    means = np.array([fit.residual_mean for fit in fits])
    others = means.sum() - means  # M_i
    starts = np.concatenate([[0], np.cumsum(parts)[:-1]])
    directions = np.stack([v[s:s + p].sum(axis=0) / np.sqrt(p) for s, p in zip(starts, parts)])
    linear = (np.array([fit.scale for fit in fits]) - np.sqrt(parts))[:, None] * directions / 2  # lambda_m
    linear_others = linear.sum(axis=0)[None, :] - linear
    outputs = np.array([fit.a for fit in fits])
    grad_a = 2 * others * np.array([fit.r for fit in fits]) / np.sqrt(2 * np.pi)
    grad_w = 2 * outputs[:, None] * (others[:, None] * directions / np.sqrt(2 * np.pi) + linear_others / 2)
    dtype = teacher.w.dtype
    return TwoLayerStudent(jnp.asarray(grad_a, dtype), jnp.asarray(grad_w, dtype))
