"""Hessian-vector products and Lanczos eigenvalues against the dense Hessian of a small net."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from toyscope import analysis, nets, tasks


def _small_net():
    spec = nets.mlp([2, 6, 1], "tanh")
    params = nets.init(spec, key=jax.random.key(3))
    theta = nets.flatten_params(params)
    return analysis.flat_mlp_loss(spec, tasks.xor_task(), "bce"), jnp.asarray(theta)


def test_hvp_equals_the_dense_hessian_times_v():
    loss, theta = _small_net()
    dense = np.asarray(jax.hessian(loss)(theta), float)
    hvp = analysis.hessian_vector_product(loss, theta)
    v = np.random.default_rng(0).normal(size=theta.shape[0]).astype(np.float32)
    np.testing.assert_allclose(np.asarray(hvp(jnp.asarray(v))), dense @ v, rtol=1e-4, atol=1e-5)


def test_lanczos_ends_match_the_dense_spectrum():
    loss, theta = _small_net()
    dense = analysis.hessian_spectrum(loss, theta, method="dense")
    assert dense.eigenvalues.shape == (theta.shape[0],) and dense.method == "dense"
    independent = np.linalg.eigvalsh(np.asarray(jax.hessian(loss)(theta), float))
    np.testing.assert_allclose(dense.eigenvalues, independent, atol=1e-5)
    lanczos = analysis.hessian_spectrum(loss, theta, method="lanczos", k=3)
    np.testing.assert_allclose(lanczos.eigenvalues[:3], independent[:3], atol=1e-4)
    np.testing.assert_allclose(lanczos.eigenvalues[3:], independent[-3:], atol=1e-4)
    assert lanczos.gradient_norm == pytest.approx(float(jnp.linalg.norm(jax.grad(loss)(theta))), rel=1e-5)
    assert not lanczos.stationary  # a random init is not a stationary point


def test_a_dense_spectrum_above_the_limit_is_refused_with_the_limit():
    loss, theta = _small_net()
    with pytest.raises(ValueError, match="limited to 10 parameters, the model has 25"):
        analysis.hessian_spectrum(loss, theta, method="dense", dense_limit=10)
    assert analysis.hessian_spectrum(loss, theta, dense_limit=10, k=2).method == "lanczos"
