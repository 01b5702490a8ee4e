"""Training an MLP (one network or an ensemble) with a named loss and optimiser."""

from __future__ import annotations

import jax

from .. import nets
from ._engine import TrainResult, train
from ._losses import loss_function
from ._optim import make_optimizer


def mlp_loss(spec: nets.MLP, loss: str = "mse"):
    """``(params, batch) -> scalar`` for one MLP on ``batch = {"x": (B, d_in), "y": ...}``."""
    loss_of = loss_function(loss)

    def loss_fn(params, batch):
        return loss_of(nets.apply(spec, params, batch["x"]), batch["y"])

    return loss_fn


def fit(
    spec: nets.MLP,
    params,
    data: dict,
    *,
    loss: str = "mse",
    optimizer: str = "sgd",
    learning_rate: float = 0.1,
    n_steps: int = 1000,
    **train_kwargs,
) -> TrainResult:
    """Train an MLP or an ensemble of MLPs (detected from ``params``) on ``data``.

    Args:
        spec: the network.
        params: from :func:`toyscope.nets.init`, with or without ensemble axis.
        data: ``{"x": (N, d_in), "y": (N, d_out) or (N,)}`` plus any metadata arrays.
        loss: ``mse``, ``bce`` (on logits) or ``softmax_ce``.
        optimizer, learning_rate: see :func:`make_optimizer`.
        n_steps: training steps.
        **train_kwargs: passed to :func:`train` (mode, batch_size, key, metrics, ...).

    Returns:
        A :class:`TrainResult`, without the ensemble axis for a single network.
    """
    single = not nets.is_ensemble(params)
    if single:
        params = jax.tree_util.tree_map(lambda x: x[None], params)
    result = train(mlp_loss(spec, loss), params, data, optimizer=make_optimizer(optimizer, learning_rate),
                   n_steps=n_steps, **train_kwargs)
    return result.squeeze() if single else result
