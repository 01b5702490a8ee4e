"""ReLU copy-average closed forms against direct minimisation, Monte Carlo, finite differences and enumeration."""

from __future__ import annotations

import itertools

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


def _relu(z):
    return np.maximum(z, 0.0)


def test_one_neuron_fit_is_the_direct_minimum_over_a_and_w():
    """BFGS over (a, w) in R^(1+d) from random starts on the Gram-matrix loss finds the closed form:
    the loss, the product a|w|, and the mean teacher direction (the homogeneity leaves |w| free)."""
    l = 3
    d = l + 1
    teacher = theory.orthonormal_teacher(l, d, key=jax.random.key(l), dtype=jnp.float64)

    def loss(x):
        return theory.population_loss(theory.TwoLayerStudent(x[:1], x[1:][None]), teacher, "relu")

    value, grad = jax.jit(loss), jax.jit(jax.grad(loss))
    rng = np.random.default_rng(0)
    found = min((optimize.minimize(lambda x: float(value(jnp.asarray(x))), rng.normal(size=d + 1),
                                   jac=lambda x: np.asarray(grad(jnp.asarray(x))), method="BFGS",
                                   options={"gtol": 1e-11}) for _ in range(4)), key=lambda res: res.fun)
    fit = theory.relu_one_neuron_fit(l)
    a, w = found.x[0], found.x[1:]
    mean_direction = np.asarray(teacher.w).sum(0) / np.sqrt(l)
    assert found.fun == pytest.approx(fit.loss, abs=1e-10)
    assert a * np.linalg.norm(w) == pytest.approx(fit.scale, rel=1e-6)
    assert w @ mean_direction / np.linalg.norm(w) == pytest.approx(1.0, abs=1e-8)
    # the representative: |w| = 1/sqrt(l), a = scale sqrt(l) >= l; the paper's a >= l and |w| <= 1/sqrt(l)
    assert fit.r == pytest.approx(1 / np.sqrt(l)) and fit.a >= l and fit.scale > np.sqrt(l)
    one = theory.one_neuron_fit(l, "relu")
    assert (one.r, one.a, one.loss) == (fit.r, fit.a, fit.loss)


def test_partition_loss_matches_monte_carlo_and_the_gram_loss():
    """E_x[(f - f*)^2] of the configuration 1+2+3 (k = 6) by sampling: the cross terms of the
    residual means are there (the plain sum of L(l_i) is 5 standard errors off and more)."""
    partition, k = [1, 2, 3], 6
    teacher = theory.orthonormal_teacher(k, k + 1, dtype=jnp.float64)
    student = theory.copy_average_configuration(partition, teacher, "relu")
    closed = theory.copy_average_loss(partition, "relu")
    gram = float(theory.population_loss(student, teacher, "relu"))
    assert gram == pytest.approx(closed, abs=1e-12)
    x = np.random.default_rng(1).standard_normal((400_000, k + 1))
    samples = (_relu(x @ np.asarray(student.w).T) @ np.asarray(student.a) - _relu(x @ np.asarray(teacher.w).T).sum(1)) ** 2
    se = samples.std() / np.sqrt(samples.size)
    assert abs(samples.mean() - closed) < 5 * se
    plain_sum = sum(theory.relu_one_neuron_fit(p).loss for p in partition)
    assert abs(samples.mean() - plain_sum) > 5 * se
    # the C-A optimal partition has no cross term: its copies' residuals vanish
    assert theory.optimal_copy_average_loss(4, 6, "relu") == pytest.approx(theory.copy_average_loss([1, 1, 1, 3], "relu"),
                                                                           abs=1e-15)


@pytest.mark.parametrize("partition", [[1, 1, 3], [2, 3]])
def test_gradient_closed_form_matches_finite_differences(partition):
    k = sum(partition)
    teacher = theory.orthonormal_teacher(k, k + 1, key=jax.random.key(2), dtype=jnp.float64)
    student = theory.copy_average_configuration(partition, teacher, "relu")
    closed = theory.relu_copy_average_gradient(partition, teacher)
    flat0 = np.concatenate([np.asarray(student.a), np.asarray(student.w).ravel()])
    n = len(partition)

    def loss(flat):
        return float(theory.population_loss(theory.TwoLayerStudent(jnp.asarray(flat[:n]), jnp.asarray(flat[n:]).reshape(n, -1)),
                                            teacher, "relu"))

    step = 1e-6
    finite = np.array([(loss(flat0 + step * e) - loss(flat0 - step * e)) / (2 * step) for e in np.eye(flat0.size)])
    np.testing.assert_allclose(np.concatenate([closed.a, np.ravel(closed.w)]), finite, atol=1e-7)
    ell = max(partition)
    fit = theory.relu_one_neuron_fit(ell)
    if partition.count(1) == n - 1:  # C-A optimal: the copies carry |beta* - l| / pi, the average nothing
        assert np.max(np.abs(finite)) == pytest.approx(abs(fit.scale - ell) / np.pi, rel=1e-6)
        assert np.max(np.abs(closed.a[-1])) == 0 and np.max(np.abs(closed.w[-1])) == 0
    assert np.max(np.abs(finite)) > 0.05


def test_losses_are_convex_and_the_best_partition_is_balanced():
    """ReLU L(l) is discretely convex (erf: concave), so exhaustive search over every composition
    picks balanced buckets for ReLU and one average for erf."""
    relu = theory.one_neuron_losses(12, "relu")
    assert np.all(theory.second_differences(relu) > 0.1)
    assert not theory.discrete_concavity(relu).concave and theory.discrete_concavity(theory.one_neuron_losses(12)).concave
    k = 7
    for n in range(1, k + 1):
        compositions = [np.diff([0, *cuts, k]) for cuts in itertools.combinations(range(1, k), n - 1)]
        for activation in ("erf", "relu"):
            best, loss = theory.best_copy_average_partition(k, n, activation)
            brute = min(theory.copy_average_loss(c, activation) for c in compositions)
            assert loss == pytest.approx(brute, abs=1e-13) and sum(best) == k and len(best) == n
        assert theory.best_copy_average_partition(k, n)[0] == (k - n + 1, *[1] * (n - 1))
        assert max(theory.best_copy_average_partition(k, n, "relu")[0]) - min(
            theory.best_copy_average_partition(k, n, "relu")[0]) <= 1


def test_bad_input():
    with pytest.raises(ValueError, match="l must be an integer >= 1"):
        theory.relu_one_neuron_fit(0)
    with pytest.raises(ValueError, match="activation must be one of"):
        theory.one_neuron_fit(2, "tanh")
    with pytest.raises(ValueError, match="partition must sum to k = 3"):
        theory.relu_copy_average_gradient([1, 1], theory.orthonormal_teacher(3, 4))
    with pytest.raises(ValueError, match="partitions into n = 40 parts"):
        theory.best_copy_average_partition(120, 40, "relu")
