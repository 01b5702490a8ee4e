"""Elementwise activation functions, by name."""

from __future__ import annotations

import math
from collections.abc import Callable

import jax
import jax.numpy as jnp


def erf_activation(x):
    r"""The teacher-student literature's error-function unit, :math:`\mathrm{erf}(x/\sqrt{2})`.

    With this normalisation :math:`\sigma(z)` for :math:`z\sim N(0,1)` has the closed-form
    correlations :math:`E[\sigma(w\cdot x)\sigma(v\cdot x)] = \frac{2}{\pi}\arcsin\frac{w\cdot v}
    {\sqrt{(1+|w|^2)(1+|v|^2)}}` used in ``toyscope.theory``.
    """
    return jax.scipy.special.erf(x / math.sqrt(2.0))


ACTIVATIONS: dict[str, Callable] = {
    "linear": lambda x: x,
    "sigmoid": jax.nn.sigmoid,
    "tanh": jnp.tanh,
    "relu": jax.nn.relu,
    "softplus": jax.nn.softplus,  # log(1 + e^x)
    "silu": jax.nn.silu,  # x * sigmoid(x)
    "gelu": lambda x: jax.nn.gelu(x, approximate=False),  # x * Phi(x), exact (PyTorch's default)
    "gelu_tanh": lambda x: jax.nn.gelu(x, approximate=True),  # GPT-2's tanh approximation
    "erf": erf_activation,  # erf(x / sqrt(2))
}


def activation(name: str) -> Callable:
    """Return the activation function called ``name``.

    Valid names: linear, sigmoid, tanh, relu, softplus (``log(1+e^x)``), silu (``x sigmoid(x)``),
    gelu (exact, ``x Phi(x)``), gelu_tanh (``x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))``),
    erf (``erf(x/sqrt 2)``).

    Raises:
        ValueError: for an unknown name, listing the valid ones.
    """
    try:
        return ACTIVATIONS[name]
    except KeyError:
        raise ValueError(
            f"unknown activation {name!r}; valid: {', '.join(ACTIVATIONS)}"
        ) from None
