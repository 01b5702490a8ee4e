r"""Copy-average configurations of an erf student fitting an orthonormal erf teacher.

One neuron fitting :math:`\ell` teacher neurons :math:`\sum_{j\in S}\sigma(v_j\cdot x)` along
:math:`u_S = \sum_{j\in S} v_j/\sqrt\ell` with norm :math:`r` and output weight :math:`a`
(:math:`\sigma = \operatorname{erf}(\cdot/\sqrt2)`, orthonormal :math:`v_j`):

.. math::
    L_\ell(r, a) = a^2 s(r) - 2 a \ell\, t_\ell(r) + \ell/3,\quad
    s(r) = \tfrac2\pi\arcsin\tfrac{r^2}{1+r^2},\quad
    t_\ell(r) = \tfrac2\pi\arcsin\tfrac{r/\sqrt\ell}{\sqrt{2(1+r^2)}}

so :math:`a^* = \ell t_\ell/s` and :math:`L(\ell) = \min_r \ell/3 - \ell^2 t_\ell(r)^2/s(r)`.
A partition :math:`(\ell_1..\ell_n)` of the teacher neurons gives the copy-average
configuration :math:`(w_i, a_i) = (r^*(\ell_i) u_{S_i}, a^*(\ell_i))` with loss
:math:`\sum_i L(\ell_i)`. Both the criticality of these points and the discrete concavity of
:math:`L(\ell)` rest on erf being odd; they are claimed for erf only. ``activation="relu"``
selects the ReLU closed forms of :mod:`toyscope.theory._relu_copy_average` (where neither holds).
Paper: ``teacher-student-copy-average.txt`` (Construction; Optimal Copy-Average Configuration).
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from ._gaussian_kernels import ACTIVATIONS, check_activation
from ._relu_copy_average import relu_copy_average_loss, relu_one_neuron_fit
from ._teacher_student import TwoLayerStudent

#: the activations with copy-average closed forms: those with closed-form Gaussian kernels
COPY_AVERAGE_ACTIVATIONS = ACTIVATIONS


class OneNeuronFit(NamedTuple):
    """Optimal single erf neuron for ``l`` orthonormal teacher neurons: norm ``r``, output ``a``, ``loss``."""

    l: int
    r: float
    a: float
    loss: float


def _profile_loss(log_r, l):
    r = jnp.exp(log_r)
    s = (2 / jnp.pi) * jnp.arcsin(r**2 / (1 + r**2))
    t = (2 / jnp.pi) * jnp.arcsin((r / jnp.sqrt(l)) / jnp.sqrt(2 * (1 + r**2)))
    return l / 3 - l**2 * t**2 / s


_profile_grad = jax.jit(jax.grad(_profile_loss))
_profile_hess = jax.jit(jax.grad(jax.grad(_profile_loss)))
_profile_value = jax.jit(_profile_loss)


def one_neuron_fit(l: int, activation: str = "erf") -> OneNeuronFit:
    r"""The optimal one-neuron fit of :math:`\sum_{j=1}^{\ell}\sigma(v_j\cdot x)` (orthonormal :math:`v_j`).

    erf: a bounded scalar search over :math:`\log r` polished by Newton steps to machine
    precision. ReLU: the closed form of :func:`toyscope.theory.relu_one_neuron_fit`; only
    :math:`a r` is determined, and the fit returned is the representative :math:`r = 1/\sqrt\ell`,
    :math:`a = \beta^*\sqrt\ell`. :math:`\ell = 1` gives the copy :math:`(r, a, L) = (1, 1, 0)`.

    Args:
        l: number of teacher neurons, ``>= 1``.
        activation: ``"erf"`` or ``"relu"``.

    Returns:
        :class:`OneNeuronFit` ``(l, r, a, loss)`` in float64 (numpy floats).

    Raises:
        ValueError: ``l < 1`` or an unknown activation.

    Example:
        >>> fit = one_neuron_fit(3, "relu")
        >>> round(fit.r, 6), round(fit.a * fit.r, 6)
        (0.57735, 1.985054)
    """
    check_activation(activation)
    if int(l) != l or l < 1:
        raise ValueError(f"l must be an integer >= 1, got {l!r}")
    if activation == "relu":
        fit = relu_one_neuron_fit(int(l))
        return OneNeuronFit(fit.l, fit.r, fit.a, fit.loss)
    return _erf_one_neuron_fit(int(l))


@functools.lru_cache(maxsize=4096)
def _erf_one_neuron_fit(l: int) -> OneNeuronFit:
    from scipy import optimize  # imported on first use (about 0.5 s)

    l = float(l)
    with jax.enable_x64(True):
        found = optimize.minimize_scalar(lambda x: float(_profile_value(x, l)), bounds=(-8.0, 3.0), method="bounded",
                                         options={"xatol": 1e-10})
        x = found.x
        for _ in range(20):
            step = float(_profile_grad(x, l)) / float(_profile_hess(x, l))
            x -= step
            if abs(step) < 1e-15:
                break
        r = float(np.exp(x))
        s = 2 / np.pi * np.arcsin(r**2 / (1 + r**2))
        t = 2 / np.pi * np.arcsin((r / np.sqrt(l)) / np.sqrt(2 * (1 + r**2)))
        return OneNeuronFit(int(l), r, float(l * t / s), float(_profile_value(x, l)))


def one_neuron_losses(k: int, activation: str = "erf") -> np.ndarray:
    r""":math:`L(\ell)` for :math:`\ell = 1..k` as a ``(k,)`` float64 array (``[0]`` is :math:`L(1) = 0`)."""
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    return np.array([one_neuron_fit(l, activation).loss for l in range(1, k + 1)])


def copy_average_loss(partition, activation: str = "erf") -> float:
    r"""Loss of the copy-average configuration of a partition covering the teacher.

    erf: :math:`L(\ell_1, ..., \ell_n) = \sum_i L(\ell_i)`. ReLU: plus the residual means'
    cross terms :math:`\sum_{i\ne m}\mu_i\mu_m` (:func:`toyscope.theory.relu_copy_average_loss`).

    Raises:
        ValueError: a part ``< 1`` or an unknown activation.

    Example:
        >>> copy_average_loss([1, 2, 2], "relu") > copy_average_loss([1, 2, 2], "erf") > 0
        True
    """
    check_activation(activation)
    parts = [int(p) for p in partition]
    if not parts or min(parts) < 1:
        raise ValueError(f"partition must be non-empty with parts >= 1, got {partition!r}")
    if activation == "relu":
        return relu_copy_average_loss(parts)
    return float(sum(one_neuron_fit(p).loss for p in parts))


def optimal_copy_average_loss(n: int, k: int, activation: str = "erf") -> float:
    r"""Loss of the C-A optimal configuration: :math:`n-1` copies and one average of :math:`k-n+1`, i.e. :math:`L(k-n+1)`
    (for ReLU too: a copy's residual is zero, so it adds no cross term).

    Raises:
        ValueError: not ``1 <= n <= k``, or an unknown activation.
    """
    if not 1 <= n <= k:
        raise ValueError(f"need 1 <= n <= k, got n={n}, k={k}")
    return one_neuron_fit(k - n + 1, activation).loss


#: most partitions :func:`best_copy_average_partition` enumerates
MAX_ENUMERATED_PARTITIONS = 200_000


def _partitions(total: int, parts: int, largest: int):
    """Non-increasing tuples of ``parts`` positive integers <= ``largest`` summing to ``total``."""
    if parts == 1:
        if 1 <= total <= largest:
            yield (total,)
        return
    for first in range(min(total - parts + 1, largest), 0, -1):
        if first * parts < total:
            break
        for rest in _partitions(total - first, parts - 1, first):
            yield (first, *rest)


@functools.lru_cache(maxsize=None)
def _partition_count(total: int, parts: int) -> int:
    # p(total, parts): partitions of total into exactly `parts` positive parts
    if parts == 0:
        return int(total == 0)
    if total < parts:
        return 0
    return _partition_count(total - 1, parts - 1) + _partition_count(total - parts, parts)


def best_copy_average_partition(k: int, n: int, activation: str = "erf") -> tuple[tuple[int, ...], float]:
    r"""The partition of ``k`` teacher neurons into ``n`` buckets whose copy-average configuration has the least loss.

    Exhaustive over the integer partitions of ``k`` into ``n`` parts (the loss depends on the
    multiset of parts only), with :func:`copy_average_loss`. For erf, discrete concavity of
    :math:`L(\ell)` makes the answer :math:`(k-n+1, 1, \dots, 1)`, the C-A optimal one; for ReLU
    the cross terms and the convex :math:`L(\ell)` favour balanced parts.

    Args:
        k: teacher width; n: student width, ``1 <= n <= k``; activation: ``"erf"`` or ``"relu"``.

    Returns:
        ``(parts, loss)``: the parts in non-increasing order and their loss (the first of equal losses).

    Raises:
        ValueError: not ``1 <= n <= k``, an unknown activation, or more than
            ``MAX_ENUMERATED_PARTITIONS`` partitions.

    Example:
        >>> best_copy_average_partition(6, 3)[0], best_copy_average_partition(6, 3, "relu")[0]
        ((4, 1, 1), (2, 2, 2))
    """
    check_activation(activation)
    if not 1 <= n <= k:
        raise ValueError(f"need 1 <= n <= k, got n={n}, k={k}")
    count = _partition_count(k, n)
    if count > MAX_ENUMERATED_PARTITIONS:
        raise ValueError(f"k = {k} has {count} partitions into n = {n} parts, more than the "
                         f"{MAX_ENUMERATED_PARTITIONS} enumerated; use a smaller k")
    best = min(_partitions(k, n, k), key=lambda parts: copy_average_loss(parts, activation))
    return best, copy_average_loss(best, activation)


def copy_average_configuration(partition, teacher: TwoLayerStudent, activation: str = "erf") -> TwoLayerStudent:
    r"""The student of the copy-average configuration of ``partition`` (consecutive teacher blocks).

    Neuron :math:`i` fits teacher neurons :math:`S_i = \{\ell_1+..+\ell_{i-1}, ..., \ell_1+..+\ell_i - 1\}`:
    :math:`w_i = r^*(\ell_i) \sum_{j\in S_i} v_j/\sqrt{\ell_i}`, :math:`a_i = a^*(\ell_i)`
    (:func:`one_neuron_fit` of ``activation``; ReLU: the representative :math:`r^* = 1/\sqrt{\ell_i}`).

    Args:
        partition: sequence of ``n`` positive integers summing to at most ``k``.
        teacher: orthonormal teacher, ``w`` ``(k, d)``, output weights 1.
        activation: ``"erf"`` or ``"relu"``.

    Returns:
        :class:`TwoLayerStudent` with ``n`` neurons.

    Raises:
        ValueError: parts < 1 or sum > k, or an unknown activation.
    """
    check_activation(activation)
    parts = [int(p) for p in partition]
    k = teacher.w.shape[0]
    if not parts or min(parts) < 1 or sum(parts) > k:
        raise ValueError(f"partition must have parts >= 1 summing to <= k = {k}, got {partition!r}")
    v = np.asarray(teacher.w)
    rows, outputs, start = [], [], 0
    for part in parts:
        fit = one_neuron_fit(part, activation)
        rows.append(fit.r * v[start:start + part].sum(axis=0) / np.sqrt(part))
        outputs.append(fit.a)
        start += part
    return TwoLayerStudent(a=jnp.asarray(np.array(outputs), teacher.w.dtype), w=jnp.asarray(np.stack(rows), teacher.w.dtype))


def second_differences(values) -> np.ndarray:
    r""":math:`L(\ell+1) - 2L(\ell) + L(\ell-1)` for :math:`\ell = 2..k-1`; all :math:`\le 0` means discretely concave."""
    values = np.asarray(values, dtype=float)
    return values[2:] - 2 * values[1:-1] + values[:-2]
