"""Classes of padded student ensembles and the tolerance sensitivity, on hand-built configurations."""

from __future__ import annotations

import jax
import numpy as np
import pytest

from toyscope import theory


@pytest.fixture(autouse=True)
def x64():
    with jax.enable_x64(True):
        yield


def _padded(students, n_max, d):
    """Stack students of different widths into zero-padded (E, n_max) and (E, n_max, d) arrays."""
    a, w = np.zeros((len(students), n_max)), np.zeros((len(students), n_max, d))
    for e, (a_e, w_e) in enumerate(students):
        a[e, :len(a_e)], w[e, :len(a_e)] = a_e, w_e
    return a, w


@pytest.fixture
def ensemble():
    """k = 5 teacher; members: C-A optimal (1+1+3), two approximate copies (P-n-C), one copy whose
    error 5e-5 is approximate (P-n-C) but exact with exact_tol x10 (copy-average), and a random
    neuron pair (other) mostly orthogonal to the teacher."""
    teacher = theory.orthonormal_teacher(5, 6, key=jax.random.key(1))
    v = np.asarray(teacher.w)
    ca = theory.copy_average_configuration([1, 1, 3], teacher)
    rng = np.random.default_rng(0)
    near = (np.ones(2), v[:2] + 0.02 * rng.normal(size=(2, 6)))
    nearly_exact = (np.ones(1), v[:1] + 5e-5)
    u = np.linalg.svd(v)[2][-1]  # unit vector orthogonal to every teacher vector
    random = (np.array([0.7, -1.3]), np.stack([u + 0.2 * v[0], u - 0.3 * v[3]]))  # cosines <= 0.3: other
    members = [(np.asarray(ca.a), np.asarray(ca.w)), near, nearly_exact, random]
    a, w = _padded(members, 3, 6)
    return teacher, a, w, [3, 2, 1, 2]


def test_classify_students_gives_the_hand_built_classes_and_ignores_padding(ensemble):
    teacher, a, w, widths = ensemble
    w_noise = w.copy()
    w_noise[1, 2] = 7.0  # padding of member 1: must not matter
    classes = theory.classify_students(a, w_noise, widths, teacher.w, exact_tol=1e-5, approx_tol=0.1)
    assert [c.network for c in classes] == ["C-A optimal", "P-n-C", "P-n-C", "other"]
    assert [l.label for l in classes[0].neurons] == ["exact-copy", "exact-copy", "exact-average"]
    assert [l.label for l in classes[2].neurons] == ["approx-copy"]
    assert len(classes[1].neurons) == 2 and len(classes[3].neurons) == 2
    with pytest.raises(ValueError, match="one width per member"):
        theory.classify_students(a, w, widths[:3], teacher.w, exact_tol=1e-5, approx_tol=0.1)


def test_tolerance_sensitivity_equals_a_plain_loop_and_moves_the_borderline_copy(ensemble):
    teacher, a, w, widths = ensemble
    got = theory.tolerance_sensitivity(a, w, widths, teacher.w, exact_tol=1e-5, approx_tol=0.1)
    factors = {"as fixed": (1, 1), "exact_tol x10": (10, 1), "exact_tol /10": (0.1, 1), "approx_tol x10": (1, 10),
               "approx_tol /10": (1, 0.1)}
    assert list(got) == list(factors)
    for variant, (fe, fa) in factors.items():
        expected = {name: 0 for name in (*theory.NEURON_CLASSES, *theory.NETWORK_CLASSES)}
        for e, n in enumerate(widths):
            labels = theory.classify_neurons(a[e, :n], w[e, :n], np.asarray(teacher.w), exact_tol=1e-5 * fe,
                                             approx_tol=0.1 * fa)
            for label in labels:
                expected[label.label] += 1
            expected[theory.classify_network(labels, 5)] += 1
        assert got[variant] == expected, variant
    # the 5e-5 copy is exact only when exact_tol is 1e-4
    assert got["as fixed"]["exact-copy"] == 2 and got["exact_tol x10"]["exact-copy"] == 3
    assert (got["as fixed"]["P-n-C"], got["exact_tol x10"]["P-n-C"], got["exact_tol x10"]["copy-average"]) == (2, 1, 1)
    # "other" is both a neuron and a network class: its count holds both (2 random neurons + 1 random net)
    assert got["as fixed"]["other"] == 3


def test_scaled_tolerances_and_merge():
    assert theory.scaled_tolerances(1e-5, 0.1, "as fixed") == (1e-5, 0.1)
    assert theory.scaled_tolerances(1e-5, 0.1, "exact_tol x10") == (1e-5 * 10, 0.1)
    assert theory.scaled_tolerances(1e-5, 0.1, "approx_tol /10") == (1e-5, 0.1 / 10)
    with pytest.raises(ValueError, match="variant must be one of"):
        theory.scaled_tolerances(1e-5, 0.1, "x2")
    parts = [{v: {"other": i, "P-n-C": 2 * i} for v in theory.TOLERANCE_VARIANTS} for i in (1, 2, 4)]
    merged = theory.merge_tolerance_sensitivity(parts)
    assert all(merged[v] == {"other": 7, "P-n-C": 14} for v in theory.TOLERANCE_VARIANTS)
    with pytest.raises(ValueError, match="at least one"):
        theory.merge_tolerance_sensitivity([])
