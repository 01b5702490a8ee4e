"""Closed-form Gaussian kernels and the population loss against Monte Carlo (independent truth)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.special import erf

from toyscope import theory


@pytest.fixture(autouse=True)
def x64():
    with jax.enable_x64(True):
        yield


ACT = {"erf": lambda z: erf(z / np.sqrt(2)), "relu": lambda z: np.maximum(z, 0.0)}


def _gaussian(d, n_samples=1_000_000, seed=0):
    return np.random.default_rng(seed).standard_normal((n_samples, d))


@pytest.mark.parametrize("activation", ["erf", "relu"])
def test_pair_expectation_matches_monte_carlo(activation):
    rng = np.random.default_rng(1)
    w, v = rng.normal(size=3), rng.normal(size=3)
    x = _gaussian(3)
    samples = ACT[activation](x @ w) * ACT[activation](x @ v)
    se = samples.std() / np.sqrt(samples.size)
    closed = float(theory.pair_expectation(jnp.asarray(w), jnp.asarray(v), activation))
    assert abs(closed - samples.mean()) < 5 * se


@pytest.mark.parametrize("activation", ["erf", "relu"])
def test_population_loss_matches_monte_carlo(activation):
    rng = np.random.default_rng(2)
    n, k, d = 3, 4, 5
    teacher = theory.orthonormal_teacher(k, d, key=jax.random.key(3))
    student = theory.TwoLayerStudent(jnp.asarray(rng.normal(size=n)), jnp.asarray(rng.normal(size=(n, d)) * 0.7))
    x = _gaussian(d, seed=4)
    act = ACT[activation]
    f = act(x @ np.asarray(student.w).T) @ np.asarray(student.a)
    f_star = act(x @ np.asarray(teacher.w).T) @ np.asarray(teacher.a)
    samples = (f - f_star) ** 2
    se = samples.std() / np.sqrt(samples.size)
    closed = float(theory.population_loss(student, teacher, activation))
    assert abs(closed - samples.mean()) < 5 * se


@pytest.mark.parametrize("activation", ["erf", "relu"])
def test_gradient_matches_finite_differences(activation):
    rng = np.random.default_rng(5)
    teacher = theory.orthonormal_teacher(3, 4)
    student = theory.TwoLayerStudent(jnp.asarray(rng.normal(size=2)), jnp.asarray(rng.normal(size=(2, 4))))
    grad = theory.population_loss_grad(student, teacher, activation)
    h = 1e-6
    for field in ("a", "w"):
        base = np.asarray(getattr(student, field))
        numeric = np.zeros_like(base)
        for index in np.ndindex(base.shape):
            up, down = base.copy(), base.copy()
            up[index] += h
            down[index] -= h
            plus = theory.population_loss(student._replace(**{field: jnp.asarray(up)}), teacher, activation)
            minus = theory.population_loss(student._replace(**{field: jnp.asarray(down)}), teacher, activation)
            numeric[index] = (plus - minus) / (2 * h)
        np.testing.assert_allclose(np.asarray(getattr(grad, field)), numeric, rtol=1e-6, atol=1e-8)


def test_mask_removes_neurons_and_their_gradients():
    teacher = theory.orthonormal_teacher(3, 4)
    rng = np.random.default_rng(6)
    student = theory.TwoLayerStudent(jnp.asarray(rng.normal(size=4)), jnp.asarray(rng.normal(size=(4, 4))))
    mask = jnp.array([1.0, 1.0, 0.0, 0.0])
    small = theory.TwoLayerStudent(student.a[:2], student.w[:2])
    for activation in ("erf", "relu"):
        assert np.isclose(theory.population_loss(student, teacher, activation, mask),
                          theory.population_loss(small, teacher, activation))
        grad = theory.population_loss_grad(student, teacher, activation, mask)
        assert np.all(np.asarray(grad.a)[2:] == 0) and np.all(np.asarray(grad.w)[2:] == 0)
        assert np.all(np.isfinite(np.asarray(grad.w)))


def test_student_equal_to_teacher_has_zero_loss_and_bad_input_raises():
    teacher = theory.orthonormal_teacher(4, 6, key=jax.random.key(0))
    for activation in ("erf", "relu"):
        assert abs(float(theory.population_loss(teacher, teacher, activation))) < 1e-13
    with pytest.raises(ValueError, match="activation"):
        theory.population_loss(teacher, teacher, "tanh")
    with pytest.raises(ValueError, match="d must be >= k"):
        theory.orthonormal_teacher(5, 4)


@pytest.mark.parametrize("activation", ["erf", "relu"])
def test_block_loss_equals_one_gram_matrix_form(activation):
    """The loss by blocks equals c^T K(U U^T) c with U = [w; v], c = [a; -a*] (one Gram matrix)."""
    rng = np.random.default_rng(7)
    teacher = theory.orthonormal_teacher(5, 7, key=jax.random.key(1))
    student = theory.TwoLayerStudent(jnp.asarray(rng.normal(size=3)), jnp.asarray(rng.normal(size=(3, 7))))
    u = jnp.concatenate([student.w, teacher.w])
    c = jnp.concatenate([student.a, -teacher.a])
    whole = c @ theory.gaussian_kernel(u @ u.T, activation) @ c
    np.testing.assert_allclose(theory.population_loss(student, teacher, activation), whole, rtol=1e-12)
    cross = theory.gaussian_cross_kernel(student.w @ teacher.w.T, jnp.sum(student.w**2, 1), jnp.ones(5), activation)
    np.testing.assert_allclose(cross, theory.gaussian_kernel(u @ u.T, activation)[:3, 3:], rtol=1e-12, atol=1e-15)
