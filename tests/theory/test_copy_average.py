"""Copy-average theory against an independent 2-D minimisation, Monte Carlo and enumeration of partitions."""

from __future__ import annotations

import itertools
import math

import jax
import numpy as np
import pytest
from scipy import optimize
from scipy.special import erf

from toyscope import theory
import jax.numpy as jnp


@pytest.fixture(autouse=True)
def x64():
    with jax.enable_x64(True):
        yield


def _closed_loss(r, a, l):
    """L_l(r, a) = a^2 s(r) - 2 a l t_l(r) + l/3 (module docstring), in plain numpy."""
    s = 2 / np.pi * np.arcsin(r**2 / (1 + r**2))
    t = 2 / np.pi * np.arcsin((r / np.sqrt(l)) / np.sqrt(2 * (1 + r**2)))
    return a**2 * s - 2 * a * l * t + l / 3


@pytest.mark.parametrize("l", [2, 3, 7])
def test_one_neuron_fit_is_the_2d_minimum_of_the_closed_form(l):
    found = optimize.minimize(lambda p: _closed_loss(np.exp(p[0]), p[1], l), x0=[0.0, 1.0], method="Nelder-Mead",
                              options={"xatol": 1e-10, "fatol": 1e-14, "maxiter": 5000})
    fit = theory.one_neuron_fit(l)
    assert fit.l == l and isinstance(fit.r, float)
    assert fit.r == pytest.approx(np.exp(found.x[0]), rel=1e-4)
    assert fit.a == pytest.approx(found.x[1], rel=1e-4)
    assert fit.loss == pytest.approx(found.fun, abs=1e-10)
    assert fit.loss == pytest.approx(_closed_loss(fit.r, fit.a, l), abs=1e-14)
    assert 0 < fit.loss < l / 3  # better than the zero neuron


def test_one_neuron_fit_matches_monte_carlo():
    """E_x[(a sigma(r u.x) - sum_j sigma(v_j.x))^2] with u the normalised sum of 3 orthonormal v_j."""
    l = 3
    fit = theory.one_neuron_fit(l)
    x = np.random.default_rng(0).standard_normal((1_000_000, l))
    sigma = lambda z: erf(z / np.sqrt(2))
    samples = (fit.a * sigma(fit.r * x.sum(1) / np.sqrt(l)) - sigma(x).sum(1)) ** 2
    se = samples.std() / np.sqrt(samples.size)
    assert abs(samples.mean() - fit.loss) < 5 * se


def test_one_neuron_losses_and_validation():
    losses = theory.one_neuron_losses(6)
    assert losses.shape == (6,) and losses.dtype == np.float64 and losses[0] == pytest.approx(0.0, abs=1e-14)
    np.testing.assert_array_equal(losses, [theory.one_neuron_fit(l).loss for l in range(1, 7)])
    for bad in (0, -2, 2.5):
        with pytest.raises(ValueError, match="l must be an integer >= 1") as info:
            theory.one_neuron_fit(bad)
        assert "\n" not in str(info.value)
    with pytest.raises(ValueError, match="k must be >= 1"):
        theory.one_neuron_losses(0)


def test_copy_average_loss_sums_the_parts_in_any_order():
    l = theory.one_neuron_losses(5)
    assert theory.copy_average_loss([2, 3]) == pytest.approx(l[1] + l[2])
    assert theory.copy_average_loss([3, 2]) == theory.copy_average_loss([2, 3])
    assert theory.copy_average_loss([1, 1, 1]) == pytest.approx(0.0, abs=1e-14)
    for bad in ([], [2, 0]):
        with pytest.raises(ValueError, match="partition"):
            theory.copy_average_loss(bad)


def _partitions(k, n):
    """All ways to write k as an ordered sum of n positive parts, by brute force."""
    return [p for p in itertools.product(range(1, k + 1), repeat=n) if sum(p) == k]


@pytest.mark.parametrize("k", [4, 7])
def test_optimal_copy_average_loss_is_the_best_partition(k):
    """By concavity of L(l), n - 1 copies and one average beat every other partition of k into n parts."""
    for n in range(1, k + 1):
        best = min(theory.copy_average_loss(p) for p in _partitions(k, n))
        assert theory.optimal_copy_average_loss(n, k) == pytest.approx(best, abs=1e-14)
        assert theory.optimal_copy_average_loss(n, k) == theory.one_neuron_fit(k - n + 1).loss
    for n in (0, k + 1):
        with pytest.raises(ValueError, match="1 <= n <= k"):
            theory.optimal_copy_average_loss(n, k)


def test_configuration_rows_against_a_loop_and_its_loss():
    k, d = 6, 8
    teacher = theory.orthonormal_teacher(k, d, key=jax.random.key(2))
    partition = [2, 1, 2]  # covers 5 of the 6 teacher neurons
    student = theory.copy_average_configuration(partition, teacher)
    v = np.asarray(teacher.w)
    assert student.w.shape == (3, d) and student.w.dtype == teacher.w.dtype
    start = 0
    for i, part in enumerate(partition):
        fit = theory.one_neuron_fit(part)
        direction = sum(v[j] for j in range(start, start + part)) / math.sqrt(part)
        np.testing.assert_allclose(np.asarray(student.w[i]), fit.r * direction, rtol=1e-12, atol=1e-15)
        assert float(student.a[i]) == pytest.approx(fit.a, rel=1e-12)
        start += part
    # the neuron left out is unfit: it adds E[sigma(v.x)^2] = 1/3 (odd erf: no cross terms)
    expected = theory.copy_average_loss(partition) + 1 / 3
    assert float(theory.population_loss(student, teacher)) == pytest.approx(expected, abs=1e-12)


def test_configuration_rejects_bad_partitions():
    teacher = theory.orthonormal_teacher(3, 3)
    for bad in ([], [0, 1], [2, 2]):
        with pytest.raises(ValueError, match="partition must have parts >= 1 summing to <= k = 3") as info:
            theory.copy_average_configuration(bad, teacher)
        assert "\n" not in str(info.value)


def test_second_differences_against_a_loop():
    values = [0.0, 1.0, 4.0, 9.0, 16.0]  # squares: second difference 2
    np.testing.assert_array_equal(theory.second_differences(values), [2.0, 2.0, 2.0])
    rng = np.random.default_rng(3).normal(size=7)
    expected = [rng[i + 1] - 2 * rng[i] + rng[i - 1] for i in range(1, 6)]
    np.testing.assert_allclose(theory.second_differences(rng), expected)
    assert theory.second_differences([1.0, 2.0]).shape == (0,)


@pytest.mark.parametrize("l", [1, 2, 5, 12])
def test_one_neuron_fit_is_the_minimum_of_the_full_loss(l):
    teacher = theory.orthonormal_teacher(l, l + 1)
    fit = theory.one_neuron_fit(l)
    direction = np.asarray(teacher.w).sum(axis=0) / np.sqrt(l)
    student = theory.TwoLayerStudent(jnp.array([fit.a]), jnp.asarray(fit.r * direction)[None, :])
    # the 2-parameter profile agrees with the general Gram-matrix loss
    assert np.isclose(float(theory.population_loss(student, teacher)), fit.loss, atol=1e-13)
    grad = theory.population_loss_grad(student, teacher)
    assert max(np.abs(np.asarray(grad.a)).max(), np.abs(np.asarray(grad.w)).max()) < 1e-9
    # and it is a minimum: random small perturbations of all d+1 parameters increase the loss
    rng = np.random.default_rng(l)
    for _ in range(5):
        bumped = theory.TwoLayerStudent(student.a + 1e-3 * rng.normal(size=1), student.w + 1e-3 * rng.normal(size=student.w.shape))
        assert float(theory.population_loss(bumped, teacher)) > fit.loss


def test_copy_is_exact_and_losses_are_concave():
    assert np.allclose(theory.one_neuron_fit(1)[1:], (1.0, 1.0, 0.0), atol=1e-12)
    losses = theory.one_neuron_losses(30)
    assert np.all(np.diff(losses) > 0)
    assert np.all(theory.second_differences(losses) < 0)


@pytest.mark.parametrize("partition", [[1, 1, 4], [2, 3, 1], [3, 3], [6]])
def test_copy_average_configurations_are_critical_points(partition):
    k = sum(partition)
    teacher = theory.orthonormal_teacher(k, k + 2, key=jax.random.key(1))
    student = theory.copy_average_configuration(partition, teacher)
    assert np.isclose(float(theory.population_loss(student, teacher)), theory.copy_average_loss(partition), atol=1e-12)
    grad = theory.population_loss_grad(student, teacher)
    assert max(np.abs(np.asarray(grad.a)).max(), np.abs(np.asarray(grad.w)).max()) < 1e-9


def test_non_copy_average_point_is_not_critical_and_bad_input():
    teacher = theory.orthonormal_teacher(4, 5)
    student = theory.copy_average_configuration([2, 2], teacher)
    shifted = student._replace(a=student.a * 1.01)
    grad = theory.population_loss_grad(shifted, teacher)
    assert np.abs(np.asarray(grad.a)).max() > 1e-4
    with pytest.raises(ValueError, match="partition"):
        theory.copy_average_configuration([3, 3], teacher)
    with pytest.raises(ValueError, match="l must be"):
        theory.one_neuron_fit(0)
