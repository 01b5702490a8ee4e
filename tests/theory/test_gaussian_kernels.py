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












def test_relu_kernel_hessian_is_finite_and_zero_at_parallel_vectors():
    """K(w, v) = |w||v| h(cos)/(2 pi) with h = pi - pi theta^2/2 + theta^3/3 + ... in the angle: at
    w = c v its Hessian in w is exactly 0 (radial: linear; angular: -c/2 / c^2 + (1/c)(1/2) = 0),
    though h''(u) diverges in the cosine u; autodiff must give that 0, not inf * 0 = NaN (the
    ReLU loss's Hessian at exact copies), in the cross block and in the self kernel."""
    v = jnp.array([0.6, 0.8, 0.0])

    def cross(w):
        return theory.relu_gaussian_cross_kernel((w @ v)[None, None], (w @ w)[None], (v @ v)[None])[0, 0]

    def self_kernel(w):
        stacked = jnp.stack([w, v])
        return theory.relu_gaussian_kernel(stacked @ stacked.T)[0, 1]

    w, step, eye = jnp.array([0.7, 0.5, 0.2]), 1e-6, jnp.eye(3)

    @jax.jit
    def hessians(w):
        parallel = [jax.hessian(kernel)(scale * v) for kernel in (cross, self_kernel) for scale in (1.0, 2.0)]
        finite = (jax.vmap(jax.grad(cross))(w + step * eye) - jax.vmap(jax.grad(cross))(w - step * eye)) / (2 * step)
        return jnp.stack(parallel), jax.hessian(cross)(w), finite

    parallel, off, finite = (np.asarray(y) for y in hessians(w))
    assert np.all(np.isfinite(parallel))
    np.testing.assert_allclose(parallel, 0.0, atol=1e-7)
    # off parallel the kernel's Hessian is untouched: it matches central differences of the gradient
    np.testing.assert_allclose(off, finite, atol=1e-7)
