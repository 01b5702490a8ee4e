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












def test_relu_loss_hessian_is_finite_at_exact_copies_and_matches_finite_differences():
    """At a student equal to its teacher (every neuron exactly parallel to one teacher vector) the
    ReLU loss is C^2 in the weights; its autodiff Hessian is finite and equals central differences
    of the gradient (error O(step): the loss has a |theta|^3 term)."""
    k = 3
    teacher = theory.orthonormal_teacher(k, k + 1, key=jax.random.key(1), dtype=jnp.float64)

    def loss(x):
        return theory.population_loss(theory.TwoLayerStudent(x[:k], x[k:].reshape(k, -1)), teacher, "relu")

    x = jnp.concatenate([teacher.a, teacher.w.ravel()])
    hessian = np.asarray(jax.jit(jax.hessian(loss))(x))
    step, eye = 1e-6, jnp.eye(x.size)
    grads = np.asarray(jax.jit(jax.vmap(jax.grad(loss)))(jnp.concatenate([x + step * eye, x - step * eye])))
    finite = (grads[:x.size] - grads[x.size:]) / (2 * step)
    assert np.all(np.isfinite(hessian))
    np.testing.assert_allclose(hessian, finite, atol=2e-6)
