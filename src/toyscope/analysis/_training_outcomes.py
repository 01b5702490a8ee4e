r"""Outcomes of training an ensemble of binary classifiers: accuracy, accuracy classes, their
fractions with intervals, and whether each class's loss is still falling when training stops.

A network's *accuracy* on ``N`` points with ``o`` binary outputs is
:math:`\frac{1}{N o}\sum_{n,j} [z_{nj} > 0] = [y_{nj} > 0.5]` (``z`` the logits). On the 4 XOR
points it takes the values 1, 0.75, 0.5, 0.25, 0; the XOR paper sorts its networks into the
classes 100%, 75% and 50% (:data:`ACCURACY_CLASSES`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from .. import nets
from ._stats import proportion_interval

#: the accuracy classes of the XOR paper, and "other" for every other accuracy
ACCURACY_CLASSES = ("1.0", "0.75", "0.5", "other")


def classification_accuracy(spec: nets.MLP, params, x, y) -> np.ndarray:
    r"""Fraction of targets each network classifies correctly (logit > 0 means class 1).

    :math:`\mathrm{acc}_e = \frac{1}{N o}\sum_{n,j} \big[[f_e(x_n)_j > 0] = [y_{nj} > 0.5]\big]`.

    Args:
        spec: a network with a linear (logit) output; params: one network or an ensemble of E.
        x: ``(N, d_in)`` inputs; y: ``(N, o)`` 0/1 targets.

    Returns:
        ``(E,)`` for an ensemble, a 0-d array for one network.

    >>> import jax
    >>> from toyscope import nets, tasks
    >>> spec = nets.mlp([2, 2, 1], "sigmoid")
    >>> params = nets.init(spec, key=jax.random.key(0), n_networks=3)
    >>> data = tasks.xor_task()
    >>> classification_accuracy(spec, params, data["x"], data["y"]).shape
    (3,)
    """
    logits = np.asarray(nets.apply(spec, params, x))
    return ((logits > 0) == (np.asarray(y) > 0.5)).mean(axis=(-2, -1))


def accuracy_classes(accuracy, levels: Sequence[float] = (1.0, 0.75, 0.5)) -> np.ndarray:
    """Name each accuracy by the level it equals (``str(level)``, e.g. ``"0.75"``), else ``"other"``.

    Args:
        accuracy: ``(E,)`` accuracies (e.g. from :func:`classification_accuracy`).
        levels: the accuracies that get a class of their own (compared with ``np.isclose``).

    Returns:
        ``(E,)`` strings.

    >>> accuracy_classes(np.array([1.0, 0.75, 0.25])).tolist()
    ['1.0', '0.75', 'other']
    """
    accuracy = np.asarray(accuracy)
    out = np.full(accuracy.shape, "other", dtype=object)
    for level in levels:
        out[np.isclose(accuracy, float(level))] = str(level)
    return out.astype(str)


class Proportion(NamedTuple):
    """``count`` of ``total``, their ratio and its Wilson 95% interval ``[low, high]``."""

    count: int
    total: int
    fraction: float
    low: float
    high: float


def proportion(count: int, total: int) -> Proportion:
    """``count / total`` with its Wilson 95% interval (:func:`proportion_interval`).

    >>> proportion(14, 20).fraction
    0.7
    """
    low, high = proportion_interval(count, total)
    return Proportion(count, total, count / total if total else float("nan"), low, high)


def fraction_true(mask) -> Proportion:
    """How many entries of the bool ``mask`` ``(n,)`` are True, as a :class:`Proportion` of n.

    >>> fraction_true(np.array([True, False, True, True])).fraction
    0.75
    """
    mask = np.asarray(mask, bool)
    return proportion(int(mask.sum()), len(mask))


def class_fractions(classes, names: Sequence[str] = ACCURACY_CLASSES) -> dict[str, Proportion]:
    """How many of the E labels equal each of ``names``, as a :class:`Proportion` of E.

    Args:
        classes: ``(E,)`` labels (e.g. from :func:`accuracy_classes`).
        names: the labels to count, in the order of the result.

    >>> class_fractions(np.array(["1.0", "0.5", "1.0", "1.0"]), ["1.0", "0.5"])["1.0"].count
    3
    """
    classes = np.asarray(classes)
    return {name: proportion(int((classes == name).sum()), len(classes)) for name in names}


def value_counts(values, order: Sequence | None = None) -> dict[str, int]:
    """How often each value occurs in ``values`` ``(n,)``, keyed by ``str(value)``.

    Without ``order``: most common first (ties in sorted order). With ``order``: the values of
    ``order`` that occur, in that order.

    >>> value_counts(["b", "a", "b"])
    {'b': 2, 'a': 1}
    >>> value_counts(["b", "a", "b"], order=["a", "b", "c"])
    {'a': 1, 'b': 2}
    """
    values = np.asarray(values)
    if order is not None:
        return {str(v): int((values == v).sum()) for v in order if (values == v).any()}
    unique, counts = np.unique(values, return_counts=True)
    ranked = np.argsort(-counts, kind="stable")
    return {str(unique[i]): int(counts[i]) for i in ranked}


class Quantiles(NamedTuple):
    """Median and 10% / 90% quantiles of a set of values."""

    median: float
    q10: float
    q90: float


def quantiles(values) -> Quantiles:
    """Median, 10% and 90% quantile of ``values`` ``(n,)`` (numpy's default linear interpolation).

    >>> quantiles(np.arange(11.0))
    Quantiles(median=5.0, q10=1.0, q90=9.0)
    """
    values = np.asarray(values)
    return Quantiles(float(np.median(values)), float(np.quantile(values, 0.1)), float(np.quantile(values, 0.9)))


class LossTrend(NamedTuple):
    """The loss of one group of networks at the end of training (see :func:`loss_trends`).

    Attributes:
        n: networks in the group.
        final: :class:`Quantiles` of their last recorded loss.
        median_curve: ``(T,)`` median loss at every recorded step.
        loglog_slope: slope of log(median loss) against log(step + 1) over the tail.
        relative_drop: ``1 - median(last) / median(first step of the tail)``.
    """

    n: int
    final: Quantiles
    median_curve: np.ndarray
    loglog_slope: float
    relative_drop: float


def loss_trends(steps, losses, classes, names: Sequence[str] = ACCURACY_CLASSES, *,
                tail_start: float = 0.8) -> dict[str, LossTrend]:
    r"""Is each class's median loss still falling at the end of training, or on a plateau?

    For the networks of class c, with :math:`m_t` their median loss at recorded step :math:`s_t`,
    fit :math:`\log m_t \approx a + \beta \log(s_t + 1)` by least squares over the tail
    :math:`s_t \ge` ``tail_start`` :math:`\cdot s_T`. Sigmoid + BCE on separable data has no finite
    minimiser and a solved net's loss falls like :math:`1/t` (:math:`\beta \approx -1`); a plateau
    gives :math:`\beta \approx 0`.

    Args:
        steps: ``(T,)`` recorded steps; losses: ``(T, E)`` loss of every network at each.
        classes: ``(E,)`` group of each network; names: groups to report (absent ones are skipped).
        tail_start: where the tail starts, as a fraction of the last step.

    Returns:
        name -> :class:`LossTrend`, in the order of ``names``.

    >>> steps = np.arange(0, 1001, 100)
    >>> losses = np.stack([1 / (steps + 1.0), np.full(11, 0.5)], axis=1)
    >>> trends = loss_trends(steps, losses, np.array(["1.0", "0.75"]))
    >>> round(trends["1.0"].loglog_slope, 3), round(trends["0.75"].loglog_slope, 3)
    (-1.0, 0.0)
    """
    steps, losses, classes = np.asarray(steps), np.asarray(losses), np.asarray(classes)
    tail = steps >= tail_start * steps[-1]
    out = {}
    for name in names:
        chosen = classes == name
        if not chosen.any():
            continue
        group = losses[:, chosen]
        median_curve = np.median(group, axis=1)
        slope = float(np.polyfit(np.log(steps[tail] + 1), np.log(median_curve[tail]), 1)[0])
        drop = float(1 - median_curve[-1] / median_curve[tail][0])
        out[name] = LossTrend(int(chosen.sum()), quantiles(group[-1]), median_curve, slope, drop)
    return out
