"""Activation functions by name, against their formulas."""

import math

import jax.numpy as jnp
import numpy as np
import pytest
from scipy import special

from toyscope import nets

X = np.linspace(-4, 4, 41, dtype=np.float32)

FORMULAS = {
    "linear": lambda x: x,
    "sigmoid": lambda x: 1 / (1 + np.exp(-x)),
    "tanh": np.tanh,
    "relu": lambda x: np.maximum(x, 0),
    "softplus": lambda x: np.log1p(np.exp(x)),
    "silu": lambda x: x / (1 + np.exp(-x)),
    "gelu": lambda x: x * 0.5 * (1 + special.erf(x / math.sqrt(2))),
    "gelu_tanh": lambda x: 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3))),
    "erf": lambda x: special.erf(x / math.sqrt(2)),
}


@pytest.mark.parametrize("name", sorted(FORMULAS))
def test_activation_matches_formula(name):
    np.testing.assert_allclose(nets.activation(name)(jnp.asarray(X)), FORMULAS[name](X.astype(np.float64)),
                               rtol=1e-5, atol=1e-6)


def test_unknown_activation_names_choices():
    with pytest.raises(ValueError, match="valid: linear"):
        nets.activation("swish")
