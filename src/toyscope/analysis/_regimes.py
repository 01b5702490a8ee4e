r"""Where a finding holds: outcomes of one ensemble at several training budgets, and the
difference of two proportions.

An ensemble trained for the largest budget with snapshots holds its state at every smaller
budget of the same run (a constant learning rate makes step ``t`` of a long run step ``t`` of a
short one), so a map over ``steps`` costs one training per (optimiser, learning rate, width).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

import jax
import numpy as np

from .. import nets
from ._stats import proportion_interval
from ._training_outcomes import accuracy_classes, classification_accuracy


class BudgetOutcome(NamedTuple):
    """One ensemble after ``step`` steps: each member's accuracy class and BCE loss."""

    step: int
    classes: np.ndarray  # (E,) accuracy class labels ("1.0", "0.75", "0.5", "other")
    loss: np.ndarray  # (E,) mean binary cross-entropy on the data, float64


def binary_cross_entropy(spec: nets.MLP, params, x, y) -> np.ndarray:
    r"""Mean BCE of each member on ``(x, y)``, from the logit :math:`z`:
    :math:`\frac1N\sum_n \log(1 + e^{z_n}) - y_n z_n` (stable for any :math:`z`).

    Args:
        spec: an MLP with one logit output (linear last layer).
        params: ensemble params (leading E).
        x: ``(N, d)``; y: ``(N,)`` or ``(N, 1)`` of 0/1.

    Returns:
        ``(E,)`` float64.

    >>> from toyscope import nets
    >>> spec = nets.mlp([2, 2, 1], "sigmoid")
    >>> params = nets.init(spec, key=jax.random.key(0), n_networks=3)
    >>> binary_cross_entropy(spec, params, np.zeros((4, 2)), np.zeros(4)).shape
    (3,)
    """
    logits = np.asarray(jax.vmap(lambda p: nets.apply(spec, p, np.asarray(x, np.float32)))(params), np.float64)
    z = logits.reshape(logits.shape[0], -1)
    target = np.asarray(y, np.float64).reshape(-1)
    return np.mean(np.logaddexp(0.0, z) - target * z, axis=1)


def outcomes_at_steps(spec: nets.MLP, snapshot_steps, snapshots, x, y, steps: Sequence[int]) -> list[BudgetOutcome]:
    """Accuracy class and loss of every member at each of ``steps``, read off training snapshots.

    Args:
        spec: the ensemble's MLP (one logit output).
        snapshot_steps: ``(S,)`` steps of the snapshots (``TrainResult.snapshot_steps``).
        snapshots: params with leaves ``(S, E, ...)`` (``TrainResult.snapshots``).
        x, y: the data (binary classification, ``y`` 0/1).
        steps: budgets to read; each must be a snapshot step.

    Raises:
        ValueError: a step with no snapshot (one line, listing the snapshot steps).
    """
    snapshot_steps = [int(s) for s in np.asarray(snapshot_steps)]
    out = []
    for step in steps:
        if int(step) not in snapshot_steps:
            raise ValueError(f"no snapshot at step {step}; snapshots at {snapshot_steps[:5]}... "
                             f"(every {snapshot_steps[1] - snapshot_steps[0] if len(snapshot_steps) > 1 else '?'})")
        index = snapshot_steps.index(int(step))
        params = jax.tree_util.tree_map(lambda a, i=index: np.asarray(a)[i], snapshots)
        accuracy = classification_accuracy(spec, params, x, np.asarray(y).reshape(-1, 1))
        out.append(BudgetOutcome(int(step), accuracy_classes(accuracy), binary_cross_entropy(spec, params, x, y)))
    return out


def proportion_difference_interval(k1: int, n1: int, k2: int, n2: int,
                                   confidence: float = 0.95) -> tuple[float, float, float]:
    r"""``(p1 - p2, low, high)``: Newcombe's hybrid score interval for a difference of two
    independent proportions :math:`p_1 = k_1/n_1`, :math:`p_2 = k_2/n_2`.

    With Wilson intervals :math:`[l_i, u_i]` of each,
    :math:`\delta - \sqrt{(p_1 - l_1)^2 + (u_2 - p_2)^2}` to
    :math:`\delta + \sqrt{(u_1 - p_1)^2 + (p_2 - l_2)^2}`; it stays inside [-1, 1] by construction
    (Newcombe 1998, method 10).

    >>> d, low, high = proportion_difference_interval(48, 100, 24, 100)
    >>> round(d, 2), low > 0
    (0.24, True)
    """
    if n1 <= 0 or n2 <= 0:
        raise ValueError(f"both proportions need trials, got n1={n1}, n2={n2}")
    l1, u1 = proportion_interval(k1, n1, confidence)
    l2, u2 = proportion_interval(k2, n2, confidence)
    p1, p2 = k1 / n1, k2 / n2
    delta = p1 - p2
    low = delta - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = delta + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return delta, low, high

