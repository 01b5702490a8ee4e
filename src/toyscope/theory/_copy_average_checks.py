r"""Checks of the copy-average theory: constructed configurations are critical points, and the
one-neuron loss :math:`L(\ell)` is discretely concave.

For every width :math:`n \le k`, two partitions of the :math:`k` teacher neurons are built with
:func:`copy_average_configuration`: the C-A optimal one :math:`(1, \dots, 1, k-n+1)` and one
drawn at random (:func:`random_partition`). At each configuration :math:`x` the closed-form loss
of the padded student is evaluated through a :class:`toyscope.train.FlatObjective`:
:math:`L(x)`, :math:`\max_i |\partial_i L(x)|` over the unpadded coordinates (0 up to rounding
if the configuration is critical), and for the C-A optimal one the smallest Hessian eigenvalue.
The loss also equals :math:`\sum_i L(\ell_i)` (:func:`copy_average_loss`). Paper:
``teacher-student-copy-average.txt`` ("Copy-Average Configurations are Critical Points";
"Optimal Copy-Average Configuration").
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import jax.numpy as jnp
import numpy as np

from .. import train
from ._copy_average import copy_average_configuration, copy_average_loss, one_neuron_fit, second_differences
from ._teacher_student import TwoLayerStudent


class CriticalPointCheck(NamedTuple):
    """One constructed configuration: width, ``"C-A optimal"`` or ``"random"``, the partition as
    ``"1+1+3"``, the loss, :math:`\\sum_i L(\\ell_i)`, the max-abs gradient and the smallest
    Hessian eigenvalue (C-A optimal only, else ``None``)."""

    n: int
    kind: str
    partition: str
    loss: float
    partition_loss: float
    grad_max: float
    min_eigenvalue: float | None


def random_partition(k: int, n: int, rng: np.random.Generator) -> list[int]:
    """A random composition of ``k`` into ``n`` positive parts (ordered, sum ``k``).

    The ``n - 1`` cut points are drawn without replacement from ``1..k-1``; the parts are the
    gaps between ``0``, the sorted cuts and ``k``.

    Raises:
        ValueError: not ``1 <= n <= k``.

    Example:
        >>> import numpy as np
        >>> parts = random_partition(7, 3, np.random.default_rng(0))
        >>> len(parts), sum(parts), min(parts) >= 1
        (3, 7, True)
    """
    if not 1 <= n <= k:
        raise ValueError(f"need 1 <= n <= k, got n={n}, k={k}")
    cuts = np.sort(rng.choice(np.arange(1, k), size=n - 1, replace=False)) if n > 1 else np.array([], int)
    return np.diff(np.concatenate([[0], cuts, [k]])).tolist()


def copy_average_critical_points(objective: train.FlatObjective, teacher: TwoLayerStudent, widths: Sequence[int], *,
                                 n_max: int, seed: int, dense_limit: int = 2000,
                                 activation: str = "erf") -> list[CriticalPointCheck]:
    r"""Loss, gradient and (C-A optimal) curvature at constructed copy-average configurations.

    For each width :math:`n \le k` in ``widths`` (wider ones are skipped), in order: the C-A
    optimal partition, then one :func:`random_partition` (one generator seeded with ``seed``
    serves all widths). Each student is zero-padded to ``n_max`` neurons and evaluated with
    ``objective`` (a loss of ``TwoLayerStudent`` with ``n_max`` neurons and a ``(n_max,)`` mask
    argument). The smallest Hessian eigenvalue is computed for the C-A optimal configuration
    when its free coordinates number at most ``dense_limit`` (erf only: a ReLU copy is exactly
    parallel to its teacher, where the arc-cosine kernel has no second derivative, and these
    ReLU points are not critical anyway).

    Args:
        objective: flat closed-form loss of one padded student (``mask`` as its argument), of ``activation``.
        teacher: orthonormal teacher, ``w`` ``(k, d)``.
        widths: student widths; n_max: the padded width of ``objective``; seed: for the random partitions.
        dense_limit: as :func:`toyscope.train.smallest_hessian_eigen`.
        activation: ``"erf"`` or ``"relu"``: which one-neuron fits build the configurations and
            which partition loss (:func:`copy_average_loss`) they are compared with.

    Returns:
        two :class:`CriticalPointCheck` per width :math:`n \le k`.

    Example:
        >>> import jax, jax.numpy as jnp
        >>> from toyscope import theory, train
        >>> with jax.enable_x64(True):
        ...     teacher = theory.orthonormal_teacher(3, 4, dtype=jnp.float64)
        ...     loss = lambda s, m: theory.population_loss(s, teacher, "erf", m)
        ...     objective = train.FlatObjective(loss, theory.TwoLayerStudent(jnp.zeros(2), jnp.zeros((2, 4))))
        ...     checks = theory.copy_average_critical_points(objective, teacher, [2], n_max=2, seed=0)
        >>> [c.kind for c in checks], max(c.grad_max for c in checks) < 1e-9
        (['C-A optimal', 'random'], True)
    """
    k, d = teacher.w.shape
    dtype = teacher.w.dtype
    rng = np.random.default_rng(seed)
    checks = []
    for n in widths:
        if n > k:
            continue
        random = random_partition(k, n, rng)
        for kind, partition in (("C-A optimal", [1] * (n - 1) + [k - n + 1]), ("random", random)):
            student = copy_average_configuration(partition, teacher, activation)
            a = jnp.zeros(n_max, dtype).at[:n].set(student.a)
            w = jnp.zeros((n_max, d), dtype).at[:n].set(student.w)
            mask = (jnp.arange(n_max) < n).astype(dtype)
            x = objective.ravel(TwoLayerStudent(a, w))
            grad = np.asarray(objective.grad(jnp.asarray(x), mask))
            free = np.flatnonzero(objective.ravel(TwoLayerStudent(mask, jnp.broadcast_to(mask[:, None], w.shape))))
            eigen = (train.smallest_hessian_eigen(objective, x, mask, free=free, dense_limit=dense_limit).value
                     if kind == "C-A optimal" and activation == "erf" and free.size <= dense_limit else None)
            checks.append(CriticalPointCheck(n, kind, "+".join(map(str, partition)),
                                             float(objective.value(jnp.asarray(x), mask)),
                                             copy_average_loss(partition, activation), float(np.max(np.abs(grad[free]))),
                                             eigen))
    return checks


class Concavity(NamedTuple):
    """Whether every second difference is ``<= tol``, and the largest one (``None`` for fewer than 3 values)."""

    concave: bool
    max_second_difference: float | None


def discrete_concavity(values, tol: float = 1e-12) -> Concavity:
    r"""Discrete concavity of a sequence :math:`L(1..k)`: :math:`L(\ell+1) - 2L(\ell) + L(\ell-1) \le` ``tol``.

    Args:
        values: ``(k,)``.
        tol: rounding allowance for a second difference.

    Returns:
        :class:`Concavity`; sequences of fewer than 3 values are concave with ``None`` as the largest difference.

    Example:
        >>> discrete_concavity([0.0, 1.0, 1.5, 1.75])
        Concavity(concave=True, max_second_difference=-0.25)
    """
    second = second_differences(values)
    return Concavity(bool(np.all(second <= tol)), float(second.max()) if second.size else None)


def one_neuron_fit_error(k: int) -> float:
    r"""Largest deviation of the numerical one-neuron fits from :math:`r^* = 1/\sqrt{2\ell-1}`, :math:`a^* = \ell`.

    :math:`\max_{\ell=1..k} \max(|r^*(\ell) - 1/\sqrt{2\ell-1}|, |a^*(\ell) - \ell|/\ell)` over
    :func:`one_neuron_fit`; near machine precision when the fits have that closed form.

    Raises:
        ValueError: ``k < 1``.

    Example:
        >>> one_neuron_fit_error(5) < 1e-9
        True
    """
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    return max(max(abs(fit.r - 1 / np.sqrt(2 * l - 1)), abs(fit.a - l) / l)
               for l in range(1, k + 1) for fit in [one_neuron_fit(l)])
