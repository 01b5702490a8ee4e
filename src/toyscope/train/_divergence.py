r"""Divergence rules: a finite blow-up of the data loss or the weights, not only NaN/Inf.

``nan_policy`` catches non-finite values while training runs. A run can also blow up and stay
finite (plain GD at a huge learning rate reaches losses of 1e29 and weights of 1e30). A
:class:`DivergenceRule` passed to :func:`toyscope.train.train` is evaluated on what the run
recorded, for every member ``e``:

.. math::

    \text{diverged}_e = \exists t:\ L_e(t) > L_{\max} \quad\lor\quad \max_i |\theta_{e,i}| > W_{\max}

with :math:`L_e(t)` the recorded *data* loss (``TrainResult.loss``: no regulariser, so a lambda
schedule that raises the penalty on purpose never trips it) or a named recorded metric, and the
weight bound checked on every snapshot and the final params. The result flags the diverged
members (``TrainResult.diverged``, ``divergence_step``, ``divergence_value``); a single network,
every member, or more than ``max_diverged_share`` of them raise :class:`TrainingDiverged` with the
step, the member, the value and the rule's ``advice``. The check reads recorded arrays only: it
never changes a number of a run that does not diverge.
"""

from __future__ import annotations

import dataclasses
import math

import jax
import numpy as np

from ._engine import TrainingDiverged, TrainResult


@dataclasses.dataclass(frozen=True)
class DivergenceRule:
    """When a member counts as diverged although its numbers are finite.

    Attributes:
        max_loss: the recorded data loss may not exceed this (``math.inf``: no loss bound).
        max_abs_weight: no parameter may exceed this in absolute value, on any snapshot or at the
            end (``math.inf``: no weight bound).
        metric: ``None`` to bound ``TrainResult.loss`` (the training data loss), or the name of a
            ``Record.metrics`` entry holding a data loss (e.g. a test loss).
        max_diverged_share: in an ensemble, the run fails when more than this fraction of the
            members diverge (it always fails when all of them do, and for one network); below
            it the diverged members are flagged for the caller to leave out.
        advice: what the error message tells the user to change (name options that exist,
            e.g. ``"lower --set learning_rate=..."``).

    Example:
        >>> rule = train.DivergenceRule(max_loss=1e3, max_abs_weight=1e4, advice="lower --set learning_rate=...")
    """

    max_loss: float = math.inf
    max_abs_weight: float = math.inf
    metric: str | None = None
    max_diverged_share: float = 1.0
    advice: str = "lower the learning rate"

    def __post_init__(self):
        for name in ("max_loss", "max_abs_weight"):
            value = getattr(self, name)
            if not isinstance(value, (int, float, np.floating)) or isinstance(value, bool) or not value > 0:
                raise ValueError(f"DivergenceRule.{name} must be a number > 0 (math.inf for none), got {value!r}")
        share = self.max_diverged_share
        if not isinstance(share, (int, float, np.floating)) or isinstance(share, bool) or not 0 <= share <= 1:
            raise ValueError(f"DivergenceRule.max_diverged_share must lie in [0, 1], got {share!r}")
        if self.metric is not None and not isinstance(self.metric, str):
            raise ValueError(f"DivergenceRule.metric must be a metric name or None, got {self.metric!r}")


def _member_max_abs(tree, lead: int) -> np.ndarray:
    """``max |leaf|`` over every leaf, keeping the first ``lead`` axes (``(E,)`` or ``(S, E)``)."""
    leaves = [np.asarray(leaf) for leaf in jax.tree_util.tree_leaves(tree)]
    parts = [np.abs(leaf.reshape(*leaf.shape[:lead], -1)).max(axis=-1) for leaf in leaves if leaf.size]
    return np.max(np.stack(parts), axis=0)


def _first_exceeding(values: np.ndarray, bound: float):
    """Per member (last axis): index of the first row above ``bound`` (-1 if none) and its value."""
    over = values > bound  # NaN (no-op steps) never counts
    hit = over.any(axis=0)
    first = np.where(hit, over.argmax(axis=0), -1)
    value = np.where(hit, values[np.maximum(first, 0), np.arange(values.shape[1])], np.nan)
    return first, value


def evaluate_divergence(rule: DivergenceRule, result: TrainResult, n_steps: int) -> TrainResult:
    """``result`` with ``diverged``, ``divergence_step`` and ``divergence_value`` filled in.

    Raises:
        ValueError: ``rule.metric`` names no recorded metric.
        TrainingDiverged: one network, all members or more than ``rule.max_diverged_share`` diverged.
    """
    if rule.metric is None:
        series, what = np.asarray(result.loss, dtype=np.float64), "data loss"
    elif rule.metric in result.metrics:
        series, what = np.asarray(result.metrics[rule.metric], dtype=np.float64), rule.metric
    else:
        raise ValueError(f"DivergenceRule.metric {rule.metric!r} is not recorded; recorded: {sorted(result.metrics)}")
    n_members = series.shape[1]
    steps = np.asarray(result.steps)
    loss_row, loss_value = _first_exceeding(series, rule.max_loss)
    loss_step = np.where(loss_row >= 0, steps[np.maximum(loss_row, 0)], -1)

    weights = _member_max_abs(result.params, 1)[None]
    weight_steps = np.asarray([n_steps])
    if result.snapshots is not None:
        weights = np.concatenate([_member_max_abs(result.snapshots, 2), weights])
        weight_steps = np.concatenate([np.asarray(result.snapshot_steps), weight_steps])
    weight_row, weight_value = _first_exceeding(weights, rule.max_abs_weight)
    weight_step = np.where(weight_row >= 0, weight_steps[np.maximum(weight_row, 0)], -1)

    frozen = np.full(n_members, -1)
    for member, step in result.frozen_members:
        frozen[member] = step
    big = np.iinfo(np.int64).max
    candidates = np.stack([np.where(s >= 0, s, big) for s in (loss_step, weight_step, frozen)])
    which = candidates.argmin(axis=0)
    step = candidates.min(axis=0)
    diverged = step < big
    value = np.choose(which, [loss_value, weight_value, np.full(n_members, np.nan)])
    result = dataclasses.replace(result, diverged=diverged, divergence_step=np.where(diverged, step, -1),
                                 divergence_value=np.where(diverged, value, np.nan))
    n_bad = int(diverged.sum())
    if n_bad and (n_members == 1 or n_bad == n_members or n_bad > rule.max_diverged_share * n_members):
        member = int(np.argmin(np.where(diverged, step, big)))
        kind = {0: f"{what} {value[member]:.3g} > {rule.max_loss:g}",
                1: f"max |weight| {value[member]:.3g} > {rule.max_abs_weight:g}",
                2: "a non-finite value (frozen)"}[int(which[member])]
        where = "the network" if n_members == 1 else f"ensemble member {member} ({n_bad} of {n_members} members diverged)"
        raise TrainingDiverged(f"training diverged: {kind} by step {int(step[member])} in {where}; {rule.advice}")
    return result


def keep_members(result: TrainResult, keep) -> TrainResult:
    """The members ``keep`` (``(E,)`` bool or indices) of an ensemble result, e.g. ``~result.diverged``.

    ``params``, ``loss``, ``metrics``, ``snapshots`` and the divergence fields are indexed on
    their member axis; ``opt_state`` and ``aux`` too when every leaf carries the member axis, else
    they become ``None``; ``frozen_members`` are renumbered.
    """
    n_members = np.asarray(result.loss).shape[1]
    index = np.arange(n_members)[np.asarray(keep)]
    take = lambda tree, axis=0: jax.tree_util.tree_map(
        lambda a: np.asarray(a)[(slice(None),) * axis + (index,)], tree)

    def member_tree(tree):
        leaves = jax.tree_util.tree_leaves(tree)
        if tree is None or not all(np.ndim(a) >= 1 and np.shape(a)[0] == n_members for a in leaves):
            return None
        return take(tree)

    renumber = {int(old): new for new, old in enumerate(index)}
    optional = lambda a: None if a is None else np.asarray(a)[index]
    return dataclasses.replace(
        result, params=take(result.params), opt_state=member_tree(result.opt_state), aux=member_tree(result.aux),
        loss=np.asarray(result.loss)[:, index], metrics={k: np.asarray(v)[:, index] for k, v in result.metrics.items()},
        snapshots=None if result.snapshots is None else take(result.snapshots, 1),
        frozen_members=[(renumber[m], s) for m, s in result.frozen_members if m in renumber],
        diverged=optional(result.diverged), divergence_step=optional(result.divergence_step),
        divergence_value=optional(result.divergence_value))
