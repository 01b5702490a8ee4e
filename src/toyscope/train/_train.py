r"""The one training entry point, :func:`train`, and :func:`fork` (continue networks on data subsets).

``train`` runs one of three implementations of the same maths and says which in
``TrainResult.path``:

- ``"small_ensemble"`` (:mod:`._small`): full-batch SGD of a large ensemble (at least
  ``MIN_SMALL_ENSEMBLE`` members) of tiny MLPs, the forward pass unrolled over examples and units;
- ``"blocked_online"`` (:mod:`._online_fast`): per-sample SGD of one-hidden-layer MLPs with
  biases, B samples per compiled block, with the group |update| tallies of
  :func:`group_tally_observer` computed exactly;
- ``"engine"`` (:mod:`._engine`): everything else (any loss, optimiser, batching, regulariser,
  hook, observer, metric, checkpointing).

A request goes to a fast path only when that path computes exactly what was asked (the
conditions are listed in :func:`train`); its results equal the engine's up to float rounding.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import warnings
from collections.abc import Callable, Sequence

import jax
import jax.numpy as jnp
import numpy as np
import optax

from .. import nets
from .._progress import progress_bar
from ._divergence import DivergenceRule, evaluate_divergence
from ._engine import MODES, NAN_POLICIES, Checkpointer, TrainingDiverged, TrainResult, run_engine
from ._objective import MLPObjective
from ._online_fast import blocked_forks_run, blocked_sgd, fork_order, tile_forks
from ._options import BATCHINGS, FullBatch, Minibatch, Online, Optimizer, PeriodicHook, Record, Regularizer
from ._small import MAX_UNROLLED, small_ensemble_descent
from ._update_tallies import GroupTallyObserver

#: smallest ensemble sent to the small-ensemble fast path (below it the engine is as fast)
MIN_SMALL_ENSEMBLE = 64

_FLAT_KEYWORDS = ("mode", "batch_size", "key", "order", "shared_order", "regularizer_schedule", "periodic_hook",
                  "period", "metrics", "record_every", "snapshot_every", "chunk_steps")


def train(
    objective: Callable,
    params,
    data,
    *,
    optimizer,
    n_steps: int,
    batching: FullBatch | Minibatch | Online | None = None,
    record: Record | None = None,
    regularizer: Regularizer | None = None,
    hook: PeriodicHook | None = None,
    observer: Callable | None = None,
    aux=None,
    checkpointer: Checkpointer | None = None,
    nan_policy: str = "raise",
    divergence: DivergenceRule | None = None,
    progress: str | None = "training",
    fast_path: bool = True,
    **flat_keywords,
) -> TrainResult:
    r"""Train an ensemble of networks; picks the fastest implementation that computes what is asked.

    One step for one network (``θ`` params, ``s`` optimiser state, ``a`` aux)::

        g        = ∇_θ [ objective(θ, batch_t) + λ(t) R(θ) ]
        θ', s'   = optimiser update of (θ, s) with g
        a'       = observer(a, θ' - θ, batch_t, t)           (optional)
        θ', s', a' = hook(θ', s', a')   if (t + 1) % period == 0   (optional)

    for every member independently (every leaf of ``params`` has a leading ensemble axis E).

    Fast paths (bit-identical to calling them directly; equal to the engine up to rounding):

    - small ensemble: ``objective`` an :func:`mlp_objective` with loss ``bce`` or ``mse``,
      ``Optimizer("sgd", ...)``, ``FullBatch``, at least ``MIN_SMALL_ENSEMBLE`` members, float32
      params and 2-D float32 ``data["x"], data["y"]``, examples x parameters at most
      ``MAX_UNROLLED``, and no regulariser, hook, observer, aux, metrics or checkpointer,
      ``nan_policy="raise"``.
    - blocked online: an :func:`mlp_objective` (not ``bce`` with ``closed_form_gradient``) of a
      one-hidden-layer MLP with biases, ``Optimizer("sgd", ...)``, ``Online``, no observer or a :func:`group_tally_observer` (with
      params-shaped ``aux`` leaves ``(E, G, ...)`` and ``data["group"]``), no regulariser, hook,
      metrics or checkpointer, ``nan_policy="raise"``. Snapshot intervals are rounded up to
      whole blocks of ``Online.block_size`` (the last snapshot is labelled ``n_steps``).

    Compiled programs are kept: a later call with the same functions (``objective``, metrics,
    hook, observer, regulariser and schedule objects) and equal options and shapes compiles
    nothing. As with ``jax.jit``, values those functions close over are read when the program is
    first compiled; pass changing arrays through ``data`` or ``params``, or new functions.

    Args:
        objective: ``(params, batch) -> scalar`` for ONE network; ``batch`` is ``data`` with its
            leading example axis restricted to the step's examples (size 1 online). Use
            :func:`mlp_objective` for an MLP so the fast paths can recognise it.
        params: ensemble params, leading axis E on every leaf.
        data: pytree of arrays with a leading example axis N (e.g. ``{"x": (N, d_in), "y": (N, d_out)}``).
        optimizer: an :class:`Optimizer`, or any optax transformation (engine only).
        n_steps: number of steps; a multiple of ``record.every``.
        batching: :class:`FullBatch` (default), :class:`Minibatch` or :class:`Online`.
        record: :class:`Record` (loss every step, no snapshots by default).
        regularizer: :class:`Regularizer` adding :math:`\lambda(t) R(\theta)`.
        hook: :class:`PeriodicHook`.
        observer: ``(aux, delta_params, batch, step) -> aux`` for one network, after every update.
        aux: any pytree carried through training (leading E), checkpointed with it.
        checkpointer: saves the state after every chunk and resumes from a saved one.
        nan_policy: ``raise`` stops with :class:`TrainingDiverged` naming the step and member;
            ``freeze`` keeps a diverged member's last finite params and reports it.
        divergence: a :class:`DivergenceRule` (bounds on the recorded data loss and on the
            weights), checked after training on every path: the result's ``diverged``,
            ``divergence_step`` and ``divergence_value`` flag the members that broke it; one
            network, all members or more than the rule's share raise :class:`TrainingDiverged`
            (a non-finite value raising under ``nan_policy="raise"`` then carries the rule's advice).
        progress: progress-bar label, or ``None``.
        fast_path: ``False`` forces the general engine (for benchmarks and cross-checks).
        **flat_keywords: deprecated flat options of the previous ``train`` (``mode``,
            ``batch_size``, ``key``, ``order``, ``shared_order``, ``regularizer_schedule``,
            ``periodic_hook``, ``period``, ``metrics``, ``record_every``, ``snapshot_every``,
            ``chunk_steps``, and a callable ``regularizer``); they run the engine exactly as before.

    Returns:
        A :class:`TrainResult` (``path`` says which implementation ran).

    Raises:
        ValueError: inconsistent arguments (one line naming the argument); TrainingDiverged: see
        ``nan_policy`` and ``divergence``.

    Example:
        >>> x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], np.float32)
        >>> y = np.array([[0], [1], [1], [0]], np.float32)
        >>> spec = nets.mlp([2, 2, 1], "sigmoid")
        >>> params = nets.init(spec, key=jax.random.key(0), n_networks=1000)
        >>> result = train.train(train.mlp_objective(spec, "bce"), params, {"x": x, "y": y},
        ...                      optimizer=train.Optimizer("sgd", 1.0), n_steps=2000, record=train.Record(every=100))
        >>> result.path, result.loss.shape
        ('small_ensemble', (20, 1000))
    """
    if flat_keywords or (callable(regularizer) and not isinstance(regularizer, Regularizer)):
        unknown = sorted(set(flat_keywords) - set(_FLAT_KEYWORDS))
        if unknown:
            raise TypeError(f"train() got an unexpected keyword argument {unknown[0]!r}")
        warnings.warn("train(): flat keywords (mode=, record_every=, periodic_hook=, ...) are deprecated; pass "
                      "batching=, record=, regularizer=Regularizer(...), hook=PeriodicHook(...)",
                      DeprecationWarning, stacklevel=2)
        if batching is not None or record is not None or hook is not None:
            raise ValueError("train(): pass either the flat keywords or batching=/record=/hook=, not both")
        batching, record, regularizer, hook = options_from_flat(regularizer=regularizer, **flat_keywords)
        fast_path = False  # the flat keywords always ran the general engine
    if divergence is not None and not isinstance(divergence, DivergenceRule):
        raise ValueError(f"divergence must be a train.DivergenceRule or None, got {divergence!r}")
    try:
        result = train_with_options(objective, params, data, optimizer=optimizer, n_steps=n_steps, batching=batching,
                                    record=record, regularizer=regularizer, hook=hook, observer=observer, aux=aux,
                                    checkpointer=checkpointer, nan_policy=nan_policy, progress=progress,
                                    fast_path=fast_path)
    except TrainingDiverged as err:
        if divergence is None:
            raise
        raise TrainingDiverged(f"{str(err).split('; ')[0]}; {divergence.advice}") from None
    return result if divergence is None else evaluate_divergence(divergence, result, n_steps)


def options_from_flat(*, mode: str = "full_batch", batch_size=None, key=None, order=None, shared_order=False,
                      regularizer=None, regularizer_schedule=1.0, periodic_hook=None, period=None, metrics=None,
                      record_every=1, snapshot_every=None, chunk_steps=None):
    """The previous ``train``'s flat keywords as ``(batching, record, regularizer, hook)`` options."""
    if mode == "full_batch":
        batching = FullBatch()
    elif mode == "minibatch":
        if not (isinstance(batch_size, (int, np.integer)) and batch_size >= 1):
            raise ValueError(f"mode='minibatch' needs batch_size >= 1, got {batch_size}")
        batching = Minibatch(batch_size, key=key, order=order, shared_order=shared_order)
    elif mode == "online":
        batching = Online(order=order)
    else:
        raise ValueError(f"unknown mode {mode!r}; valid: {', '.join(MODES)}")
    record = Record(every=record_every, snapshot_every=snapshot_every, metrics=metrics, chunk_steps=chunk_steps)
    regularizer = None if regularizer is None else Regularizer(regularizer, regularizer_schedule)
    hook = None if periodic_hook is None else PeriodicHook(periodic_hook, period)
    return batching, record, regularizer, hook


def _check_options(optimizer, n_steps, batching, record, regularizer, hook, nan_policy) -> None:
    if not (isinstance(optimizer, Optimizer) or (hasattr(optimizer, "init") and hasattr(optimizer, "update"))):
        raise ValueError(f"optimizer must be a train.Optimizer or an optax transformation, got {optimizer!r}")
    if isinstance(n_steps, bool) or not isinstance(n_steps, (int, np.integer)) or n_steps < 1:
        raise ValueError(f"n_steps must be an integer >= 1, got {n_steps!r}")
    if not isinstance(batching, BATCHINGS):
        raise ValueError(f"batching must be FullBatch(), Minibatch(...) or Online(...), got {batching!r}")
    if not isinstance(record, Record):
        raise ValueError(f"record must be a train.Record, got {record!r}")
    if n_steps % record.every:
        raise ValueError(f"record_every must be >= 1 and divide n_steps={n_steps}, got {record.every}")
    if regularizer is not None and not isinstance(regularizer, Regularizer):
        raise ValueError(f"regularizer must be a train.Regularizer, got {regularizer!r}")
    if hook is not None and not isinstance(hook, PeriodicHook):
        raise ValueError(f"hook must be a train.PeriodicHook, got {hook!r}")
    if nan_policy not in NAN_POLICIES:
        raise ValueError(f"unknown nan_policy {nan_policy!r}; valid: {', '.join(NAN_POLICIES)}")


def _is_sgd(optimizer) -> bool:
    return isinstance(optimizer, Optimizer) and optimizer.name == "sgd"


def _float32_xy(data) -> bool:
    if not isinstance(data, dict) or "x" not in data or "y" not in data:
        return False
    x, y = data["x"], data["y"]
    return (getattr(x, "ndim", 0) == 2 and getattr(y, "ndim", 0) == 2 and x.dtype == np.float32 and y.dtype == np.float32
            and x.shape[0] == y.shape[0])


def _leaves_have_dtype(tree, dtype) -> bool:
    return all(leaf.dtype == dtype for leaf in jax.tree_util.tree_leaves(tree))


def _is_ensemble(spec, params) -> bool:
    """Whether ``params`` is one ensemble of ``spec`` (False for params that do not fit it: the
    general engine then reports what is wrong)."""
    try:
        return nets.is_ensemble(spec, params)
    except ValueError:
        return False


def small_ensemble_applies(objective, params, data, optimizer, batching, record, regularizer, hook, observer, aux,
                           checkpointer, nan_policy) -> bool:
    """Whether :func:`train` sends this request to the small-ensemble fast path (see :func:`train`)."""
    if not (isinstance(objective, MLPObjective) and objective.loss in ("bce", "mse") and _is_sgd(optimizer)
            and isinstance(batching, FullBatch) and regularizer is None and hook is None and observer is None
            and aux is None and not record.metrics and checkpointer is None and nan_policy == "raise"):
        return False
    spec = objective.spec
    if not (_is_ensemble(spec, params) and nets.ensemble_size(spec, params) >= MIN_SMALL_ENSEMBLE
            and _leaves_have_dtype(params, np.float32) and _float32_xy(data)):
        return False
    x, y = data["x"], data["y"]
    return (x.shape[1] == spec.widths[0] and y.shape[1] == spec.widths[-1]
            and x.shape[0] * spec.n_params <= MAX_UNROLLED)


def _tally_aux_matches(params, aux) -> bool:
    """Whether ``aux`` is params-shaped with one leading group axis after E on every leaf."""
    if jax.tree_util.tree_structure(params) != jax.tree_util.tree_structure(aux):
        return False
    pairs = list(zip(jax.tree_util.tree_leaves(params), jax.tree_util.tree_leaves(aux)))
    if not pairs or any(np.ndim(a) < 2 for _, a in pairs):
        return False
    n_groups = np.shape(pairs[0][1])[1]
    return all(np.shape(a) == (np.shape(p)[0], n_groups, *np.shape(p)[1:]) for p, a in pairs)


def _check_tally_groups(data, aux) -> None:
    groups = np.asarray(data["group"]) if isinstance(data, dict) and "group" in data else None
    if groups is None:
        raise ValueError("group_tally_observer needs data['group'] (N,) int")
    if aux is None or np.ndim(jax.tree_util.tree_leaves(aux)[0]) < 2:
        raise ValueError("group_tally_observer needs aux: params-shaped zeros with leaves (E, G, ...)")
    n_groups = np.shape(jax.tree_util.tree_leaves(aux)[0])[1]
    if groups.size and (groups.min() < 0 or groups.max() >= n_groups):
        raise ValueError(f"data['group'] must lie in [0, {n_groups}), got [{groups.min()}, {groups.max()}]")


def blocked_online_applies(objective, params, data, optimizer, batching, record, regularizer, hook, observer, aux,
                           checkpointer, nan_policy) -> bool:
    """Whether :func:`train` sends this request to the blocked online fast path (see :func:`train`)."""
    closed_form_bce = getattr(objective, "closed_form_gradient", False) and getattr(objective, "loss", None) == "bce"
    if not (isinstance(objective, MLPObjective) and not closed_form_bce and _is_sgd(optimizer)
            and isinstance(batching, Online) and regularizer is None and hook is None and not record.metrics
            and checkpointer is None
            and nan_policy == "raise" and (observer is None or isinstance(observer, GroupTallyObserver))):
        return False
    spec = objective.spec
    if not (spec.n_layers == 2 and all(spec.biases) and isinstance(data, dict) and "x" in data and "y" in data):
        return False
    x = data["x"]
    if getattr(x, "ndim", 0) != 2 or not _is_ensemble(spec, params) or not _leaves_have_dtype(params, x.dtype):
        return False
    if observer is not None:
        return "group" in data and aux is not None and _tally_aux_matches(params, aux)
    return True


def _online_order(batching: Online, n_steps: int, n_examples: int, n_members: int) -> np.ndarray:
    """The online order as ``(n_steps,)`` or ``(E, n_steps)`` int64, validated (``-1`` allowed)."""
    if batching.order is None:
        return np.arange(n_steps) % n_examples
    order = np.asarray(batching.order, dtype=np.int64)
    if order.shape not in ((n_steps,), (n_members, n_steps)):
        raise ValueError(f"order must have shape {(n_steps,)} or {(n_members, n_steps)}, got {order.shape}")
    if order.min() < -1 or order.max() >= n_examples:
        raise ValueError(f"order indices must lie in [0, {n_examples}) (or -1 for a no-op step), "
                         f"got [{int(order.min())}, {int(order.max())}]")
    return order


def with_noop_example(data: dict):
    """``data`` plus one all-zero example at index N and a ``step_weight`` leaf (1, ..., 1, 0)."""
    n_examples = jax.tree_util.tree_leaves(data)[0].shape[0]
    padded = jax.tree_util.tree_map(lambda a: jnp.concatenate([jnp.asarray(a), jnp.zeros_like(jnp.asarray(a)[:1])]), data)
    padded["step_weight"] = jnp.concatenate([jnp.ones((n_examples,), jnp.float32), jnp.zeros((1,), jnp.float32)])
    return padded, n_examples


def _weighted(objective: Callable) -> Callable:
    """The loss times the example's ``step_weight``: exactly zero gradient on the no-op example."""
    return lambda p, batch: batch["step_weight"][0] * objective(p, batch)


def _nan_on_noop(loss: np.ndarray, order: np.ndarray, every: int) -> np.ndarray:
    """``loss`` ``(n_records, E)`` with NaN where the recorded step was a no-op (order -1)."""
    noop = np.broadcast_to(order < 0, (loss.shape[1], order.shape[-1]))[:, ::every].T
    loss = np.array(loss, copy=True)
    loss[noop] = np.nan
    return loss


def train_with_options(objective, params, data, *, optimizer, n_steps, batching=None, record=None, regularizer=None,
                       hook=None, observer=None, aux=None, checkpointer=None, nan_policy="raise",
                       progress="training", fast_path=True, noop_padding=False) -> TrainResult:
    """:func:`train` after the flat keywords are converted (``noop_padding`` forces the no-op
    example into the engine's data even without ``-1`` steps, as the previous forks did)."""
    batching = FullBatch() if batching is None else batching
    record = Record() if record is None else record
    _check_options(optimizer, n_steps, batching, record, regularizer, hook, nan_policy)
    if isinstance(observer, GroupTallyObserver):
        _check_tally_groups(data, aux)
    request = (objective, params, data, optimizer, batching, record, regularizer, hook, observer, aux, checkpointer,
               nan_policy)
    if fast_path and small_ensemble_applies(*request):
        return small_ensemble_descent(objective.spec, params, data["x"], data["y"], loss=objective.loss,
                                      learning_rate=optimizer.learning_rate, n_steps=n_steps, record_every=record.every,
                                      snapshot_every=record.snapshot_every, progress=progress,
                                      closed_form_gradient=objective.closed_form_gradient)
    order = None
    if isinstance(batching, Online):
        n_members = jax.tree_util.tree_leaves(params)[0].shape[0]
        n_examples = jax.tree_util.tree_leaves(data)[0].shape[0]
        order = _online_order(batching, n_steps, n_examples, n_members)
        if fast_path and blocked_online_applies(*request):
            return _blocked_online(objective, params, data, order, optimizer, n_steps, batching, record, observer,
                                   aux, progress)
    transformation = _transformation(optimizer) if isinstance(optimizer, Optimizer) else optimizer
    if not isinstance(batching, FullBatch):  # the step's examples are gathered by traced indices
        data = jax.tree_util.tree_map(jnp.asarray, data)
    loss_fn, noop = objective, order is not None and bool((order < 0).any())
    if noop or (noop_padding and order is not None):
        if not _is_sgd(optimizer):
            raise ValueError(f"Online.order entries -1 (no-op steps) need optimizer=Optimizer('sgd', ...), got {optimizer!r}")
        data, dummy = with_noop_example(data)
        order, loss_fn = np.where(order < 0, dummy, order), _weighted(objective)
    mode = {FullBatch: "full_batch", Minibatch: "minibatch", Online: "online"}[type(batching)]
    result = run_engine(
        loss_fn, params, data, optimizer=transformation, n_steps=n_steps, mode=mode,
        batch_size=getattr(batching, "batch_size", None), key=getattr(batching, "key", None),
        order=order if isinstance(batching, Online) else getattr(batching, "order", None),
        shared_order=getattr(batching, "shared_order", False),
        regularizer=None if regularizer is None else regularizer.fn,
        regularizer_schedule=1.0 if regularizer is None else regularizer.schedule,
        periodic_hook=None if hook is None else hook.fn, period=None if hook is None else hook.period,
        observer=observer, aux=aux, metrics=None if record.metrics is None else dict(record.metrics),
        record_every=record.every, snapshot_every=record.snapshot_every, chunk_steps=record.chunk_steps,
        nan_policy=nan_policy, checkpointer=checkpointer, progress=progress)
    if noop:
        result = dataclasses.replace(result, loss=_nan_on_noop(result.loss, np.asarray(batching.order), record.every))
    return result


@functools.lru_cache(maxsize=32)
def _built(name: str, learning_rate, options: tuple) -> optax.GradientTransformation:
    return Optimizer(name, learning_rate, dict(options)).build()


def _transformation(optimizer: Optimizer):
    """``optimizer.build()``, the same object for equal optimizers (so the engine's compiled
    program is shared between trainings with equal settings)."""
    try:
        return _built(optimizer.name, optimizer.learning_rate, tuple(sorted(optimizer.options.items())))
    except TypeError:  # an unhashable value
        return optimizer.build()


def _blocked_online(objective, params, data, order, optimizer, n_steps, batching, record, observer, aux, progress):
    n_groups = None if observer is None else jax.tree_util.tree_leaves(aux)[0].shape[1]
    with progress_bar(progress, n_steps) as bar:
        final, tallies, steps, snapshots, losses = blocked_sgd(
            objective.spec, params, data, order, learning_rate=optimizer.learning_rate, loss=objective.loss,
            block_size=batching.block_size, n_groups=n_groups,
            tally_from=0 if observer is None else observer.start_step, snapshot_every=record.snapshot_every,
            with_loss=True, input_offset=batching.input_offset)
        final = jax.device_get(final)
        bar.update(n_steps)
    _raise_if_diverged(losses, final, order)
    if observer is not None:
        aux = jax.tree_util.tree_map(lambda a, t: np.asarray(a) + np.asarray(t), aux, jax.device_get(tallies))
    n_members = losses.shape[0]
    return TrainResult(
        params=final, opt_state=jax.device_get(jax.vmap(optimizer.build().init)(params)),
        aux=jax.device_get(aux) if aux is not None else np.zeros((n_members,), np.float32),
        steps=np.arange(0, n_steps, record.every), loss=losses.T[::record.every],
        metrics={}, snapshot_steps=np.minimum(steps, n_steps) if steps is not None else np.zeros(0, np.int64),
        snapshots=snapshots, frozen_members=[], path="blocked_online")


def _raise_if_diverged(losses: np.ndarray, final, order: np.ndarray) -> None:
    live = np.broadcast_to(order >= 0, losses.shape)
    bad = live & ~np.isfinite(losses)
    params_finite = [np.isfinite(np.asarray(leaf)).reshape(losses.shape[0], -1).all(axis=1)
                     for leaf in jax.tree_util.tree_leaves(final)]
    bad_member = ~np.logical_and.reduce(params_finite)
    if not bad.any() and not bad_member.any():
        return
    first = np.where(bad.any(axis=1), bad.argmax(axis=1), np.where(bad_member, losses.shape[1] - 1, np.iinfo(np.int32).max))
    member = int(np.argmin(first))
    n_bad = int((bad.any(axis=1) | bad_member).sum())
    raise TrainingDiverged(f"non-finite loss by step {int(first[member])} in ensemble member {member} "
                           f"({n_bad} of {losses.shape[0]} members diverged); lower the learning rate")


def padded_length(length: int, chunk: int | None, every: int) -> tuple[int, int]:
    """``(padded length, chunk)``: a whole number of equal chunks (a multiple of ``every``)."""
    chunk = int(chunk) if chunk else every * max(1, math.ceil(math.ceil(length / 20) / every))
    return math.ceil(length / chunk) * chunk, chunk


def fork(
    objective: Callable,
    params,
    data: dict,
    subsets: Sequence[np.ndarray],
    *,
    optimizer: Optimizer,
    record: Record | None = None,
    block_size: int = 128,
    checkpointer: Checkpointer | None = None,
    progress: str | None = "forks",
    fast_path: bool = True,
    divergence: DivergenceRule | None = None,
    input_offset: float | None = None,
) -> TrainResult:
    r"""Continue every network on each of K data subsets with plain per-sample SGD (one run per
    (subset, network), all in one compiled ensemble).

    Fork k of network e runs ``subsets[k]`` in order, one example per step; the shorter subsets
    end with no-op steps (zero gradient, so plain SGD leaves the parameters unchanged: this is why
    the optimiser must be ``Optimizer("sgd", ...)``). With an :func:`mlp_objective` of a
    one-hidden-layer MLP with biases, no metrics and no checkpointer, the blocked online fast
    path runs (B = ``block_size``; snapshot intervals rounded up to whole blocks); otherwise the
    engine, with the run padded to whole chunks (snapshot steps run to the padded length).

    Args:
        objective: ``(params, batch) -> scalar`` for one network (see :func:`train`).
        params: ensemble params (leading E).
        data: ``{"x": (N, ...), "y": ..., ...}``, leading example axis N on every leaf.
        subsets: K index arrays into ``data``, each the examples of one fork in training order.
        optimizer: ``Optimizer("sgd", learning_rate)``.
        record: :class:`Record` (``every``, ``snapshot_every``, ``chunk_steps`` of the engine path).
        block_size, checkpointer, progress, fast_path, input_offset: see :func:`train` and :class:`Online`.
        divergence: a :class:`DivergenceRule` checked on every (fork, network) as on the members
            of :func:`train` (they are numbered ``k * E + e`` in its message); ``diverged``,
            ``divergence_step`` and ``divergence_value`` of the result are then ``(K, E)``.

    Returns:
        A :class:`TrainResult` whose ensemble axis is ``(K, E)``: params, aux and opt_state leaves
        ``(K, E, ...)``; ``loss`` ``(n_records, K, E)`` at ``steps`` (steps before the longest
        subset ends; NaN once a fork's subset has ended); snapshots ``(S, K, E, ...)`` at
        ``snapshot_steps`` (a fork's params stay fixed after its subset ends).

    Raises:
        ValueError: no subsets, an empty subset, an index outside ``[0, N)``, or not plain SGD.
        TrainingDiverged: a non-finite loss, or more forks than ``divergence`` allows broke it.

    Example:
        >>> forks = train.fork(train.mlp_objective(spec, "mse"), trained, data, [idx_a, idx_b],
        ...                    optimizer=train.Optimizer("sgd", 0.01), record=train.Record(snapshot_every=100))
        >>> forks.params[0]["weight"].shape  # (2, E, d_in, h)
    """
    record = Record() if record is None else record
    if not _is_sgd(optimizer):
        raise ValueError(f"fork needs optimizer=Optimizer('sgd', ...) (shorter subsets end with no-op steps), got {optimizer!r}")
    n_examples = jax.tree_util.tree_leaves(data)[0].shape[0]
    subsets = [np.asarray(s, dtype=np.int64) for s in subsets]
    if not subsets or any(s.size == 0 for s in subsets):
        raise ValueError(f"subsets must be a non-empty list of non-empty index arrays, got sizes {[s.size for s in subsets]}")
    if any(s.min() < 0 or s.max() >= n_examples for s in subsets):
        raise ValueError(f"subset indices must lie in [0, {n_examples})")
    n_forks, n_members = len(subsets), jax.tree_util.tree_leaves(params)[0].shape[0]
    longest = max(s.size for s in subsets)
    request = (objective, params, data, optimizer, Online(block_size=block_size), record, None, None, None, None,
               checkpointer, "raise")
    if fast_path and blocked_online_applies(*request):
        with progress_bar(progress, longest) as bar:
            final, snapshot_steps, snapshots, losses = blocked_forks_run(
                objective.spec, params, data, subsets, learning_rate=optimizer.learning_rate, loss=objective.loss,
                block_size=block_size, snapshot_every=record.snapshot_every, with_loss=True, input_offset=input_offset)
            bar.update(longest)
        flat_order = fork_order(subsets, n_members)
        _raise_if_diverged(losses.reshape(n_forks * n_members, -1),
                           jax.tree_util.tree_map(lambda p: p.reshape(n_forks * n_members, *p.shape[2:]), final),
                           flat_order)
        tiled = tile_forks(params, n_forks)
        split = lambda p: np.asarray(p).reshape(n_forks, n_members, *np.shape(p)[1:])  # noqa: E731
        result = TrainResult(
            params=final, opt_state=jax.tree_util.tree_map(split, jax.device_get(jax.vmap(optimizer.build().init)(tiled))),
            aux=np.zeros((n_forks, n_members), np.float32), steps=np.arange(0, longest, record.every),
            loss=np.moveaxis(losses, -1, 0)[::record.every], metrics={}, snapshot_steps=snapshot_steps,
            snapshots=snapshots, frozen_members=[], path="blocked_online")
        return result if divergence is None else _fork_divergence(divergence, result, longest)
    length, chunk = padded_length(longest, record.chunk_steps or record.snapshot_every, record.every)
    result = train_with_options(
        objective, tile_forks(params, n_forks), data, optimizer=optimizer, n_steps=length,
        batching=Online(order=fork_order(subsets, n_members, length)),
        record=dataclasses.replace(record, chunk_steps=chunk), checkpointer=checkpointer, progress=progress,
        fast_path=False, noop_padding=True)
    split = lambda p, lead=0: np.asarray(p).reshape(*np.shape(p)[:lead], n_forks, n_members, *np.shape(p)[lead + 1:])  # noqa: E731
    kept = result.steps < longest
    result = dataclasses.replace(
        result, params=jax.tree_util.tree_map(split, result.params),
        opt_state=jax.tree_util.tree_map(split, result.opt_state), aux=jax.tree_util.tree_map(split, result.aux),
        steps=result.steps[kept], loss=split(result.loss, 1)[kept],
        metrics={k: split(v, 1)[kept] for k, v in result.metrics.items()},
        snapshots=None if result.snapshots is None else jax.tree_util.tree_map(lambda p: split(p, 1), result.snapshots))
    return result if divergence is None else _fork_divergence(divergence, result, longest)


def _fork_divergence(rule: DivergenceRule, result: TrainResult, n_steps: int) -> TrainResult:
    """:func:`evaluate_divergence` on every (fork, network) of a :func:`fork` result, numbered
    ``k * E + e``; the flags come back ``(K, E)``."""
    n_forks, n_members = result.loss.shape[1:3]
    flat = lambda p, lead=0: np.asarray(p).reshape(*np.shape(p)[:lead], n_forks * n_members, *np.shape(p)[lead + 2:])  # noqa: E731
    view = dataclasses.replace(
        result, params=jax.tree_util.tree_map(flat, result.params), loss=flat(result.loss, 1),
        metrics={k: flat(v, 1) for k, v in result.metrics.items()}, frozen_members=[],
        snapshots=None if result.snapshots is None else jax.tree_util.tree_map(lambda p: flat(p, 1), result.snapshots))
    checked = evaluate_divergence(rule, view, n_steps)
    shape = (n_forks, n_members)
    return dataclasses.replace(result, diverged=checked.diverged.reshape(shape),
                               divergence_step=checked.divergence_step.reshape(shape),
                               divergence_value=checked.divergence_value.reshape(shape))
