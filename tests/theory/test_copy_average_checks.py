"""Critical points of constructed copy-average configurations, random partitions, concavity."""

from __future__ import annotations

import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from toyscope import theory, train


@pytest.fixture(autouse=True)
def x64():
    with jax.enable_x64(True):
        yield


def _objective(teacher, n_max):
    d = teacher.w.shape[1]
    return train.FlatObjective(lambda s, m: theory.population_loss(s, teacher, "erf", m),
                               theory.TwoLayerStudent(jnp.zeros(n_max), jnp.zeros((n_max, d))))


def test_constructed_configurations_are_critical_with_the_partition_loss():
    k, n_max = 4, 5
    teacher = theory.orthonormal_teacher(k, k + 1, key=jax.random.key(3), dtype=jnp.float64)
    checks = theory.copy_average_critical_points(_objective(teacher, n_max), teacher, [1, 2, 3, 4, 5], n_max=n_max,
                                                 seed=0)
    assert [(c.n, c.kind) for c in checks] == [(n, kind) for n in range(1, 5) for kind in ("C-A optimal", "random")]
    for c in checks:
        parts = [int(p) for p in c.partition.split("+")]
        assert len(parts) == c.n and sum(parts) == k
        assert c.grad_max < 1e-9
        # the kernel-based loss of the padded student equals sum_i L(l_i) from the one-neuron profile
        np.testing.assert_allclose(c.loss, sum(theory.one_neuron_fit(p).loss for p in parts), atol=1e-12)
        assert (c.min_eigenvalue is None) == (c.kind == "random")
    full = [c for c in checks if c.n == k and c.kind == "C-A optimal"][0]
    assert full.partition == "1+1+1+1" and abs(full.loss) < 1e-12 and full.min_eigenvalue > -1e-10


def test_a_moved_configuration_is_not_critical():
    """The gradient measure is not trivially small: off the construction it is large."""
    k = 3
    teacher = theory.orthonormal_teacher(k, k + 1, dtype=jnp.float64)
    objective = _objective(teacher, 2)
    student = theory.copy_average_configuration([1, 2], teacher)
    moved = student._replace(a=student.a * 1.1)
    grad = objective.grad(jnp.asarray(objective.ravel(moved)), jnp.ones(2))
    assert np.max(np.abs(np.asarray(grad))) > 1e-3


def test_random_partition_draws_every_composition():
    rng = np.random.default_rng(0)
    seen = {tuple(theory.random_partition(5, 3, rng)) for _ in range(300)}
    compositions = {p for p in itertools.product(range(1, 4), repeat=3) if sum(p) == 5}
    assert seen == compositions
    assert theory.random_partition(4, 1, rng) == [4] and theory.random_partition(4, 4, rng) == [1, 1, 1, 1]
    with pytest.raises(ValueError, match="1 <= n <= k"):
        theory.random_partition(3, 4, rng)


def test_discrete_concavity_against_hand_sequences():
    assert theory.discrete_concavity([0.0, 1.0, 1.5, 1.75]) == (True, -0.25)
    convex = theory.discrete_concavity([0.0, 1.0, 3.0])
    assert convex.concave is False and convex.max_second_difference == pytest.approx(1.0)
    assert theory.discrete_concavity([1.0, 2.0]) == (True, None)
    assert theory.discrete_concavity(theory.one_neuron_losses(8)).concave


def test_one_neuron_fits_have_the_closed_form():
    assert theory.one_neuron_fit_error(12) < 1e-9
    with pytest.raises(ValueError, match="k must be"):
        theory.one_neuron_fit_error(0)
