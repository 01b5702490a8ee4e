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
:math:`L(\ell)` rest on erf being odd; they are claimed for erf only.
Paper: ``teacher-student-copy-average.txt`` (Construction; Optimal Copy-Average Configuration).
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from ._teacher_student import TwoLayerStudent


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


@functools.lru_cache(maxsize=4096)
def one_neuron_fit(l: int) -> OneNeuronFit:
    r"""The optimal one-neuron fit of :math:`\sum_{j=1}^{\ell}\sigma(v_j\cdot x)` (erf, orthonormal :math:`v_j`).

    A bounded scalar search over :math:`\log r` polished by Newton steps to machine precision.
    :math:`\ell = 1` gives the copy :math:`(r, a, L) = (1, 1, 0)`.

    Args:
        l: number of teacher neurons, ``>= 1``.

    Returns:
        :class:`OneNeuronFit` ``(l, r, a, loss)`` in float64 (numpy floats).

    Raises:
        ValueError: ``l < 1``.
    """
    from scipy import optimize  # imported on first use (about 0.5 s)

    if int(l) != l or l < 1:
        raise ValueError(f"l must be an integer >= 1, got {l!r}")
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


def one_neuron_losses(k: int) -> np.ndarray:
    r""":math:`L(\ell)` for :math:`\ell = 1..k` as a ``(k,)`` float64 array (``[0]`` is :math:`L(1) = 0`)."""
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    return np.array([one_neuron_fit(l).loss for l in range(1, k + 1)])


def copy_average_loss(partition) -> float:
    r""":math:`L(\ell_1, ..., \ell_n) = \sum_i L(\ell_i)` of the copy-average configuration of a partition.

    Raises:
        ValueError: a part ``< 1``.
    """
    parts = [int(p) for p in partition]
    if not parts or min(parts) < 1:
        raise ValueError(f"partition must be non-empty with parts >= 1, got {partition!r}")
    return float(sum(one_neuron_fit(p).loss for p in parts))


def optimal_copy_average_loss(n: int, k: int) -> float:
    r"""Loss of the C-A optimal configuration: :math:`n-1` copies and one average of :math:`k-n+1`, i.e. :math:`L(k-n+1)`.

    Raises:
        ValueError: not ``1 <= n <= k``.
    """
    if not 1 <= n <= k:
        raise ValueError(f"need 1 <= n <= k, got n={n}, k={k}")
    return one_neuron_fit(k - n + 1).loss


def copy_average_configuration(partition, teacher: TwoLayerStudent) -> TwoLayerStudent:
    r"""The student of the copy-average configuration of ``partition`` (consecutive teacher blocks).

    Neuron :math:`i` fits teacher neurons :math:`S_i = \{\ell_1+..+\ell_{i-1}, ..., \ell_1+..+\ell_i - 1\}`:
    :math:`w_i = r^*(\ell_i) \sum_{j\in S_i} v_j/\sqrt{\ell_i}`, :math:`a_i = a^*(\ell_i)`.

    Args:
        partition: sequence of ``n`` positive integers summing to at most ``k``.
        teacher: orthonormal erf teacher, ``w`` ``(k, d)``, output weights 1.

    Returns:
        :class:`TwoLayerStudent` with ``n`` neurons.

    Raises:
        ValueError: parts < 1 or sum > k.
    """
    parts = [int(p) for p in partition]
    k = teacher.w.shape[0]
    if not parts or min(parts) < 1 or sum(parts) > k:
        raise ValueError(f"partition must have parts >= 1 summing to <= k = {k}, got {partition!r}")
    v = np.asarray(teacher.w)
    rows, outputs, start = [], [], 0
    for part in parts:
        fit = one_neuron_fit(part)
        rows.append(fit.r * v[start:start + part].sum(axis=0) / np.sqrt(part))
        outputs.append(fit.a)
        start += part
    return TwoLayerStudent(a=jnp.asarray(np.array(outputs), teacher.w.dtype), w=jnp.asarray(np.stack(rows), teacher.w.dtype))


def second_differences(values) -> np.ndarray:
    r""":math:`L(\ell+1) - 2L(\ell) + L(\ell-1)` for :math:`\ell = 2..k-1`; all :math:`\le 0` means discretely concave."""
    values = np.asarray(values, dtype=float)
    return values[2:] - 2 * values[1:-1] + values[:-2]
