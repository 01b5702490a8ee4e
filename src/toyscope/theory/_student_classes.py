r"""Classes of many trained students at once, and how they move when the tolerances move.

Builds on :func:`classify_neurons` and :func:`classify_network` (see :mod:`._classify` for the
rules). A padded ensemble of students -- ``a`` ``(E, n_max)``, ``w`` ``(E, n_max, d)`` with
member ``e`` using its first ``widths[e]`` neurons -- is classified member by member; the
tolerance sensitivity repeats that with every tolerance multiplied and divided by 10 and counts
the neuron and network classes over all members. Paper: ``teacher-student-copy-average.txt``
(four neuron types, network classes of Fig. 2).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple

import numpy as np

from ._classify import NETWORK_CLASSES, NEURON_CLASSES, NeuronLabel, class_counts, classify_network, classify_neurons

#: the tolerance variants of :func:`tolerance_sensitivity`, in report order
TOLERANCE_VARIANTS = ("as fixed", "exact_tol x10", "exact_tol /10", "approx_tol x10", "approx_tol /10")


class StudentClass(NamedTuple):
    """One student's neuron labels (``n`` :class:`NeuronLabel`) and its network class."""

    neurons: list[NeuronLabel]
    network: str


def classify_student(a, w, teacher_w, *, activation: str = "erf", exact_tol: float, approx_tol: float) -> StudentClass:
    """Neuron labels and network class of one student with ``n`` neurons.

    The network class uses the teacher width :math:`k` = ``teacher_w.shape[0]``.

    Args:
        a: ``(n,)`` output weights; w: ``(n, d)`` input weights; teacher_w: ``(k, d)`` orthonormal rows.
        activation, exact_tol, approx_tol: as :func:`classify_neurons`.

    Returns:
        :class:`StudentClass` ``(neurons, network)``.

    Raises:
        ValueError: as :func:`classify_neurons`.

    Example:
        >>> from toyscope import theory
        >>> teacher = theory.orthonormal_teacher(3, 4)
        >>> student = theory.copy_average_configuration([1, 2], teacher)
        >>> theory.classify_student(student.a, student.w, teacher.w, exact_tol=1e-5, approx_tol=0.1).network
        'C-A optimal'
    """
    teacher_w = np.asarray(teacher_w)
    labels = classify_neurons(a, w, teacher_w, activation=activation, exact_tol=exact_tol, approx_tol=approx_tol)
    return StudentClass(labels, classify_network(labels, teacher_w.shape[0]))


def classify_students(a, w, widths: Sequence[int], teacher_w, *, activation: str = "erf", exact_tol: float,
                      approx_tol: float) -> list[StudentClass]:
    """:func:`classify_student` for every member of a padded ensemble.

    Args:
        a: ``(E, n_max)`` output weights; w: ``(E, n_max, d)`` input weights, zero-padded.
        widths: ``(E,)`` widths; member ``e`` uses ``a[e, :widths[e]]``, ``w[e, :widths[e]]``.
        teacher_w: ``(k, d)``. activation, exact_tol, approx_tol: as :func:`classify_neurons`.

    Returns:
        ``E`` :class:`StudentClass`, in member order.

    Raises:
        ValueError: ``len(widths)`` differs from the members of ``a`` or ``w``; as :func:`classify_neurons`.

    Example:
        >>> import numpy as np
        >>> from toyscope import theory
        >>> teacher = theory.orthonormal_teacher(2, 3)
        >>> a, w = np.array([[1.0, 0.0]]), np.asarray(teacher.w)[None]
        >>> [c.network for c in theory.classify_students(a, w, [1], teacher.w, exact_tol=1e-5, approx_tol=0.1)]
        ['copy-average']
    """
    if len(widths) != len(a) or len(widths) != len(w):
        raise ValueError(f"need one width per member, got {len(widths)} widths for {len(a)} and {len(w)} members")
    return [classify_student(np.asarray(a_e)[:n], np.asarray(w_e)[:n], teacher_w, activation=activation,
                             exact_tol=exact_tol, approx_tol=approx_tol)
            for n, a_e, w_e in zip(widths, a, w)]


def scaled_tolerances(exact_tol: float, approx_tol: float, variant: str) -> tuple[float, float]:
    """The ``(exact_tol, approx_tol)`` pair of one of :data:`TOLERANCE_VARIANTS`.

    ``"exact_tol x10"`` multiplies ``exact_tol`` by 10, ``"approx_tol /10"`` divides
    ``approx_tol`` by 10, and so on; ``"as fixed"`` returns both unchanged.

    Raises:
        ValueError: an unknown variant.

    Example:
        >>> scaled_tolerances(1e-5, 0.1, "approx_tol /10")
        (1e-05, 0.01)
    """
    variants = {"as fixed": (exact_tol, approx_tol), "exact_tol x10": (exact_tol * 10, approx_tol),
                "exact_tol /10": (exact_tol / 10, approx_tol), "approx_tol x10": (exact_tol, approx_tol * 10),
                "approx_tol /10": (exact_tol, approx_tol / 10)}
    if variant not in variants:
        raise ValueError(f"variant must be one of {', '.join(TOLERANCE_VARIANTS)}; got {variant!r}")
    return variants[variant]


def tolerance_sensitivity(a, w, widths: Sequence[int], teacher_w, *, activation: str = "erf", exact_tol: float,
                          approx_tol: float) -> dict[str, dict[str, int]]:
    """Neuron and network class counts over all members, for every tolerance variant.

    For each variant :math:`v` of :data:`TOLERANCE_VARIANTS` with tolerances
    :func:`scaled_tolerances`, every member is classified (:func:`classify_students`);
    ``counts[v][c]`` is the number of neurons of class ``c`` (``NEURON_CLASSES``) summed over
    members, and the number of members of network class ``c`` (``NETWORK_CLASSES``). The name
    ``"other"`` is in both tuples; its count is the other neurons plus the other networks.

    Args:
        a, w, widths, teacher_w, activation: as :func:`classify_students`.
        exact_tol, approx_tol: the tolerances as fixed.

    Returns:
        ``{variant: {class: count}}``, classes in ``NEURON_CLASSES`` then ``NETWORK_CLASSES`` order.

    Example:
        >>> import numpy as np
        >>> from toyscope import theory
        >>> teacher = theory.orthonormal_teacher(2, 3)
        >>> copies = np.asarray(teacher.w)[None]
        >>> counts = theory.tolerance_sensitivity(np.ones((1, 2)), copies, [2], teacher.w, exact_tol=1e-5,
        ...                                       approx_tol=0.1)
        >>> counts["as fixed"]["exact-copy"], counts["as fixed"]["C-A optimal"]
        (2, 1)
    """
    sensitivity = {}
    for variant in TOLERANCE_VARIANTS:
        exact, approx = scaled_tolerances(exact_tol, approx_tol, variant)
        counts = dict.fromkeys([*NEURON_CLASSES, *NETWORK_CLASSES], 0)
        for student in classify_students(a, w, widths, teacher_w, activation=activation, exact_tol=exact,
                                         approx_tol=approx):
            for kind, count in class_counts(student.neurons).items():
                counts[kind] += count
            counts[student.network] += 1
        sensitivity[variant] = counts
    return sensitivity


def merge_tolerance_sensitivity(parts: Sequence[Mapping[str, Mapping[str, int]]]) -> dict[str, dict[str, int]]:
    """Sum the counts of several :func:`tolerance_sensitivity` results (e.g. one per group of widths).

    ``merged[v][c] = sum_p parts[p][v][c]`` over the variants of :data:`TOLERANCE_VARIANTS` and the
    classes of the first part.

    Raises:
        ValueError: no parts.

    Example:
        >>> merge_tolerance_sensitivity([{v: {"other": 1} for v in TOLERANCE_VARIANTS}] * 2)["as fixed"]
        {'other': 2}
    """
    if not parts:
        raise ValueError("need at least one tolerance sensitivity to merge")
    return {variant: {name: sum(part[variant][name] for part in parts) for name in parts[0][variant]}
            for variant in TOLERANCE_VARIANTS}
