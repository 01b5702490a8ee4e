"""Neuron and network classes on constructed configurations."""

from __future__ import annotations

import jax
import numpy as np
import pytest

from toyscope import theory


@pytest.fixture(autouse=True)
def x64():
    with jax.enable_x64(True):
        yield


def _labels(student, teacher, **kw):
    return theory.classify_neurons(np.asarray(student.a), np.asarray(student.w), np.asarray(teacher.w), **kw)


def test_ca_optimal_copy_average_and_sign_flip():
    teacher = theory.orthonormal_teacher(6, 7, key=jax.random.key(0))
    ca = theory.copy_average_configuration([1, 1, 4], teacher)
    labels = _labels(ca, teacher)
    assert [l.label for l in labels] == ["exact-copy", "exact-copy", "exact-average"]
    assert labels[2].teachers == (2, 3, 4, 5)
    assert theory.classify_network(labels, 6) == "C-A optimal"
    flipped = ca._replace(a=-ca.a, w=-ca.w)
    assert theory.classify_network(_labels(flipped, teacher), 6) == "C-A optimal"
    other = theory.copy_average_configuration([2, 4], teacher)
    assert theory.classify_network(_labels(other, teacher), 6) == "copy-average"


def test_perturbed_copies_and_tolerances():
    teacher = theory.orthonormal_teacher(5, 6)
    rng = np.random.default_rng(0)
    copies = theory.copy_average_configuration([1, 1, 1], teacher)
    perturbed = copies._replace(w=copies.w + 0.02 * rng.normal(size=copies.w.shape), a=copies.a * 1.05)
    labels = _labels(perturbed, teacher)
    assert [l.label for l in labels] == ["approx-copy"] * 3
    assert theory.classify_network(labels, 5) == "P-n-C"
    # a tolerance wide enough makes the same neurons exact copies
    assert theory.classify_network(_labels(perturbed, teacher, exact_tol=0.2), 5) == "copy-average"
    assert [l.label for l in _labels(perturbed, teacher, exact_tol=0.2)] == ["exact-copy"] * 3
    random = copies._replace(w=rng.normal(size=copies.w.shape))
    assert theory.classify_network(_labels(random, teacher), 5) == "other"
    with pytest.raises(ValueError, match="exact_tol"):
        _labels(copies, teacher, exact_tol=0.0)
