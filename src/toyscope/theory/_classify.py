r"""Classify trained student neurons as copies or averages of teacher neurons, and whole networks.

For neuron :math:`(a_i, w_i)` (erf: first flipped to :math:`a_i \ge 0`, since
:math:`-\sigma(-z) = \sigma(z)`), with teacher coefficients :math:`c_j = w_i\cdot v_j`:

* **exact copy**: :math:`\max(|w_i - v_j|_\infty, |a_i - 1|) \le` ``exact_tol`` for the best :math:`j`;
* **exact average** (erf only): with :math:`S = \{j: c_j \ge \tfrac12 \max_j c_j\}`, :math:`|S| = \ell \ge 2`,
  :math:`|w_i - r^*(\ell) u_S|_\infty \le` ``exact_tol`` and :math:`|a_i - a^*(\ell)| \le` ``exact_tol`` :math:`\cdot a^*(\ell)`,
  where :math:`(r^*, a^*)` is the optimal one-neuron fit (:func:`one_neuron_fit`) and
  :math:`u_S = \sum_{j\in S} v_j/\sqrt\ell`;
* **approximate copy**: :math:`\cos(w_i, v_j) \ge 1 -` ``approx_tol`` for the best :math:`j`;
* **approximate average**: :math:`\ell \ge 2` and :math:`\cos(w_i, u_S) \ge 1 -` ``approx_tol``;
* otherwise **other**.

Networks: **C-A optimal** (:math:`n-1` exact copies of distinct teachers and one exact average
of the other :math:`k-n+1`; for :math:`n = k` all exact copies), **copy-average** (every neuron an
exact copy or average, disjoint teacher sets, not C-A optimal), **perturbed C-A** (the C-A
optimal pattern with approximate copies/average allowed: :math:`n-1` copies of distinct teachers
and one average of exactly the others; how ReLU students look), **P-n-C** (every neuron an exact
or approximate copy of :math:`n` distinct teachers, at least one not exact, :math:`n < k`),
**other**. Paper: ``teacher-student-copy-average.txt`` (four neuron types; Fig. 2 classes).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._copy_average import one_neuron_fit

NEURON_CLASSES = ("exact-copy", "exact-average", "approx-copy", "approx-average", "other")
NETWORK_CLASSES = ("C-A optimal", "copy-average", "perturbed C-A", "P-n-C", "other")
DEFAULT_EXACT_TOL = 1e-5
DEFAULT_APPROX_TOL = 0.1
AVERAGE_MEMBER_FRACTION = 0.5


class NeuronLabel(NamedTuple):
    """One neuron's class, the teacher indices it copies/averages, and its best cosines."""

    label: str
    teachers: tuple[int, ...]
    copy_cosine: float
    average_cosine: float


def classify_neurons(a, w, teacher_w, *, activation: str = "erf", exact_tol: float = DEFAULT_EXACT_TOL,
                     approx_tol: float = DEFAULT_APPROX_TOL) -> list[NeuronLabel]:
    """Label every student neuron (see module docstring).

    Args:
        a: ``(n,)`` output weights; w: ``(n, d)`` input weights; teacher_w: ``(k, d)`` orthonormal rows.
        activation: ``"erf"`` (sign flip and exact averages allowed) or ``"relu"``.
        exact_tol, approx_tol: tolerances (see module docstring).

    Returns:
        list of ``n`` :class:`NeuronLabel`.

    Raises:
        ValueError: non-positive tolerances or mismatched shapes.
    """
    a, w, v = np.asarray(a, float), np.asarray(w, float), np.asarray(teacher_w, float)
    if exact_tol <= 0 or approx_tol <= 0:
        raise ValueError(f"exact_tol and approx_tol must be > 0, got {exact_tol}, {approx_tol}")
    if w.ndim != 2 or v.ndim != 2 or w.shape[1] != v.shape[1] or a.shape != (w.shape[0],):
        raise ValueError(f"need a (n,), w (n, d), teacher_w (k, d); got {a.shape}, {w.shape}, {v.shape}")
    labels = []
    for a_i, w_i in zip(a, w):
        if activation == "erf" and a_i < 0:
            a_i, w_i = -a_i, -w_i
        norm = np.linalg.norm(w_i)
        coefficients = v @ w_i
        best = int(np.argmax(coefficients))
        copy_cosine = float(coefficients[best] / norm) if norm > 0 else 0.0
        members = np.flatnonzero(coefficients >= AVERAGE_MEMBER_FRACTION * coefficients[best]) if norm > 0 else np.array([best])
        direction = v[members].sum(axis=0) / np.sqrt(members.size)
        average_cosine = float(direction @ w_i / norm) if norm > 0 else 0.0
        if max(np.max(np.abs(w_i - v[best])), abs(a_i - 1.0)) <= exact_tol:
            labels.append(NeuronLabel("exact-copy", (best,), copy_cosine, average_cosine))
            continue
        if activation == "erf" and members.size >= 2:
            fit = one_neuron_fit(members.size)
            if (np.max(np.abs(w_i - fit.r * direction)) <= exact_tol and abs(a_i - fit.a) <= exact_tol * fit.a):
                labels.append(NeuronLabel("exact-average", tuple(int(j) for j in members), copy_cosine, average_cosine))
                continue
        if copy_cosine >= 1 - approx_tol:
            labels.append(NeuronLabel("approx-copy", (best,), copy_cosine, average_cosine))
        elif members.size >= 2 and average_cosine >= 1 - approx_tol:
            labels.append(NeuronLabel("approx-average", tuple(int(j) for j in members), copy_cosine, average_cosine))
        else:
            labels.append(NeuronLabel("other", (), copy_cosine, average_cosine))
    return labels


def classify_network(labels: list[NeuronLabel], k: int) -> str:
    """Class of a whole student from its neuron labels: one of ``NETWORK_CLASSES``.

    Raises:
        ValueError: ``k`` smaller than 1.
    """
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    n = len(labels)
    kinds = [label.label for label in labels]
    copied = [label.teachers[0] for label in labels if label.label == "exact-copy"]
    exact = all(kind in ("exact-copy", "exact-average") for kind in kinds)
    if exact:
        sets = [set(label.teachers) for label in labels]
        disjoint = sum(len(s) for s in sets) == len(set().union(*sets))
        averages = [label for label in labels if label.label == "exact-average"]
        if disjoint and len(copied) == n and n == k:
            return "C-A optimal"
        if (disjoint and len(copied) == n - 1 and len(averages) == 1
                and set(averages[0].teachers) == set(range(k)) - set(copied)):
            return "C-A optimal"
        if disjoint:
            return "copy-average"
    copies = [label.teachers[0] for label in labels if label.label in ("exact-copy", "approx-copy")]
    averages = [set(label.teachers) for label in labels if label.label in ("exact-average", "approx-average")]
    if (len(copies) == n - 1 and len(set(copies)) == n - 1 and len(averages) == 1
            and averages[0] == set(range(k)) - set(copies)):
        return "perturbed C-A"
    if n < k and len(copies) == n and len(set(copies)) == n and len(copied) < n:
        return "P-n-C"
    return "other"


def class_counts(labels: list[NeuronLabel]) -> dict[str, int]:
    """Number of neurons in each of ``NEURON_CLASSES``."""
    kinds = [label.label for label in labels]
    return {name: kinds.count(name) for name in NEURON_CLASSES}
