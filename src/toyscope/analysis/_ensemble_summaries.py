r"""Summaries over the members of an ensemble: a mean with its interval as a summary record,
a geometric mean, and a slice of the members of a training result.
"""

from __future__ import annotations

import dataclasses

import jax
import numpy as np

from ..train import TrainResult
from ._stats import mean_interval


def mean_ci95_summary(values) -> dict:
    r"""``{"mean": m, "ci95": [low, high]}``: the mean of the finite ``values`` with its Student-t
    95% interval (:func:`toyscope.analysis.mean_interval`; NaN bounds for fewer than two values).

    Args:
        values: ``(n,)``, e.g. one number per ensemble member.

    Example:
        >>> from toyscope import analysis
        >>> analysis.mean_ci95_summary([1.0, 2.0, 3.0])["mean"]
        2.0
    """
    mean, low, high = mean_interval(values)
    return {"mean": float(mean), "ci95": [float(low), float(high)]}


def geometric_mean(values, axis: int | None = None):
    r"""Geometric mean :math:`\exp\langle\log v\rangle` of positive ``values`` along ``axis`` (all if None).

    Example:
        >>> import numpy as np
        >>> from toyscope import analysis
        >>> round(float(analysis.geometric_mean(np.array([1e-4, 1e-2]))), 12)
        0.001
    """
    return np.exp(np.log(np.asarray(values)).mean(axis))


def select_members(run: TrainResult, start: int, stop: int | None) -> TrainResult:
    """Members ``start:stop`` of an ensemble :class:`toyscope.train.TrainResult`.

    ``params`` ``(E, ...)``, ``loss`` and ``metrics`` ``(T, E)`` and ``snapshots`` ``(S, E, ...)`` are
    sliced on their member axis (as numpy arrays); ``frozen_members`` are renumbered from
    ``start``. ``opt_state`` and ``aux`` are dropped (``None``): their leaves need not carry the
    member axis.

    Example:
        >>> import jax, jax.numpy as jnp
        >>> from toyscope import analysis, nets, train
        >>> spec = nets.mlp([2, 3, 1], "tanh")
        >>> params = nets.init(spec, key=jax.random.key(0), n_networks=4)
        >>> run = train.train(train.mlp_objective(spec), params, {"x": jnp.ones((5, 2)), "y": jnp.zeros((5, 1))},
        ...                   optimizer=train.Optimizer("sgd", 0.1), n_steps=10, progress=None)
        >>> part = analysis.select_members(run, 1, None)
        >>> part.loss.shape[1], part.params[0]["weight"].shape
        (3, (3, 2, 3))
    """
    members = slice(start, stop)
    n_members = np.asarray(run.loss).shape[1]
    first, last, _ = members.indices(n_members)

    return dataclasses.replace(
        run, params=_take(run.params, 0, members), opt_state=None, aux=None, loss=run.loss[:, members],
        metrics={name: value[:, members] for name, value in run.metrics.items()},
        snapshots=None if run.snapshots is None else _take(run.snapshots, 1, members),
        frozen_members=[(member - first, step) for member, step in run.frozen_members if first <= member < last])


def _take(tree, axis, members):
    return jax.tree_util.tree_map(lambda a: np.asarray(a)[(slice(None),) * axis + (members,)], tree)
