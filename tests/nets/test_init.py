"""Dense-layer initialisers against their formulas: standard deviations, bounds, orthogonality."""

import math

import jax
import numpy as np
import pytest

from toyscope import nets


@pytest.mark.parametrize("scheme, expected_std", [
    ("he_normal", math.sqrt(2 / 400)),
    ("glorot_normal", math.sqrt(2 / (400 + 300))),
    ("glorot_uniform", math.sqrt(6 / 700) / math.sqrt(3)),
    ("torch_default", 1 / math.sqrt(400) / math.sqrt(3)),
])
def test_initialiser_std(scheme, expected_std):
    layer = nets.dense_init(jax.random.key(0), 400, 300, scheme=scheme)
    w = np.asarray(layer["weight"])
    assert w.shape == (400, 300)
    # 120,000 draws: the sample std is within about 0.5% of the truth
    assert abs(w.std() / expected_std - 1) < 0.02
    assert abs(w.mean()) < 0.02 * expected_std * 10


def test_uniform_initialisers_respect_bounds():
    w = np.asarray(nets.dense_init(jax.random.key(1), 50, 20, scheme="glorot_uniform")["weight"])
    assert np.abs(w).max() <= math.sqrt(6 / 70)
    layer = nets.dense_init(jax.random.key(1), 50, 20, scheme="torch_default")
    assert np.abs(np.asarray(layer["bias"])).max() <= 1 / math.sqrt(50)
    assert np.asarray(layer["bias"]).std() > 0  # torch draws biases too


def test_normal_scale_and_bias_same():
    layer = nets.dense_init(jax.random.key(2), 300, 300, scheme="normal", scale=0.3, bias_scheme="same")
    assert abs(np.asarray(layer["weight"]).std() / 0.3 - 1) < 0.02
    assert np.asarray(layer["bias"]).std() > 0.15


def test_orthogonal_is_orthogonal_with_gain():
    w = np.asarray(nets.dense_init(jax.random.key(3), 16, 16, scheme="orthogonal", gain=2.0)["weight"])
    np.testing.assert_allclose(w.T @ w, 4.0 * np.eye(16), atol=1e-4)


def test_zeros_and_bad_scheme():
    assert not np.asarray(nets.dense_init(jax.random.key(0), 3, 4, scheme="zeros")["weight"]).any()
    with pytest.raises(ValueError, match="valid: he_normal"):
        nets.dense_init(jax.random.key(0), 3, 4, scheme="xavier")
    with pytest.raises(ValueError, match="scale"):
        nets.dense_init(jax.random.key(0), 3, 4, scheme="normal")
