r"""Typed options for :func:`toyscope.train.train`: small frozen objects validated when built.

Instead of two dozen flat keywords, a training call names what it wants in a few groups (as
optax chains transformations and diffrax passes ``SaveAt``)::

    train.train(objective, params, data, optimizer=train.Optimizer("sgd", 0.1), n_steps=1000,
                batching=train.Minibatch(32, key=key), record=train.Record(every=10, snapshot_every=100),
                regularizer=train.Regularizer(l1, schedule=0.01), hook=train.PeriodicHook(swap, period=200))

Every constructor raises a one-line ``ValueError`` naming the field, the value and what is
allowed; checks that need the data (batch size against N, order indices) happen in ``train``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import optax

from ._optim import OPTIMIZERS, make_optimizer


def _positive_int(owner: str, name: str, value, *, allow_none: bool = False) -> None:
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{owner}.{name} must be an integer >= 1, got {value!r}")


@dataclasses.dataclass(frozen=True)
class Optimizer:
    r"""An optimiser by name (built with :func:`make_optimizer`); recognisable, so :func:`train`
    can pick a fast path for plain SGD.

    ``sgd``: :math:`\theta \leftarrow \theta - \eta g`; ``momentum``, ``adam``, ``adamw`` with
    the hyperparameters in ``options`` (``momentum``, ``weight_decay``, ``b1``, ``b2``, ``eps``).

    Example:
        >>> train.Optimizer("adam", 1e-3, options={"b2": 0.99}).build()  # an optax transformation
    """

    name: str
    learning_rate: float
    options: Mapping[str, float] = dataclasses.field(default_factory=dict)

    def __post_init__(self):
        if self.name not in OPTIMIZERS:
            raise ValueError(f"unknown optimizer {self.name!r}; valid: {', '.join(OPTIMIZERS)}")
        try:
            positive = float(self.learning_rate) > 0
        except (TypeError, ValueError):
            positive = False
        if not positive:
            raise ValueError(f"learning_rate must be > 0, got {self.learning_rate}")
        allowed = ("momentum", "weight_decay", "b1", "b2", "eps")
        unknown = sorted(set(self.options) - set(allowed))
        if unknown:
            raise ValueError(f"Optimizer.options has unknown keys {unknown}; valid: {', '.join(allowed)}")

    def build(self) -> optax.GradientTransformation:
        """The optax transformation."""
        return make_optimizer(self.name, self.learning_rate, **self.options)


@dataclasses.dataclass(frozen=True)
class FullBatch:
    """Every step uses all of ``data``."""


@dataclasses.dataclass(frozen=True)
class Minibatch:
    """``batch_size`` examples per step.

    Attributes:
        batch_size: examples per step (at most N).
        key: PRNG key of the seeded order: step ``s`` of member ``m`` takes batch ``p`` of
            ``permutation(fold_in(split(key, E)[m], e))`` with ``e, p = divmod(s, N // batch_size)``
            (drop-last epochs); one key for all members with ``shared_order``.
        order: explicit indices ``(n_steps, batch_size)`` or ``(E, n_steps, batch_size)``, instead of ``key``.
        shared_order: one order for all members.
    """

    batch_size: int
    key: Any = None
    order: Any = None
    shared_order: bool = False

    def __post_init__(self):
        _positive_int("Minibatch", "batch_size", self.batch_size)
        if self.key is None and self.order is None:
            raise ValueError("mode='minibatch' needs a key for the seeded order (or an explicit order)")


@dataclasses.dataclass(frozen=True)
class Online:
    """One example per step.

    Attributes:
        order: example per step, ``(n_steps,)`` shared or ``(E, n_steps)`` per member; default
            0, 1, 2, ... cycling over N. An entry ``-1`` is a no-op step (zero gradient; with plain
            SGD the parameters do not move; its recorded loss is NaN), e.g. for members with
            fewer steps; no-op steps need ``Optimizer("sgd", ...)``.
        block_size: B, samples per compiled block of the blocked fast path (see
            :func:`train`); it does not change the maths (only float rounding), and on that path
            snapshot intervals are rounded up to whole blocks.
        input_offset: c, when every input coordinate equals c except a sparse part (scaled
            pixels :math:`(p + 1)/256`: ``1/256``); the blocked fast path then computes the
            first layer on each block's other coordinates only (equal to the dense path up to
            float rounding; the engine ignores it). ``None``: dense. On a CPU it is not faster
            than the dense blocked path for MNIST (the lit pixels of a block of 128 are about
            500 of 784, and the per-sample loop dominates; see docs/performance.md).
    """

    order: Any = None
    block_size: int = 128
    input_offset: float | None = None

    def __post_init__(self):
        _positive_int("Online", "block_size", self.block_size)
        if self.input_offset is not None and not np.isfinite(self.input_offset):
            raise ValueError(f"Online.input_offset must be a finite float or None, got {self.input_offset!r}")


BATCHINGS = (FullBatch, Minibatch, Online)


@dataclasses.dataclass(frozen=True)
class Record:
    """What :func:`train` records, and how often the host sees the state.

    Attributes:
        every: record the loss (and ``metrics``) every r steps; r divides ``n_steps``.
        snapshot_every: keep a copy of the params every R steps (a multiple of r), or ``None``.
        metrics: name -> ``params -> scalar`` for one network, recorded with the loss.
        chunk_steps: steps per compiled chunk between host visits (progress, snapshots,
            checkpoints); default about 1/20 of the run, or R if given.
    """

    every: int = 1
    snapshot_every: int | None = None
    metrics: Mapping[str, Callable] | None = None
    chunk_steps: int | None = None

    def __post_init__(self):
        if isinstance(self.every, bool) or not isinstance(self.every, (int, np.integer)) or self.every < 1:
            raise ValueError(f"record_every must be >= 1, got {self.every!r}")
        if self.snapshot_every is not None and (not isinstance(self.snapshot_every, (int, np.integer))
                                                or self.snapshot_every < 1 or self.snapshot_every % self.every):
            raise ValueError(f"snapshot_every must be a positive multiple of record_every={self.every}, got {self.snapshot_every}")
        if self.chunk_steps is not None and (not isinstance(self.chunk_steps, (int, np.integer))
                                             or self.chunk_steps < 1 or self.chunk_steps % self.every):
            raise ValueError(f"chunk_steps must be a positive multiple of record_every={self.every}, got {self.chunk_steps}")
        if self.metrics is not None and not all(callable(fn) for fn in self.metrics.values()):
            raise ValueError(f"Record.metrics must map names to callables, got {dict(self.metrics)!r}")


@dataclasses.dataclass(frozen=True)
class Regularizer:
    r"""A penalty :math:`\lambda(t) R(\theta)` added to the loss.

    Several terms with schedules of their own, :math:`\sum_r \lambda_r(t) R_r(\theta)`: ``fn``
    returns the terms ``(R,)`` and ``schedule`` the ``(R,)`` values at step t (a penalty switched
    on at step :math:`t_0` is :math:`\lambda_r(t) = \lambda(t)\,[t \ge t_0]`).

    Attributes:
        fn: ``params -> scalar`` (or ``(R,)`` terms) for one network.
        schedule: :math:`\lambda` as a float or a jittable ``step -> value`` (see :func:`piecewise_constant`),
            of ``fn``'s shape.

    Example:
        >>> import jax.numpy as jnp
        >>> from toyscope import train
        >>> both = train.Regularizer(lambda p: jnp.stack([jnp.sum(jnp.abs(p["w"])), jnp.sum(jnp.abs(p["b"]))]),
        ...                          lambda t: jnp.stack([1e-3, jnp.where(t >= 100, 1e-3, 0.0)]))
    """

    fn: Callable
    schedule: Callable | float = 1.0

    def __post_init__(self):
        if not callable(self.fn):
            raise ValueError(f"Regularizer.fn must be callable, got {self.fn!r}")
        if not callable(self.schedule) and not isinstance(self.schedule, (int, float, np.floating)):
            raise ValueError(f"Regularizer.schedule must be a number or a callable, got {self.schedule!r}")


@dataclasses.dataclass(frozen=True)
class PeriodicHook:
    """``fn(params, opt_state, aux) -> (params, opt_state, aux)`` for one network, applied after the
    update of every step t with ``(t + 1) % period == 0``."""

    fn: Callable
    period: int

    def __post_init__(self):
        if not callable(self.fn):
            raise ValueError(f"PeriodicHook.fn must be callable, got {self.fn!r}")
        if isinstance(self.period, bool) or not isinstance(self.period, (int, np.integer)) or self.period < 1:
            raise ValueError(f"periodic_hook needs period >= 1, got {self.period}")
