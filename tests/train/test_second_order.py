"""Newton refinement reaches the known minimum of Rosenbrock's function; the dense Hessian and its
smallest eigenvalue equal the analytic Hessian and ``numpy.linalg.eigvalsh``."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from toyscope import train


@pytest.fixture(autouse=True)
def x64():
    with jax.enable_x64(True):
        yield


def _rosenbrock(p, _):
    return (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2


def test_refinement_reaches_rosenbrocks_minimum_from_the_classic_start():
    objective = train.FlatObjective(_rosenbrock, jnp.zeros(2))
    result = train.refine_stationary(objective, np.array([-1.2, 1.0]), gtol=1e-10)
    np.testing.assert_allclose(result.x, [1.0, 1.0], atol=1e-8)
    assert result.loss < 1e-16 and result.grad_max < 1e-10 and result.iterations > 0
    assert result.method.startswith("newton")


def test_refinement_on_free_coordinates_keeps_the_others_and_finds_the_conditional_minimum():
    # L = sum_i cosh(x_i - c_i) + x_0 x_3: with x_3 = 2 fixed, x_0 solves sinh(x_0 - c_0) = -2
    c = np.array([0.5, -1.0, 2.0, 0.0])

    def loss(x, _):
        return jnp.sum(jnp.cosh(x - jnp.asarray(c))) + x[0] * x[3]

    objective = train.FlatObjective(loss, jnp.zeros(4))
    result = train.refine_stationary(objective, np.array([0.0, 0.0, 0.0, 2.0]), free=np.array([0, 1, 2]))
    np.testing.assert_allclose(result.x, [c[0] + np.arcsinh(-2.0), c[1], c[2], 2.0], atol=1e-10)


def _quartic(x, a):
    return 0.5 * x @ a @ x + 0.25 * jnp.sum(x**4)


def test_dense_hessian_and_smallest_eigenvalue_equal_the_analytic_hessian():
    rng = np.random.default_rng(0)
    m = rng.normal(size=(5, 5))
    a = (m + m.T) / 2  # indefinite
    x = rng.normal(size=5)
    hessian = a + np.diag(3 * x**2)  # of 0.5 x'Ax + sum x^4 / 4
    objective = train.FlatObjective(_quartic, jnp.zeros(5))
    np.testing.assert_allclose(objective.dense_hessian(x, jnp.asarray(a), np.arange(5)), hessian, rtol=1e-12, atol=1e-12)
    for free in (np.arange(5), np.array([0, 2, 3])):
        sub = hessian[np.ix_(free, free)]
        expected = np.linalg.eigvalsh(sub)[0]
        for dense_limit, method in ((2000, "eigh"), (1, "lanczos")):
            eigen = train.smallest_hessian_eigen(objective, x, jnp.asarray(a), free=free, dense_limit=dense_limit)
            assert eigen.method == method and eigen.value == pytest.approx(expected, rel=1e-8, abs=1e-10)
            assert np.linalg.norm(eigen.vector) == pytest.approx(1.0)
            outside = np.setdiff1d(np.arange(5), free)
            assert np.all(eigen.vector[outside] == 0)
            np.testing.assert_allclose(sub @ eigen.vector[free], expected * eigen.vector[free], atol=1e-7)


def test_an_eigendecomposition_that_lapack_cannot_converge_falls_back_to_mrrr(monkeypatch):
    # numpy's eigh (syevd) is made to fail as it did on a ReLU student's finite Hessian; the smallest
    # eigenpair must still be numpy's eigvalsh value (from scipy's syevr), for eigh's callers alike
    rng = np.random.default_rng(2)
    m = rng.normal(size=(6, 6))
    a = (m + m.T) / 2
    x = rng.normal(size=6)
    expected = np.linalg.eigvalsh(a + np.diag(3 * x**2))[0]

    def failing(_):
        raise np.linalg.LinAlgError("Eigenvalues did not converge")

    monkeypatch.setattr(np.linalg, "eigh", failing)
    objective = train.FlatObjective(_quartic, jnp.zeros(6))
    eigen = train.smallest_hessian_eigen(objective, x, jnp.asarray(a))
    assert eigen.method == "eigh" and eigen.value == pytest.approx(expected, rel=1e-10)
    refined = train.refine_stationary(objective, x, jnp.asarray(a), gtol=1e-10)  # indefinite: |H| Newton steps
    assert refined.grad_max < 1e-10


def test_bad_gtol_raises_one_line():
    objective = train.FlatObjective(_rosenbrock, jnp.zeros(2))
    with pytest.raises(ValueError, match=r"^gtol must be > 0, got 0.0$"):
        train.refine_stationary(objective, np.zeros(2), gtol=0.0)
