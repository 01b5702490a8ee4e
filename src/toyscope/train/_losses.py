r"""Losses for one network on one batch: ``loss(prediction, target) -> scalar``.

All are means over the batch (and over output units for MSE), as in PyTorch's defaults.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import optax


def mse_loss(prediction, target):
    r"""Mean squared error :math:`\frac{1}{B d}\sum_{b,i}(\hat y_{bi} - y_{bi})^2`.

    Args:
        prediction, target: ``(batch, d_out)`` (or any equal shapes).
    """
    return jnp.mean((prediction - target) ** 2)


def bce_with_logits_loss(logits, target):
    r"""Binary cross-entropy on logits, :math:`-\mathrm{mean}[y\log\sigma(z) + (1-y)\log(1-\sigma(z))]`.

    Computed stably as :math:`\mathrm{mean}[\mathrm{softplus}(z) - y z]`.

    Args:
        logits: ``(batch, d_out)``; target: the same shape, values in [0, 1].
    """
    return jnp.mean(jax.nn.softplus(logits) - target * logits)


def softmax_cross_entropy_loss(logits, target):
    r"""Softmax cross-entropy :math:`-\frac1B\sum_b \sum_c y_{bc}\log\mathrm{softmax}(z_b)_c`.

    Args:
        logits: ``(batch, n_classes)``.
        target: integer labels ``(batch,)`` or class probabilities ``(batch, n_classes)``.
    """
    if target.ndim == logits.ndim - 1:
        return jnp.mean(optax.softmax_cross_entropy_with_integer_labels(logits, target))
    return jnp.mean(optax.softmax_cross_entropy(logits, target))


LOSSES = {
    "mse": mse_loss,
    "bce": bce_with_logits_loss,
    "softmax_ce": softmax_cross_entropy_loss,
}


def loss_function(name: str):
    """The loss called ``name``: one of ``mse``, ``bce`` (with logits), ``softmax_ce``."""
    try:
        return LOSSES[name]
    except KeyError:
        raise ValueError(f"unknown loss {name!r}; valid: {', '.join(LOSSES)}") from None
