r"""Summaries of a statistic over the members (seeds) of an ensemble, as JSON-ready dicts.

* :func:`interval_summary`: mean, standard deviation and the 95% interval of :func:`seed_interval`
  over the finite per-seed values (Student t on the scale of the quantity's support; none below
  three values), every value kept; :func:`mean_ci95_summary`: the same mean and interval as
  ``{"mean", "ci95", ...}`` (the layout neural-race's ``summary.json`` uses);
* :func:`ensemble_accuracy`: per-member accuracy of argmax predictions; :func:`accuracy_summary`:
  per-member accuracies with each member's Wilson 95% interval (:func:`proportion_interval`);
* :func:`geometric_mean`; :func:`select_members`, a slice of the members of a training result.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence

import jax
import numpy as np

from ..train import TrainResult
from ._stats import format_interval, format_number, proportion_interval, seed_interval


def mean_ci95_summary(values, support: str = "real") -> dict:
    r"""``{"mean", "ci95", "n", "method"}``: the mean of the finite ``values`` and the 95% interval
    of :func:`toyscope.analysis.seed_interval` for their ``support`` (``"real"``: Student t around
    the mean; ``"positive"``, ``"fraction"``, ``"correlation"``: on the log, logit or Fisher-z
    scale, so the interval stays inside the support; then ``"centre"`` is the value the interval
    is centred on, e.g. the geometric mean). ``ci95`` is ``None`` for fewer than three values:
    the spread cannot be estimated.

    Args:
        values: ``(n,)``, e.g. one number per ensemble member.

    Example:
        >>> from toyscope import analysis
        >>> analysis.mean_ci95_summary([1.0, 2.0, 3.0])["mean"]
        2.0
        >>> analysis.mean_ci95_summary([1e-3, 2e-3], "positive")["ci95"] is None
        True
    """
    finite = np.asarray(values, dtype=float).ravel()
    finite = finite[np.isfinite(finite)]
    interval = seed_interval(finite, support)
    out = {"mean": float(finite.mean()) if finite.size else math.nan,
           "ci95": [interval.low, interval.high] if interval.spread_known else None,
           "n": interval.n, "method": interval.method}
    if support != "real":
        out["centre"] = interval.estimate
    return out


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


def interval_summary(values: Sequence[float], support: str = "real") -> dict:
    r"""Mean, sample std (ddof 1) and the 95% interval of :func:`toyscope.analysis.seed_interval`
    for the ``support`` over the finite values; every value kept in ``per_seed``.

    Non-finite values (seeds whose statistic is undefined) are listed in ``per_seed`` but not used.

    Args:
        values: ``(E,)`` one value per seed.
        support: ``"real"`` (Student t), ``"positive"``, ``"fraction"`` or ``"correlation"``.

    Returns:
        ``{"mean", "std", "low", "high", "n", "method", "per_seed"}`` (and ``"centre"``, the value
        the interval is centred on, for a support other than ``"real"``); ``std`` is NaN for
        fewer than 2 finite values, ``low``/``high`` are ``None`` for fewer than 3 (the spread
        cannot be estimated).

    Example:
        >>> d = interval_summary([1.0, 2.0, 3.0, float("nan")])
        >>> d["mean"], d["std"], d["n"], round(float(d["high"] - d["mean"]), 4)
        (2.0, 1.0, 3, 2.4841)
    """
    values = [float(v) for v in values]
    finite = np.asarray([v for v in values if math.isfinite(v)])
    interval = seed_interval(finite, support)
    out = {"mean": float(finite.mean()) if finite.size else math.nan,
           "std": float(np.std(finite, ddof=1)) if finite.size > 1 else math.nan,
           "low": interval.low, "high": interval.high, "n": int(finite.size), "method": interval.method}
    if support != "real":
        out["centre"] = interval.estimate
    out["per_seed"] = values
    return out


def ensemble_accuracy(outputs, labels) -> np.ndarray:
    """Accuracy of each member's argmax prediction: ``mean_n [argmax_c outputs[e, n, c] == labels[n]]``.

    Args:
        outputs: ``(E, N, C)`` scores of E members on N examples.
        labels: ``(N,)`` class indices.

    Returns:
        ``(E,)`` accuracies.

    Raises:
        ValueError: shapes do not match.

    Example:
        >>> import numpy as np
        >>> ensemble_accuracy(np.array([[[1, 0], [0, 1]], [[1, 0], [1, 0]]]), np.array([0, 1])).tolist()
        [1.0, 0.5]
    """
    outputs, labels = np.asarray(outputs), np.asarray(labels)
    if outputs.ndim != 3 or labels.shape != outputs.shape[1:2]:
        raise ValueError(f"need outputs (E, N, C) and labels (N,), got {outputs.shape} and {labels.shape}")
    return (outputs.argmax(-1) == labels).mean(axis=-1)


def accuracy_summary(accuracy: Sequence[float], n_examples: int) -> dict:
    """Per-seed held-out accuracies as fractions of ``n_examples``, with each seed's Wilson 95% interval.

    Seed :math:`e` counts :math:`\\operatorname{round}(\\text{accuracy}_e\\, n)` correct examples.

    Args:
        accuracy: ``(E,)`` accuracies in [0, 1]; n_examples: examples each was measured on.

    Returns:
        ``{"mean", "min", "max", "per_seed", "n_examples", "wilson_per_seed": [[low, high] per seed]}``.

    Example:
        >>> d = accuracy_summary([0.5, 1.0], 20)
        >>> d["mean"], [round(float(x), 3) for x in d["wilson_per_seed"][0]]
        (0.75, [0.299, 0.701])
    """
    correct = [int(round(a * n_examples)) for a in accuracy]
    return {"mean": float(np.mean(accuracy)), "min": float(np.min(accuracy)), "max": float(np.max(accuracy)),
            "per_seed": [float(a) for a in accuracy], "n_examples": n_examples,
            "wilson_per_seed": [list(proportion_interval(k, n_examples)) for k in correct]}


def format_interval_summary(summary: Mapping) -> str:
    """``"0.280 [0.250, 0.310]"``: an :func:`interval_summary` (or :func:`mean_ci95_summary`) as its
    centre and interval, 3 significant figures; ``"0.28 (2 seeds: spread cannot be estimated)"``
    when it has no interval.

    Example:
        >>> format_interval_summary({"mean": 0.28, "low": 0.25, "high": 0.31})
        '0.280 [0.250, 0.310]'
    """
    centre = summary.get("centre", summary["mean"])
    low, high = summary["ci95"] if summary.get("ci95") is not None else (summary.get("low"), summary.get("high"))
    if low is None or high is None or not (math.isfinite(low) and math.isfinite(high)):
        n = summary.get("n")
        return f"{format_number(centre)} ({n if n is not None else 'too few'} seeds: spread cannot be estimated)"
    return format_interval(centre, low, high)


def format_accuracy_summary(summary: Mapping) -> str:
    """An :func:`accuracy_summary` as mean, seed range and the widest Wilson half-width.

    Example:
        >>> format_accuracy_summary(accuracy_summary([0.5, 1.0], 20))
        '0.750 (seeds 0.500 to 1.000, each +-0.201 Wilson 95%)'
    """
    half = max((hi - lo) / 2 for lo, hi in summary["wilson_per_seed"])
    return f"{summary['mean']:.3f} (seeds {summary['min']:.3f} to {summary['max']:.3f}, each +-{half:.3f} Wilson 95%)"
