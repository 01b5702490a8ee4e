"""Deprecated training entry points, kept for one release (each warns once per call site).

Every function returns exactly what it returned before; the replacement is named in its warning:
``fit`` -> :func:`train` with :func:`mlp_objective`; ``fit_small_ensemble`` and
``blocked_online_sgd`` -> :func:`train` (which dispatches to those fast paths itself);
``train_forks`` and ``blocked_forks`` -> :func:`fork`; ``online_sgd_with_tallies`` ->
:func:`train` with ``Online`` and :func:`group_tally_observer`; ``converge_ensemble`` ->
:func:`converge`; ``mlp_loss`` -> :func:`mlp_objective`.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from .. import nets
from ._converge import ConvergeRecord, converge_members
from ._engine import TrainResult
from ._objective import MLPObjective
from ._online_fast import blocked_forks_run, blocked_sgd
from ._options import Online, Optimizer, Record
from ._small import small_ensemble_descent
from ._train import fork, options_from_flat, padded_length, train_with_options
from ._update_tallies import group_tally_observer


def _deprecated(old: str, new: str) -> None:
    warnings.warn(f"toyscope.train.{old} is deprecated; use {new}", DeprecationWarning, stacklevel=3)


def mlp_loss(spec: nets.MLP, loss: str = "mse") -> MLPObjective:
    """Deprecated: :func:`mlp_objective` (the same callable ``(params, batch) -> scalar``)."""
    _deprecated("mlp_loss", "train.mlp_objective(spec, loss)")
    return MLPObjective(spec, loss)


def fit(spec: nets.MLP, params, data: dict, *, loss: str = "mse", optimizer: str = "sgd", learning_rate: float = 0.1,
        n_steps: int = 1000, **train_kwargs) -> TrainResult:
    """Deprecated: ``train(mlp_objective(spec, loss), params, data, optimizer=Optimizer(optimizer,
    learning_rate), n_steps=n_steps, ..., fast_path=False)`` (ensemble params; ``.squeeze()`` for one network)."""
    _deprecated("fit", "train.train(train.mlp_objective(spec, loss), ensemble_params, data, "
                       "optimizer=train.Optimizer(name, learning_rate), n_steps=..., batching=..., record=...)")
    single = not nets.is_ensemble(spec, params)
    if single:
        params = jax.tree_util.tree_map(lambda x: x[None], params)
    engine_options = {k: train_kwargs.pop(k) for k in ("observer", "aux", "checkpointer", "nan_policy", "progress")
                      if k in train_kwargs}
    batching, record, regularizer, hook = options_from_flat(**train_kwargs)
    result = train_with_options(MLPObjective(spec, loss), params, data, optimizer=Optimizer(optimizer, learning_rate),
                                n_steps=n_steps, batching=batching, record=record, regularizer=regularizer, hook=hook,
                                fast_path=False, **engine_options)
    return result.squeeze() if single else result


def fit_small_ensemble(spec: nets.MLP, params, x, y, *, loss: str = "bce", learning_rate: float = 1.0,
                       n_steps: int = 1000, record_every: int = 1, snapshot_every: int | None = None,
                       progress: str | None = "training") -> TrainResult:
    """Deprecated: :func:`train`, which runs this fast path itself for full-batch SGD of a large
    ensemble of tiny MLPs (see its docstring)."""
    _deprecated("fit_small_ensemble", "train.train(train.mlp_objective(spec, loss), params, {'x': x, 'y': y}, "
                                      "optimizer=train.Optimizer('sgd', learning_rate), n_steps=..., record=...)")
    return small_ensemble_descent(spec, params, x, y, loss=loss, learning_rate=learning_rate, n_steps=n_steps,
                                  record_every=record_every, snapshot_every=snapshot_every, progress=progress)


def blocked_online_sgd(spec: nets.MLP, params, data: dict, order, *, learning_rate: float, loss: str = "mse",
                       block_size: int = 128, n_groups: int | None = None, tally_from: int = 0,
                       snapshot_every: int | None = None):
    """Deprecated: :func:`train` with ``batching=Online(order, block_size)`` (and
    :func:`group_tally_observer` for tallies), which runs this fast path itself.

    Returns ``(params, tallies, snapshot_steps, snapshots)`` as before.
    """
    _deprecated("blocked_online_sgd", "train.train(train.mlp_objective(spec, loss), params, data, "
                                      "optimizer=train.Optimizer('sgd', lr), n_steps=len(order), batching=train.Online(order), "
                                      "observer=train.group_tally_observer(tally_from), aux=zeros)")
    return blocked_sgd(spec, params, data, order, learning_rate=learning_rate, loss=loss, block_size=block_size,
                       n_groups=n_groups, tally_from=tally_from, snapshot_every=snapshot_every)[:4]


class ForkResult(NamedTuple):
    """Deprecated result of :func:`train_forks` / :func:`blocked_forks` (numpy; K forks, E networks);
    :func:`fork` returns a :class:`TrainResult` instead.

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


def blocked_forks(spec: nets.MLP, params, data: dict, subsets, *, learning_rate: float, loss: str = "mse",
                  block_size: int = 128, snapshot_every: int | None = None) -> ForkResult:
    """Deprecated: :func:`fork` (which runs this blocked path itself for one-hidden-layer MLPs)."""
    _deprecated("blocked_forks", "train.fork(train.mlp_objective(spec, loss), params, data, subsets, "
                                 "optimizer=train.Optimizer('sgd', lr), record=train.Record(snapshot_every=...))")
    n_forks, n_members = len(subsets), params[0]["weight"].shape[0]
    final, steps, snapshots, _ = blocked_forks_run(spec, params, data, subsets, learning_rate=learning_rate, loss=loss,
                                                   block_size=block_size, snapshot_every=snapshot_every)
    return ForkResult(final, np.zeros((n_forks, n_members, 0)), steps, snapshots)


def train_forks(loss_fn: Callable, params, data: dict, subsets: Sequence[np.ndarray], *, learning_rate: float,
                snapshot_every: int | None = None, checkpointer=None, progress: str | None = "forks") -> ForkResult:
    """Deprecated: ``fork(loss_fn, params, data, subsets, optimizer=Optimizer("sgd", learning_rate),
    record=Record(snapshot_every=snapshot_every), checkpointer=..., progress=..., fast_path=False)``."""
    _deprecated("train_forks", "train.fork(objective, params, data, subsets, optimizer=train.Optimizer('sgd', lr), "
                               "record=train.Record(snapshot_every=...), fast_path=False)")
    result = fork(loss_fn, params, data, subsets, optimizer=Optimizer("sgd", learning_rate),
                  record=Record(snapshot_every=snapshot_every), checkpointer=checkpointer, progress=progress,
                  fast_path=False)
    n_forks, n_members = result.loss.shape[1:]
    length, _ = padded_length(max(np.asarray(s).size for s in subsets), snapshot_every, 1)
    losses = np.full((n_forks, n_members, length), np.nan, dtype=result.loss.dtype)  # NaN past the longest subset
    losses[:, :, :result.loss.shape[0]] = np.moveaxis(result.loss, 0, -1)
    return ForkResult(result.params, losses, np.asarray(result.snapshot_steps), result.snapshots)


def online_sgd_with_tallies(loss_fn: Callable, params, data: dict, *, learning_rate: float, n_groups: int = 2,
                            tally_from: int = 0, order=None, chunk_steps: int | None = None, checkpointer=None,
                            progress: str | None = "online SGD") -> TrainResult:
    """Deprecated: ``train(loss_fn, params, data, optimizer=Optimizer("sgd", learning_rate),
    n_steps=len(order), batching=Online(order), record=Record(chunk_steps=chunk_steps),
    observer=group_tally_observer(tally_from), aux=zeros (E, G, ...), fast_path=False)``.

    Raises:
        ValueError: non-positive learning rate, a group label outside ``[0, n_groups)``, or an
            order that is not 1-D.
    """
    _deprecated("online_sgd_with_tallies", "train.train(objective, params, data, optimizer=train.Optimizer('sgd', lr), "
                                           "n_steps=len(order), batching=train.Online(order), "
                                           "observer=train.group_tally_observer(tally_from), aux=zeros)")
    if not learning_rate > 0:
        raise ValueError(f"learning_rate must be > 0, got {learning_rate}")
    groups = np.asarray(data["group"])
    if groups.size and (groups.min() < 0 or groups.max() >= n_groups):
        raise ValueError(f"data['group'] must lie in [0, {n_groups}), got [{groups.min()}, {groups.max()}]")
    order = np.arange(len(groups)) if order is None else np.asarray(order, dtype=np.int64)
    if order.ndim != 1 or order.size == 0:
        raise ValueError(f"order must be a non-empty 1-D array of example indices, got shape {order.shape}")
    n_examples = jax.tree_util.tree_leaves(data)[0].shape[0]
    if order.min() < 0 or order.max() >= n_examples:
        raise ValueError(f"order indices must lie in [0, {n_examples}), got [{order.min()}, {order.max()}]")
    aux = jax.tree_util.tree_map(lambda p: jnp.zeros((p.shape[0], n_groups, *p.shape[1:]), p.dtype), params)
    return train_with_options(loss_fn, params, data, optimizer=Optimizer("sgd", learning_rate), n_steps=order.size,
                              batching=Online(order=order), record=Record(chunk_steps=chunk_steps),
                              observer=group_tally_observer(tally_from), aux=aux, checkpointer=checkpointer,
                              progress=progress, fast_path=False)


def converge_ensemble(loss, params, args, free, *, flow_gtol: float = 1e-5, flow_max_steps: int = 20_000,
                      flow_t1: float = 1e7, solver: str = "tsit5", rtol: float = 1e-8, atol: float = 1e-10,
                      gtol: float = 1e-10, eig_tol: float = 1e-8, max_escapes: int = 5, escape_step: float = 1e-3,
                      dense_limit: int = 2000, objective=None, progress: str | None = None) -> list[ConvergeRecord]:
    """Deprecated: ``converge(loss, params, args, free=free, flow=GradientFlow(solver, flow_gtol,
    flow_max_steps, flow_t1, rtol, atol), refinement=NewtonRefinement(gtol, dense_limit),
    saddles=SaddleEscape(eig_tol, max_escapes, escape_step), objective=..., progress=...)``."""
    _deprecated("converge_ensemble", "train.converge(loss, params, args, free=free, flow=train.GradientFlow(...), "
                                     "refinement=train.NewtonRefinement(...), saddles=train.SaddleEscape(...))")
    return converge_members(loss, params, args, free, flow_gtol=flow_gtol, flow_max_steps=flow_max_steps,
                            flow_t1=flow_t1, solver=solver, rtol=rtol, atol=atol, gtol=gtol, eig_tol=eig_tol,
                            max_escapes=max_escapes, escape_step=escape_step, dense_limit=dense_limit,
                            objective=objective, progress=progress)
