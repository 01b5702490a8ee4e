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










