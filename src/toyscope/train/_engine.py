r"""The training engine: ``jit`` + ``lax.scan``, vmapped over an ensemble axis.

One step for one network (``θ`` params, ``s`` optimiser state, ``a`` aux)::

    g        = ∇_θ [ loss(θ, batch_t) + λ(t) R(θ) ]
    θ', s'   = optax update of (θ, s) with g
    a'       = observer(a, θ' - θ, batch_t, t)           (optional)
    θ', s', a' = hook(θ', s', a')   if (t + 1) % period == 0   (optional)

``vmap`` adds the ensemble axis (every leaf of ``params``, ``opt_state`` and ``aux`` has a
leading E). Steps run inside ``lax.scan`` in *chunks*; between chunks the host advances a
progress bar, takes parameter snapshots and writes a checkpoint, so an interrupted run resumes
bit for bit.

Batches: ``full_batch`` uses all of ``data``; ``minibatch`` draws ``batch_size`` examples per
step from a per-epoch permutation seeded by ``key`` (independent per member unless
``shared_order``); ``online`` uses one example per step in the given ``order``.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import math
from collections.abc import Callable
from typing import Any, NamedTuple, Protocol

import jax
import jax.numpy as jnp
import numpy as np
import optax

from .. import nets
from .._progress import progress_bar

MODES = ("full_batch", "minibatch", "online")
NAN_POLICIES = ("raise", "freeze")


class TrainingDiverged(RuntimeError):
    """A loss or parameter became NaN or Inf, or broke a :class:`~toyscope.train.DivergenceRule`
    (names the step, the ensemble member and the value)."""


class Checkpointer(Protocol):
    """Where the engine stores its state between chunks (implemented by ``toyscope.runs``).

    ``load(template)`` gets ``(initial TrainState, None)``, the state built afresh with
    ``optimizer.init(params)``: a loader rebuilds the saved state on its structure and fills in the
    saved leaves (so it never has to rebuild an optimiser state's classes from a file). A
    ``load()`` without a parameter is still accepted.
    """

    def load(self, template: Any = None) -> Any | None: ...

    def save(self, state: Any) -> None: ...


def _load_checkpoint(checkpointer: Checkpointer, template: Any) -> Any | None:
    """``checkpointer.load(template)``, or ``load()`` for a checkpointer whose ``load`` takes no template."""
    try:
        takes_template = bool(inspect.signature(checkpointer.load).parameters)
    except (TypeError, ValueError):
        takes_template = False
    return checkpointer.load(template) if takes_template else checkpointer.load()


class TrainState(NamedTuple):
    """Everything that evolves during training; every leaf has a leading ensemble axis E."""

    step: Any  # () int32: steps done
    params: Any
    opt_state: Any
    aux: Any
    frozen: Any  # (E,) bool: member stopped after a non-finite value (nan_policy="freeze")
    bad_step: Any  # (E,) int32: first step with a non-finite value, -1 if none


@dataclasses.dataclass
class TrainResult:
    """What :func:`train` returns (numpy arrays; E is the ensemble axis).

    Attributes:
        params, opt_state, aux: final values (leading E).
        steps: ``(n_records,)`` steps at which ``loss``/``metrics`` were recorded (step t's loss
            is the loss of :math:`θ_t`, before its update; step 0 is the initial loss).
        loss: ``(n_records, E)`` data loss of the batch at those steps (no regulariser).
        metrics: name -> ``(n_records, E)``.
        snapshot_steps: ``(n_snapshots,)``; snapshots: params pytree with leaves
            ``(n_snapshots, E, ...)`` at those steps (0, R, 2R, ..., and the last step).
        frozen_members: ``[(member, step)]`` for members frozen by ``nan_policy="freeze"``.
        path: which implementation ran: ``"engine"`` (the general engine), ``"small_ensemble"``
            or ``"blocked_online"`` (the fast paths :func:`train` dispatches to; these keep no
            optimiser moments beyond plain SGD's empty state).
        diverged: ``(E,)`` bool, members that broke the ``divergence=`` rule of :func:`train`
            (``None`` without a rule); divergence_step: ``(E,)`` the first recorded step (loss
            record, snapshot or the end) where it was seen, -1 if none; divergence_value:
            ``(E,)`` the loss or max |weight| that broke it (NaN if none).
    """

    params: Any
    opt_state: Any
    aux: Any
    steps: np.ndarray
    loss: np.ndarray
    metrics: dict[str, np.ndarray]
    snapshot_steps: np.ndarray
    snapshots: Any
    frozen_members: list[tuple[int, int]]
    path: str = "engine"
    diverged: np.ndarray | None = None
    divergence_step: np.ndarray | None = None
    divergence_value: np.ndarray | None = None

    def squeeze(self) -> "TrainResult":
        """Drop the ensemble axis of a one-member result (used for single networks)."""
        take0 = functools.partial(nets.ensemble_member, index=0)
        return dataclasses.replace(
            self, params=take0(self.params), opt_state=take0(self.opt_state), aux=take0(self.aux),
            loss=self.loss[:, 0], metrics={k: v[:, 0] for k, v in self.metrics.items()},
            snapshots=nets.ensemble_member(self.snapshots, (slice(None), 0)) if self.snapshots is not None else None,
        )


def _tree_all_finite_sum(tree):
    """Cheap finiteness test: a sum over every leaf is finite iff (barring overflow) all are."""
    total = sum(jnp.sum(leaf) for leaf in jax.tree_util.tree_leaves(tree))
    return jnp.isfinite(total)


def _minibatch_indices(member_key, start: int, length: int, n_examples: int, batch_size: int):
    """Indices ``(length, batch_size)`` of steps ``start .. start + length - 1`` of a seeded
    epoch-permutation order (drop-last): step ``s`` takes positions ``p * batch_size`` to
    ``(p + 1) * batch_size - 1`` of ``permutation(fold_in(member_key, e))`` with
    ``e, p = divmod(s, n_examples // batch_size)``.

    Draws each epoch's permutation once (not once per step), so a chunk costs
    ``O(epochs * n_examples)`` memory rather than ``O(length * n_examples)``.
    """
    per_epoch = n_examples // batch_size
    first, last = start // per_epoch, (start + length - 1) // per_epoch
    perms = jax.vmap(lambda e: jax.random.permutation(jax.random.fold_in(member_key, e), n_examples))(
        jnp.arange(first, last + 1))
    batches = perms[:, :per_epoch * batch_size].reshape(-1, batch_size)  # (epochs * per_epoch, batch)
    offset = start - first * per_epoch
    return batches[offset:offset + length]


def run_engine(
    loss_fn: Callable,
    params,
    data,
    *,
    optimizer: optax.GradientTransformation,
    n_steps: int,
    mode: str = "full_batch",
    batch_size: int | None = None,
    key=None,
    order=None,
    shared_order: bool = False,
    regularizer: Callable | None = None,
    regularizer_schedule: Callable | float = 1.0,
    periodic_hook: Callable | None = None,
    period: int | None = None,
    observer: Callable | None = None,
    aux=None,
    metrics: dict[str, Callable] | None = None,
    record_every: int = 1,
    snapshot_every: int | None = None,
    chunk_steps: int | None = None,
    nan_policy: str = "raise",
    checkpointer: Checkpointer | None = None,
    progress: str | None = "training",
) -> TrainResult:
    """The general engine behind :func:`toyscope.train.train` (flat arguments, validated here).

    Train an ensemble of networks (every leaf of ``params`` has a leading axis E).

    Args:
        loss_fn: ``(params, batch) -> scalar`` for ONE network; ``batch`` is ``data`` with its
            leading example axis restricted to the step's examples (size 1 in online mode).
        params: ensemble params, leading axis E on every leaf.
        data: pytree of arrays with a leading example axis N, shared by all members (e.g.
            ``{"x": (N, d_in), "y": (N, d_out), "group": (N,)}``).
        optimizer: an optax transformation (see :func:`make_optimizer`).
        n_steps: number of steps; must be a multiple of ``record_every``.
        mode: ``full_batch``, ``minibatch`` or ``online``.
        batch_size: examples per step in ``minibatch`` mode.
        key: PRNG key for the minibatch order (per-member keys are split from it).
        order: example indices: ``(n_steps,)`` (online) or ``(n_steps, batch_size)``; with a
            leading E, one order per member. Default for online: 0, 1, 2, ... cycling over N.
        shared_order: in minibatch mode, use one order for all members.
        regularizer: ``params -> scalar`` for one network, added as ``λ(t) R(θ)``; or ``(R,)``
            terms, added as ``Σ_r λ_r(t) R_r(θ)``.
        regularizer_schedule: λ as a float or a jittable ``step -> λ`` (see
            :func:`piecewise_constant`), of the regularizer's shape.
        periodic_hook: ``(params, opt_state, aux) -> (params, opt_state, aux)`` for one network,
            applied after the update of every step t with ``(t + 1) % period == 0``.
        observer: ``(aux, delta_params, batch, step) -> aux`` for one network, after every update.
        aux: any pytree carried through training (leading E), checkpointed with it.
        metrics: name -> ``params -> scalar`` for one network, recorded with the loss.
        record_every: record loss and metrics every r steps.
        snapshot_every: keep a copy of the params every R steps (a multiple of r).
        chunk_steps: steps per compiled chunk (default: about 1/20 of the run; R if given).
        nan_policy: ``raise`` stops with :class:`TrainingDiverged` naming the step and member;
            ``freeze`` keeps a diverged member's last finite params and reports it.
        checkpointer: saves the state after every chunk and resumes from a saved one.
        progress: progress-bar label, or ``None`` for none.

    Returns:
        A :class:`TrainResult`.

    Raises:
        ValueError: for inconsistent arguments; TrainingDiverged: see ``nan_policy``.
    """
    n_examples = _check_args(data, n_steps, mode, batch_size, record_every, snapshot_every, nan_policy, period, periodic_hook)
    leaves = jax.tree_util.tree_leaves(params)
    n_members = leaves[0].shape[0]
    if any(leaf.shape[:1] != (n_members,) for leaf in leaves):
        raise ValueError("every params leaf needs the same leading ensemble axis E")
    if aux is None:
        aux = jnp.zeros((n_members,))
    metrics = dict(metrics or {})
    per_member_order, order = _prepare_order(order, mode, n_steps, batch_size, n_examples, n_members, shared_order)
    member_keys = None
    if mode == "minibatch" and order is None:
        if key is None:
            raise ValueError("mode='minibatch' needs a key for the seeded order (or an explicit order)")
        member_keys = jnp.broadcast_to(key, (n_members, *key.shape)) if shared_order else jax.random.split(key, n_members)

    program = _ChunkProgram(loss_fn, optimizer, mode, per_member_order,
                            regularizer, regularizer_schedule if callable(regularizer_schedule) else float(regularizer_schedule),
                            periodic_hook, period, observer, tuple(metrics.items()), nan_policy)
    try:
        run_chunk = _chunk_runner(program)
    except TypeError:  # an unhashable setting (an optax transformation holding a dict, ...): compile for this call
        run_chunk = _chunk_runner.__wrapped__(program)

    def chunk_indices(start, length):
        if mode == "full_batch":
            idx = jnp.zeros((length,), jnp.int32)  # unused placeholder
        elif mode == "minibatch" and order is None:
            idx = jax.vmap(lambda k: _minibatch_indices(k, start, length, n_examples, batch_size))(member_keys)
            idx = jnp.moveaxis(idx, 0, 1)  # (length, E, batch)
            if shared_order:
                idx = idx[:, 0]
        elif per_member_order:
            idx = jnp.moveaxis(order[:, start:start + length], 0, 1)
        else:
            idx = order[start:start + length]
        return idx.reshape(length // record_every, record_every, *idx.shape[1:])

    chunk = _chunk_length(n_steps, record_every, snapshot_every, chunk_steps)
    opt_state = jax.vmap(optimizer.init)(params)
    state = TrainState(jnp.asarray(0, jnp.int32), params, opt_state, aux,
                       jnp.zeros((n_members,), bool), jnp.full((n_members,), -1, jnp.int32))
    resumed = _load_checkpoint(checkpointer, (state, None)) if checkpointer is not None else None
    if resumed is not None:
        state, history = resumed
        state = jax.tree_util.tree_map(jnp.asarray, state)
    else:
        history = {"loss": [], "metrics": [], "snapshots": [], "snapshot_steps": []}
        if snapshot_every:
            history["snapshots"].append(jax.device_get(params))
            history["snapshot_steps"].append(0)

    done = int(state.step)
    with progress_bar(progress, n_steps) as bar:
        bar.update(done)
        while done < n_steps:
            length = min(chunk, n_steps - done)
            state, (losses, recorded) = run_chunk(state, chunk_indices(done, length), data)
            done += length
            if nan_policy == "raise":
                bad = np.asarray(state.bad_step)
                if (bad >= 0).any():
                    member = int(np.argmax(np.where(bad >= 0, -bad, np.iinfo(np.int32).min)))
                    raise TrainingDiverged(
                        f"non-finite loss or update at step {int(bad[member])} in ensemble member {member} "
                        f"({int((bad >= 0).sum())} of {n_members} members diverged); lower the learning rate "
                        "or use nan_policy='freeze'")
            history["loss"].append(np.asarray(losses))
            history["metrics"].append(jax.device_get(recorded))
            if snapshot_every and (done % snapshot_every == 0 or done == n_steps):
                history["snapshots"].append(jax.device_get(state.params))
                history["snapshot_steps"].append(done)
            if checkpointer is not None:
                checkpointer.save((jax.device_get(state), history))
            bar.update(done)

    return _result(state, history, n_steps, record_every, metrics)


class _ChunkProgram(NamedTuple):
    """Everything the compiled chunk of the engine depends on besides its arguments' shapes: equal
    settings (the same functions and values) share one compiled program across calls."""

    loss_fn: Callable
    optimizer: Any
    mode: str
    per_member_order: bool
    regularizer: Callable | None
    schedule: Callable | float
    periodic_hook: Callable | None
    period: int | None
    observer: Callable | None
    metrics: tuple
    nan_policy: str


@functools.lru_cache(maxsize=16)
def _chunk_runner(program: _ChunkProgram):
    """``run_chunk(state, chunk_indices, data) -> (state, (losses, metrics))``, jitted, for one setting
    (cached: a repeated training with the same functions compiles nothing new)."""
    (loss_fn, optimizer, mode, per_member_order, regularizer, schedule, periodic_hook, period, observer,
     metric_items, nan_policy) = program
    metrics = dict(metric_items)
    lam_fn = schedule if callable(schedule) else (lambda t, v=schedule: jnp.asarray(v))
    def objective(p, batch, lam):
        data_loss = loss_fn(p, batch)
        if regularizer is None:
            return data_loss, data_loss
        penalty = lam * regularizer(p)  # a scalar, or terms (R,) each with its own lambda_r(t)
        return data_loss + (penalty if jnp.ndim(penalty) == 0 else jnp.sum(penalty)), data_loss

    def member_step(params, opt_state, aux, frozen, bad_step, batch, step):
        lam = lam_fn(step)
        grads, data_loss = jax.grad(objective, has_aux=True)(params, batch, lam)
        updates, new_opt_state = optimizer.update(grads, opt_state, params)
        new_params = optax.apply_updates(params, updates)
        finite = jnp.isfinite(data_loss) & _tree_all_finite_sum(updates)
        bad_step = jnp.where((bad_step < 0) & ~finite, step, bad_step)
        if observer is not None:
            delta = jax.tree_util.tree_map(jnp.subtract, new_params, params)
            new_aux = observer(aux, delta, batch, step)
        else:
            new_aux = aux
        if nan_policy == "freeze":
            keep = frozen | ~finite
            pick = lambda new, old: jax.tree_util.tree_map(lambda n, o: jnp.where(keep, o, n), new, old)  # noqa: E731
            new_params, new_opt_state, new_aux = pick(new_params, params), pick(new_opt_state, opt_state), pick(new_aux, aux)
            frozen = keep
        if periodic_hook is not None:
            new_params, new_opt_state, new_aux = jax.lax.cond(
                (step + 1) % period == 0,
                lambda args: periodic_hook(*args),
                lambda args: args,
                (new_params, new_opt_state, new_aux),
            )
        return new_params, new_opt_state, new_aux, frozen, bad_step, data_loss

    def gather(data, indices):
        return jax.tree_util.tree_map(lambda leaf: leaf[indices], data)

    def ensemble_step(data, state: TrainState, step_indices):
        step = state.step
        if mode == "full_batch":
            batch_axis, batch = None, data
        elif mode == "online" and not per_member_order:
            batch_axis, batch = None, gather(data, step_indices[None])
        elif mode == "online":
            batch_axis, batch = 0, jax.vmap(lambda i: gather(data, i[None]))(step_indices)
        elif per_member_order:
            batch_axis, batch = 0, jax.vmap(lambda i: gather(data, i))(step_indices)
        else:
            batch_axis, batch = None, gather(data, step_indices)
        outs = jax.vmap(member_step, in_axes=(0, 0, 0, 0, 0, batch_axis, None))(
            state.params, state.opt_state, state.aux, state.frozen, state.bad_step, batch, step)
        new_params, new_opt_state, new_aux, frozen, bad_step, data_loss = outs
        return TrainState(step + 1, new_params, new_opt_state, new_aux, frozen, bad_step), data_loss

    def record_metrics(params):
        return {name: jax.vmap(fn)(params) for name, fn in metrics.items()}

    def interval(data, state, interval_indices):
        """``record_every`` steps; returns the loss and metrics at the first of them."""
        recorded = record_metrics(state.params)
        state, losses = jax.lax.scan(functools.partial(ensemble_step, data), state, interval_indices)
        return state, (losses[0], recorded)

    @jax.jit
    def run_chunk(state, chunk_indices, data):
        return jax.lax.scan(functools.partial(interval, data), state, chunk_indices)

    return run_chunk



def _check_args(data, n_steps, mode, batch_size, record_every, snapshot_every, nan_policy, period, periodic_hook) -> int:
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; valid: {', '.join(MODES)}")
    if nan_policy not in NAN_POLICIES:
        raise ValueError(f"unknown nan_policy {nan_policy!r}; valid: {', '.join(NAN_POLICIES)}")
    if int(n_steps) < 1:
        raise ValueError(f"n_steps must be >= 1, got {n_steps}")
    if record_every < 1 or n_steps % record_every:
        raise ValueError(f"record_every must be >= 1 and divide n_steps={n_steps}, got {record_every}")
    if snapshot_every is not None and (snapshot_every < 1 or snapshot_every % record_every):
        raise ValueError(f"snapshot_every must be a positive multiple of record_every={record_every}, got {snapshot_every}")
    if periodic_hook is not None and (period is None or period < 1):
        raise ValueError(f"periodic_hook needs period >= 1, got {period}")
    sizes = {leaf.shape[0] for leaf in jax.tree_util.tree_leaves(data)}
    if len(sizes) != 1:
        raise ValueError(f"every data leaf needs the same number of examples, got {sorted(sizes)}")
    n_examples = sizes.pop()
    if mode == "minibatch" and not (batch_size and 1 <= batch_size <= n_examples):
        raise ValueError(f"mode='minibatch' needs 1 <= batch_size <= {n_examples}, got {batch_size}")
    return n_examples


def _prepare_order(order, mode, n_steps, batch_size, n_examples, n_members, shared_order):
    if mode == "full_batch":
        return False, None
    if order is None:
        if mode == "online":
            return False, jnp.arange(n_steps) % n_examples
        return not shared_order, None  # generated per chunk from the members' keys
    order = jnp.asarray(order)
    per_step = () if mode == "online" else (batch_size,)
    if order.shape == (n_steps, *per_step):
        per_member = False
    elif order.shape == (n_members, n_steps, *per_step):
        per_member = True
    else:
        raise ValueError(f"order must have shape {(n_steps, *per_step)} or {(n_members, n_steps, *per_step)}, got {order.shape}")
    if int(order.min()) < 0 or int(order.max()) >= n_examples:
        raise ValueError(f"order indices must lie in [0, {n_examples}), got [{int(order.min())}, {int(order.max())}]")
    return per_member, order


def _chunk_length(n_steps, record_every, snapshot_every, chunk_steps) -> int:
    if chunk_steps is not None:
        if chunk_steps < 1 or chunk_steps % record_every:
            raise ValueError(f"chunk_steps must be a positive multiple of record_every={record_every}, got {chunk_steps}")
        if snapshot_every and snapshot_every % chunk_steps:
            raise ValueError(f"chunk_steps={chunk_steps} must divide snapshot_every={snapshot_every}")
        return chunk_steps
    if snapshot_every:
        return snapshot_every
    # about 1/20 of the run, in equal chunks (a shorter last chunk would compile the program again)
    intervals = n_steps // record_every
    per_chunk = next(m for m in range(max(1, math.ceil(intervals / 20)), intervals + 1) if intervals % m == 0)
    return record_every * per_chunk


def _result(state, history, n_steps, record_every, metrics) -> TrainResult:
    state = jax.device_get(state)
    loss = np.concatenate(history["loss"], axis=0)
    metric_arrays = {name: np.concatenate([m[name] for m in history["metrics"]], axis=0) for name in metrics}
    snapshots = None
    if history["snapshots"]:
        snapshots = jax.tree_util.tree_map(lambda *xs: np.stack(xs), *history["snapshots"])
    bad = np.asarray(state.bad_step)
    frozen = [(int(m), int(bad[m])) for m in np.flatnonzero(np.asarray(state.frozen))]
    return TrainResult(
        params=state.params, opt_state=state.opt_state, aux=state.aux,
        steps=np.arange(0, n_steps, record_every), loss=loss, metrics=metric_arrays,
        snapshot_steps=np.asarray(history["snapshot_steps"], dtype=np.int64), snapshots=snapshots,
        frozen_members=frozen,
    )
