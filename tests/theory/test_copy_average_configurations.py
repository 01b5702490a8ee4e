"""Copy-average configurations: optimal one-neuron fits, criticality, concavity of L(l)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from toyscope import theory


@pytest.fixture(autouse=True)
def x64():
    with jax.enable_x64(True):
        yield


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
