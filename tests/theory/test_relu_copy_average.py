"""ReLU copy-average closed forms against direct minimisation, Monte Carlo, finite differences and enumeration.

Every loss here is the Gram-matrix closed form of one padded shape (k = 5 teachers in d = 6, three
student neurons, masked), so one compiled program serves the whole module."""

from __future__ import annotations

import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import optimize

from toyscope import theory

K, D, N_PAD = 5, 6, 3


@pytest.fixture(autouse=True)
def x64():
    with jax.enable_x64(True):
        yield


@pytest.fixture(scope="module")
def teacher():
    with jax.enable_x64(True):
        return theory.orthonormal_teacher(K, D, key=jax.random.key(2), dtype=jnp.float64)


def padded_loss(teacher, n):
    """The closed-form loss of a flat ``(a (n,), w (n, D))`` student, padded to N_PAD neurons."""
    mask = jnp.asarray(np.arange(N_PAD) < n, jnp.float64)

    def loss(flat):
        a = np.zeros(N_PAD)
        w = np.zeros((N_PAD, D))
        a[:n], w[:n] = flat[:n], np.reshape(flat[n:], (n, D))
        return float(theory.population_loss(theory.TwoLayerStudent(jnp.asarray(a), jnp.asarray(w)), teacher, "relu",
                                            mask))
    return loss


def _flat(student):
    return np.concatenate([np.asarray(student.a), np.asarray(student.w).ravel()])


def test_one_neuron_fit_is_the_direct_minimum_over_a_and_w(teacher):
    """BFGS over (a, w) in R^(1+d) from random starts finds the closed form for l = k = 5: the
    loss, the product a|w| and the mean teacher direction (the homogeneity leaves |w| free)."""
    loss = padded_loss(teacher, 1)
    rng = np.random.default_rng(0)
    found = min((optimize.minimize(loss, rng.normal(size=1 + D), method="BFGS", options={"gtol": 1e-9})
                 for _ in range(3)), key=lambda res: res.fun)
    fit = theory.relu_one_neuron_fit(K)
    a, w = found.x[0], found.x[1:]
    mean_direction = np.asarray(teacher.w).sum(0) / np.sqrt(K)
    assert found.fun == pytest.approx(fit.loss, abs=1e-9)
    assert a * np.linalg.norm(w) == pytest.approx(fit.scale, rel=1e-5)
    assert w @ mean_direction / np.linalg.norm(w) == pytest.approx(1.0, abs=1e-7)
    # the representative |w| = 1/sqrt(l), a = scale sqrt(l) >= l: the paper's a >= l, |w| <= 1/sqrt(l)
    assert fit.r == pytest.approx(1 / np.sqrt(K)) and fit.a >= K and fit.scale > np.sqrt(K)
    one = theory.one_neuron_fit(K, "relu")
    assert (one.r, one.a, one.loss) == (fit.r, fit.a, fit.loss)


def test_partition_loss_matches_monte_carlo_and_the_gram_loss(teacher):
    """E_x[(f - f*)^2] of the configuration 1+2+2 by sampling: the cross terms of the residual
    means are there (the plain sum of L(l_i) is more than 5 standard errors off)."""
    partition = [1, 2, 2]
    student = theory.copy_average_configuration(partition, teacher, "relu")
    closed = theory.copy_average_loss(partition, "relu")
    assert padded_loss(teacher, 3)(_flat(student)) == pytest.approx(closed, abs=1e-12)
    x = np.random.default_rng(1).standard_normal((400_000, D))
    relu = lambda z: np.maximum(z, 0.0)  # noqa: E731
    samples = (relu(x @ np.asarray(student.w).T) @ np.asarray(student.a) - relu(x @ np.asarray(teacher.w).T).sum(1)) ** 2
    se = samples.std() / np.sqrt(samples.size)
    assert abs(samples.mean() - closed) < 5 * se
    assert abs(samples.mean() - sum(theory.relu_one_neuron_fit(p).loss for p in partition)) > 5 * se
    # the C-A optimal partition has no cross term: its copies' residuals vanish
    assert theory.optimal_copy_average_loss(3, K, "relu") == pytest.approx(theory.copy_average_loss([1, 1, 3], "relu"),
                                                                           abs=1e-15)


@pytest.mark.parametrize("partition", [[1, 1, 3], [2, 3]])
def test_gradient_closed_form_matches_finite_differences(teacher, partition):
    n = len(partition)
    x = _flat(theory.copy_average_configuration(partition, teacher, "relu"))
    closed = theory.relu_copy_average_gradient(partition, teacher)
    loss, step = padded_loss(teacher, n), 1e-6
    finite = np.array([(loss(x + step * e) - loss(x - step * e)) / (2 * step) for e in np.eye(x.size)])
    np.testing.assert_allclose(_flat(closed), finite, atol=1e-7)
    fit = theory.relu_one_neuron_fit(max(partition))
    if partition.count(1) == n - 1:  # C-A optimal: the copies carry |beta* - l| / pi, the average nothing
        assert np.max(np.abs(finite)) == pytest.approx(abs(fit.scale - fit.l) / np.pi, rel=1e-6)
        assert float(closed.a[-1]) == 0 and np.max(np.abs(closed.w[-1])) == 0
    assert np.max(np.abs(finite)) > 0.05  # not a critical point


def test_losses_are_convex_and_the_best_partition_is_balanced():
    """ReLU L(l) is discretely convex (erf: concave), so exhaustive search over every composition
    picks balanced buckets for ReLU and one average for erf."""
    relu = theory.one_neuron_losses(12, "relu")
    assert np.all(theory.second_differences(relu) > 0.1) and not theory.discrete_concavity(relu).concave
    k = 7
    for n in range(1, k + 1):
        compositions = [np.diff([0, *cuts, k]) for cuts in itertools.combinations(range(1, k), n - 1)]
        for activation in ("erf", "relu"):
            best, loss = theory.best_copy_average_partition(k, n, activation)
            assert loss == pytest.approx(min(theory.copy_average_loss(c, activation) for c in compositions), abs=1e-13)
            assert sum(best) == k and len(best) == n
        assert theory.best_copy_average_partition(k, n)[0] == (k - n + 1, *[1] * (n - 1))
        assert np.ptp(theory.best_copy_average_partition(k, n, "relu")[0]) <= 1


def test_bad_input(teacher):
    with pytest.raises(ValueError, match="l must be an integer >= 1"):
        theory.relu_one_neuron_fit(0)
    with pytest.raises(ValueError, match="activation must be one of"):
        theory.one_neuron_fit(2, "tanh")
    with pytest.raises(ValueError, match="partition must sum to k = 5"):
        theory.relu_copy_average_gradient([1, 1], teacher)
    with pytest.raises(ValueError, match="partitions into n = 40 parts"):
        theory.best_copy_average_partition(120, 40, "relu")
