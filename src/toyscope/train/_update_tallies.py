r"""Per-sample SGD that tallies every parameter's |update| by the group of the example that caused
it, and *forks*: copies of trained networks continued on different data subsets.

Tallies (update attribution): with one example per step, the update of step t,
:math:`\Delta\theta_t = -\eta\nabla_\theta L(\theta_t; x_t)`, is caused by example :math:`x_t`
alone, so for every parameter :math:`i` and group :math:`g`

.. math:: T_{g,i} = \sum_{t \ge t_0,\ g(x_t) = g} |\Delta\theta_{t,i}|.

The tallies are accumulated by the engine's per-step observer inside the compiled loop.

Reference: "update-attribution-mnist" (``../shared/papers/update-attribution-mnist.txt``),
Methods: tallies over the second half of phase 1, then four forks.
"""

from __future__ import annotations

import dataclasses
import math

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from ._engine import TrainResult, train


def group_tally_observer(start_step: int = 0) -> Callable:
    """An engine observer adding :math:`|\\Delta\\theta|` to the tally of the step's group.

    ``aux`` is a params-shaped pytree with a leading group axis G on every leaf (one network;
    the engine adds E). The example's group is ``batch["group"][0]`` (online mode). Steps
    before ``start_step`` are not tallied.
    """
    start_step = int(start_step)

    def observer(aux, delta, batch, step):
        group = batch["group"][0]
        scale = (step >= start_step).astype(jax.tree_util.tree_leaves(delta)[0].dtype)
        return jax.tree_util.tree_map(lambda tally, d: tally.at[group].add(scale * jnp.abs(d)), aux, delta)

    return observer


def _with_noop_example(data: dict):
    """``data`` plus one all-zero example at index N and a ``step_weight`` leaf (1, ..., 1, 0)."""
    n_examples = jax.tree_util.tree_leaves(data)[0].shape[0]
    padded = jax.tree_util.tree_map(lambda a: jnp.concatenate([jnp.asarray(a), jnp.zeros_like(jnp.asarray(a)[:1])]), data)
    padded["step_weight"] = jnp.concatenate([jnp.ones((n_examples,), jnp.float32), jnp.zeros((1,), jnp.float32)])
    return padded, n_examples


def _weighted(loss_fn: Callable) -> Callable:
    """The loss times the example's ``step_weight``: exactly zero gradient on the no-op example."""
    return lambda p, batch: batch["step_weight"][0] * loss_fn(p, batch)


def _padded_length(length: int, chunk: int | None) -> tuple[int, int]:
    """``(padded length, chunk)``: a whole number of equal chunks, so one shape is compiled."""
    chunk = int(chunk) if chunk else max(1, math.ceil(length / 20))
    return math.ceil(length / chunk) * chunk, chunk


def online_sgd_with_tallies(
    loss_fn: Callable, params, data: dict, *, learning_rate: float, n_groups: int = 2,
    tally_from: int = 0, order=None, chunk_steps: int | None = None, checkpointer=None,
    progress: str | None = "online SGD",
) -> TrainResult:
    r"""Plain SGD, one example per step, with per-parameter |update| tallies per group.

    The run is padded to a whole number of chunks with no-op steps (an example whose loss is
    multiplied by 0: zero gradient, zero update, zero tally), so one chunk shape is compiled.

    Args:
        loss_fn: ``(params, batch) -> scalar`` for one network (batch of one example).
        params: ensemble params (leading E on every leaf).
        data: ``{"x": (N, ...), "y": ..., "group": (N,) int in [0, n_groups)}`` plus any arrays.
        learning_rate: :math:`\eta > 0`.
        n_groups: G, number of tallies per parameter.
        tally_from: first step that is tallied (e.g. ``n_steps // 2`` for the second half).
        order: example per step ``(n_steps,)`` (default: every example once, in order).
        chunk_steps: steps per compiled chunk (default about 1/20 of the run).
        checkpointer, progress: see :func:`toyscope.train.train`.

    Returns:
        A :class:`TrainResult` (``steps`` and ``loss`` cut to the ``n_steps`` real steps) whose
        ``aux`` holds the tallies: params-shaped leaves ``(E, G, ...)``;
        ``aux[l]["weight"][e, g]`` is :math:`T_g` of that weight matrix.

    Raises:
        ValueError: non-positive learning rate, a group label outside ``[0, n_groups)``, or an
            order that is not 1-D.
    """
    if not learning_rate > 0:
        raise ValueError(f"learning_rate must be > 0, got {learning_rate}")
    groups = np.asarray(data["group"])
    if groups.size and (groups.min() < 0 or groups.max() >= n_groups):
        raise ValueError(f"data['group'] must lie in [0, {n_groups}), got [{groups.min()}, {groups.max()}]")
    order = np.arange(len(groups)) if order is None else np.asarray(order, dtype=np.int64)
    if order.ndim != 1 or order.size == 0:
        raise ValueError(f"order must be a non-empty 1-D array of example indices, got shape {order.shape}")
    padded_data, n_examples = _with_noop_example(data)
    if order.min() < 0 or order.max() >= n_examples:
        raise ValueError(f"order indices must lie in [0, {n_examples}), got [{order.min()}, {order.max()}]")
    n_steps = order.size
    length, chunk = _padded_length(n_steps, chunk_steps)
    padded_order = np.concatenate([order, np.full(length - n_steps, n_examples, np.int64)])
    aux = jax.tree_util.tree_map(lambda p: jnp.zeros((p.shape[0], n_groups, *p.shape[1:]), p.dtype), params)
    result = train(_weighted(loss_fn), params, padded_data, optimizer=optax.sgd(learning_rate), n_steps=length,
                   mode="online", order=padded_order, observer=group_tally_observer(tally_from), aux=aux,
                   chunk_steps=chunk, checkpointer=checkpointer, progress=progress)
    return dataclasses.replace(result, steps=result.steps[:n_steps], loss=result.loss[:n_steps],
                               metrics={k: v[:n_steps] for k, v in result.metrics.items()})


class ForkResult(NamedTuple):
    """What :func:`train_forks` returns (numpy; K forks, E networks).

    Attributes:
        params: final params, leaves ``(K, E, ...)``.
        losses: ``(K, E, L)`` per-step losses (L >= longest subset; NaN on padding steps).
        snapshot_steps: ``(S,)`` steps of the snapshots (empty without ``snapshot_every``).
        snapshots: params with leaves ``(S, K, E, ...)``, or ``None``.
    """

    params: Any
    losses: np.ndarray
    snapshot_steps: np.ndarray
    snapshots: Any


def train_forks(
    loss_fn: Callable, params, data: dict, subsets: Sequence[np.ndarray], *, learning_rate: float,
    snapshot_every: int | None = None, checkpointer=None, progress: str | None = "forks",
) -> ForkResult:
    r"""Continue every network on each of K data subsets with plain per-sample SGD.

    All K x E runs train in one compiled ensemble. Shorter subsets are padded with steps on a
    dummy example whose loss is multiplied by 0: its gradient is exactly 0, so plain SGD leaves
    the parameters unchanged on those steps (this is why the optimiser is fixed to SGD).

    Args:
        loss_fn: ``(params, batch) -> scalar`` for one network.
        params: ensemble params (leading E).
        data: ``{"x": (N, ...), "y": ..., ...}``, leading example axis N on every leaf.
        subsets: K index arrays into ``data``, each the examples of one fork in training order.
        learning_rate: :math:`\eta > 0`.
        snapshot_every: also keep the params every this many steps (and at the end). The run is
            padded with no-op steps to a whole number of chunks, so the last snapshot may lie
            past the longest subset (with the same params).
        checkpointer, progress: see :func:`toyscope.train.train`.

    Returns:
        A :class:`ForkResult`.

    Raises:
        ValueError: no subsets, an empty subset, or an index outside ``[0, N)``.
    """
    if not learning_rate > 0:
        raise ValueError(f"learning_rate must be > 0, got {learning_rate}")
    n_examples = jax.tree_util.tree_leaves(data)[0].shape[0]
    subsets = [np.asarray(s, dtype=np.int64) for s in subsets]
    if not subsets or any(s.size == 0 for s in subsets):
        raise ValueError(f"subsets must be a non-empty list of non-empty index arrays, got sizes {[s.size for s in subsets]}")
    if any(s.min() < 0 or s.max() >= n_examples for s in subsets):
        raise ValueError(f"subset indices must lie in [0, {n_examples})")
    n_forks, n_members = len(subsets), jax.tree_util.tree_leaves(params)[0].shape[0]
    length, chunk = _padded_length(max(s.size for s in subsets), snapshot_every)
    padded, dummy = _with_noop_example(data)  # dummy: index of the zero-weight example
    order = np.full((n_forks, length), dummy, dtype=np.int64)
    for k, subset in enumerate(subsets):
        order[k, :subset.size] = subset
    tiled = jax.tree_util.tree_map(lambda p: jnp.broadcast_to(p[None], (n_forks, *p.shape)).reshape(-1, *p.shape[1:]), params)
    member_order = np.repeat(order, n_members, axis=0)  # member k*E + e follows subset k
    result = train(_weighted(loss_fn), tiled, padded, optimizer=optax.sgd(learning_rate), n_steps=length,
                   mode="online", order=member_order, snapshot_every=snapshot_every, chunk_steps=chunk, checkpointer=checkpointer,
                   progress=progress)
    fork_params = jax.tree_util.tree_map(lambda p: np.asarray(p).reshape(n_forks, n_members, *p.shape[1:]), result.params)
    losses = np.asarray(result.loss).T.reshape(n_forks, n_members, length).copy()
    losses[np.repeat(order[:, None, :] == dummy, n_members, axis=1)] = np.nan
    snapshots = None
    if result.snapshots is not None:
        snapshots = jax.tree_util.tree_map(
            lambda p: np.asarray(p).reshape(p.shape[0], n_forks, n_members, *p.shape[2:]), result.snapshots)
    return ForkResult(fork_params, losses, np.asarray(result.snapshot_steps), snapshots)
