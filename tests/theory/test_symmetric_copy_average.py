"""The symmetric critical point continuing the C-A optimal configuration, against finite differences
and a full-space minimisation."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import optimize

from toyscope import theory


@pytest.fixture(autouse=True)
def x64():
    with jax.enable_x64(True):
        yield


@pytest.fixture(scope="module")
def relu_point():
    with jax.enable_x64(True):
        teacher = theory.orthonormal_teacher(5, 6, key=jax.random.key(2), dtype=jnp.float64)
        return teacher, theory.symmetric_copy_average_point(2, teacher, "relu")


def _flat_loss(teacher, n, activation, n_pad=3):
    """The closed-form loss of a flat student, padded to ``n_pad`` masked neurons (the shape
    tests/theory/test_relu_copy_average.py compiles too)."""
    d = teacher.w.shape[1]
    mask = jnp.asarray(np.arange(n_pad) < n, jnp.float64)

    def loss(x):
        a, w = np.zeros(n_pad), np.zeros((n_pad, d))
        a[:n], w[:n] = x[:n], np.reshape(x[n:], (n, d))
        return float(theory.population_loss(theory.TwoLayerStudent(jnp.asarray(a), jnp.asarray(w)), teacher, activation,
                                            mask))
    return loss


def test_relu_point_is_critical_by_finite_differences_and_a_local_minimum(relu_point):
    teacher, point = relu_point
    loss = _flat_loss(teacher, 2, "relu")
    x = np.concatenate([np.asarray(point.student.a), np.asarray(point.student.w).ravel()])
    step = 1e-6
    finite = np.array([(loss(x + step * e) - loss(x - step * e)) / (2 * step) for e in np.eye(x.size)])
    assert np.max(np.abs(finite)) < 1e-8 and point.grad_max < 1e-10
    assert point.loss == pytest.approx(loss(x), abs=1e-14)
    # below the (non-critical) C-A optimal configuration it started from, whose loss is L(4)
    assert point.start_loss == pytest.approx(theory.relu_one_neuron_fit(4).loss, abs=1e-13)
    assert point.loss < point.start_loss - 0.05
    # a full-space minimisation from a perturbation of it comes back to its loss (a minimum, not a saddle)
    rng = np.random.default_rng(0)
    found = optimize.minimize(loss, x + 1e-3 * rng.standard_normal(x.size), method="BFGS", options={"gtol": 1e-9})
    assert found.fun == pytest.approx(point.loss, abs=1e-9) and point.min_eigenvalue > -1e-8
    # n - 1 perturbed copies and one perturbed average
    assert theory.classify_student(point.student.a, point.student.w, teacher.w, activation="relu", exact_tol=1e-5,
                                   approx_tol=0.1).network == "perturbed C-A"


def test_bad_input(relu_point):
    teacher, _ = relu_point
    with pytest.raises(ValueError, match="need 1 <= n <= k = 5"):
        theory.symmetric_copy_average_point(6, teacher)
    with pytest.raises(ValueError, match="activation must be one of"):
        theory.symmetric_copy_average_point(2, teacher, "tanh")
