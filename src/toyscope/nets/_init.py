r"""Weight initialisers for dense layers.

Each scheme draws a ``(d_in, d_out)`` weight matrix (``y = x @ W + b``, the transpose of
PyTorch's ``nn.Linear.weight``) and, where asked, a ``(d_out,)`` bias:

=================  ===============================================================
``he_normal``      :math:`W_{ij}\sim N(0, 2/d_{in})` (Kaiming normal, fan-in, ReLU gain)
``glorot_normal``  :math:`W_{ij}\sim N(0, 2/(d_{in}+d_{out}))`
``glorot_uniform`` :math:`W_{ij}\sim U(\pm\sqrt{6/(d_{in}+d_{out})})`
``normal``         :math:`W_{ij}\sim N(0, \sigma_0^2)` with ``scale`` = :math:`\sigma_0`
``orthogonal``     a (semi-)orthogonal matrix times ``gain``
``zeros``          all zeros
``torch_default``  PyTorch ``nn.Linear``'s default: :math:`W_{ij}, b_j\sim U(\pm 1/\sqrt{d_{in}})`
=================  ===============================================================

Biases: ``bias_scheme="zeros"`` (default except for ``torch_default``) or ``"same"``, which draws
the bias from the weight's distribution for that layer (e.g. :math:`N(0, 2/d_{in})` for He).
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp

SCHEMES = ("he_normal", "glorot_normal", "glorot_uniform", "normal", "orthogonal", "zeros", "torch_default")
BIAS_SCHEMES = ("zeros", "same")


def check_init_scheme(scheme: str, scale: float | None, bias_scheme: str | None) -> None:
    """Raise a one-line ValueError for an unknown scheme, a missing or non-positive ``scale`` for
    ``normal``, or an unknown ``bias_scheme`` (shared by the initialisers of every MLP-like net)."""
    if scheme not in SCHEMES:
        raise ValueError(f"unknown init scheme {scheme!r}; valid: {', '.join(SCHEMES)}")
    if scheme == "normal" and (scale is None or not scale > 0):
        raise ValueError(f"init scheme 'normal' needs scale (sigma0) > 0, got {scale!r}")
    if bias_scheme is not None and bias_scheme not in BIAS_SCHEMES:
        raise ValueError(f"unknown bias scheme {bias_scheme!r}; valid: {', '.join(BIAS_SCHEMES)}")


def _draw(key, shape, scheme, d_in, d_out, scale, gain, dtype):
    if scheme == "he_normal":
        return math.sqrt(2.0 / d_in) * jax.random.normal(key, shape, dtype)
    if scheme == "glorot_normal":
        return math.sqrt(2.0 / (d_in + d_out)) * jax.random.normal(key, shape, dtype)
    if scheme == "glorot_uniform":
        limit = math.sqrt(6.0 / (d_in + d_out))
        return jax.random.uniform(key, shape, dtype, -limit, limit)
    if scheme == "normal":
        return scale * jax.random.normal(key, shape, dtype)
    if scheme == "torch_default":
        limit = 1.0 / math.sqrt(d_in)
        return jax.random.uniform(key, shape, dtype, -limit, limit)
    if scheme == "zeros":
        return jnp.zeros(shape, dtype)
    raise AssertionError(scheme)  # orthogonal is handled by the caller


def dense_init(
    key, d_in: int, d_out: int, *, scheme: str = "he_normal", scale: float | None = None,
    gain: float = 1.0, bias: bool = True, bias_scheme: str | None = None, dtype=jnp.float32,
) -> dict:
    """Initialise one dense layer.

    Args:
        key: a PRNG key.
        d_in, d_out: fan-in and fan-out.
        scheme: one of :data:`SCHEMES` (see the module docstring for the formulas).
        scale: :math:`\\sigma_0` for ``scheme="normal"``; ignored otherwise.
        gain: multiplies the orthogonal matrix for ``scheme="orthogonal"``.
        bias: whether the layer has a bias.
        bias_scheme: ``"zeros"`` or ``"same"``; ``None`` means ``"same"`` for ``torch_default``
            and ``"zeros"`` otherwise.

    Returns:
        ``{"weight": (d_in, d_out)}`` plus ``"bias": (d_out,)`` when ``bias``.
    """
    check_init_scheme(scheme, scale, bias_scheme)
    if bias_scheme is None:
        bias_scheme = "same" if scheme == "torch_default" else "zeros"
    key_w, key_b = jax.random.split(key)
    if scheme == "orthogonal":
        weight = jax.nn.initializers.orthogonal(scale=gain)(key_w, (d_in, d_out), dtype)
    else:
        weight = _draw(key_w, (d_in, d_out), scheme, d_in, d_out, scale, gain, dtype)
    layer = {"weight": weight}
    if bias:
        if bias_scheme == "zeros":
            layer["bias"] = jnp.zeros((d_out,), dtype)
        elif scheme == "orthogonal":
            layer["bias"] = gain / math.sqrt(d_in) * jax.random.normal(key_b, (d_out,), dtype)
        else:
            layer["bias"] = _draw(key_b, (d_out,), scheme, d_in, d_out, scale, gain, dtype)
    return layer
