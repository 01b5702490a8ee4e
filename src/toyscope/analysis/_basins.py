r"""Is a cluster of trained networks a loss basin? Pairs within and between clusters, their
aligned loss barriers, per-cluster medians, cluster representatives, and whether the two
hidden-unit orders of a circuit (permuted twins) land in different clusters.

Clusters are integer labels ``(E,)`` of an ensemble (e.g. from :func:`kmeans_clusters`); the
barrier of a pair is :func:`loss_barriers` after aligning the second network's hidden units to
the first's (:func:`align_hidden_units`), so a permuted twin counts as the same point.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import NamedTuple

import numpy as np

from .. import nets
from ._alignment import align_hidden_units
from ._gates import CircuitLabels
from ._landscape import loss_barriers
from ._training_outcomes import Proportion, Quantiles, proportion, quantiles


def sample_pairs(groups, sample, n_pairs: int, rng: np.random.Generator, *, same_group: bool,
                 max_tries_per_pair: int = 50) -> np.ndarray:
    """Up to ``n_pairs`` random pairs of members of ``sample`` in the same (or different) groups.

    Draws two distinct positions of ``sample`` at a time (``rng.choice(len(sample), 2,
    replace=False)``) and keeps the pair when their groups agree (``same_group``) or differ;
    stops after ``max_tries_per_pair * n_pairs`` draws.

    Args:
        groups: ``(E,)`` group of every network; sample: ``(S,)`` network indices to draw from.

    Returns:
        ``(M, 2)`` int64 network indices, ``M <= n_pairs`` (``M = 0`` when no pair qualifies).

    >>> pairs = sample_pairs(np.array([0, 0, 1, 1]), np.arange(4), 5, np.random.default_rng(0), same_group=True)
    >>> bool((pairs // 2 == pairs[:, :1] // 2).all())
    True
    """
    groups, sample = np.asarray(groups), np.asarray(sample)
    sample_groups = groups[sample]
    pairs = []
    tries = 0
    while len(pairs) < n_pairs and tries < max_tries_per_pair * n_pairs:
        tries += 1
        i, j = rng.choice(len(sample), 2, replace=False)
        if (sample_groups[i] == sample_groups[j]) == same_group:
            pairs.append((sample[i], sample[j]))
    return np.array(pairs, dtype=np.int64).reshape(-1, 2)


def aligned_pair_barriers(spec: nets.MLP, params, pairs, loss_of_flat: Callable, *, n_points: int = 25) -> np.ndarray:
    r"""Loss barrier between the two networks of each pair, the second aligned to the first.

    For pair (a, b): permute b's hidden units to match a's (:func:`align_hidden_units`), then
    :math:`\max_\alpha L((1-\alpha)\theta_a + \alpha\theta_b) - [(1-\alpha)L(\theta_a) + \alpha L(\theta_b)]`
    over ``n_points`` values of :math:`\alpha` in [0, 1] (:func:`loss_barriers`).

    Args:
        spec: one-hidden-layer MLP; params: ensemble of E networks.
        pairs: ``(M, 2)`` network indices; loss_of_flat: loss of one flat parameter vector
            (e.g. :func:`flat_mlp_loss`).

    Returns:
        ``(M,)`` barriers (float32 parameters).

    >>> import jax
    >>> from toyscope import analysis, nets, tasks
    >>> spec = nets.mlp([2, 2, 1], "sigmoid")
    >>> params = nets.init(spec, key=jax.random.key(0), n_networks=2)
    >>> loss = analysis.flat_mlp_loss(spec, tasks.xor_task())
    >>> float(aligned_pair_barriers(spec, params, np.array([[0, 0]]), loss)[0])
    0.0
    """
    pairs = np.asarray(pairs)
    a = [{k: np.asarray(v)[pairs[:, 0]] for k, v in layer.items()} for layer in params]
    b = [{k: np.asarray(v)[pairs[:, 1]] for k, v in layer.items()} for layer in params]
    b_aligned = align_hidden_units(spec, b, a)
    theta_a = np.asarray(nets.flatten_params(a), np.float32)
    theta_b = np.asarray(nets.flatten_params(b_aligned), np.float32)
    return loss_barriers(loss_of_flat, theta_a, theta_b, n_points)


class BarrierStatistics(NamedTuple):
    """Median and quantiles of a set of loss barriers, and the share of pairs that are connected."""

    quantiles: Quantiles
    connected: Proportion


def barrier_statistics(barriers, *, connected_below: float = 1e-3) -> BarrierStatistics:
    r"""Quantiles of ``barriers`` ``(M,)`` and the fraction of *connected* pairs, barrier < ``connected_below``
    (with its Wilson 95% interval).

    >>> stats = barrier_statistics(np.array([0.0, 1e-4, 0.5, 2.0]))
    >>> stats.connected.count, stats.quantiles.median
    (2, 0.25005)
    """
    barriers = np.asarray(barriers)
    return BarrierStatistics(quantiles(barriers), proportion(int((barriers < connected_below).sum()), len(barriers)))


def group_medians(groups, values: Mapping[str, np.ndarray]) -> dict[int, dict[str, float]]:
    """Median of each of ``values`` (name -> ``(E,)``) over the members of each group.

    Returns:
        group (sorted) -> name -> median.

    >>> group_medians(np.array([0, 0, 1]), {"loss": np.array([1.0, 3.0, 5.0])})
    {0: {'loss': 2.0}, 1: {'loss': 5.0}}
    """
    groups = np.asarray(groups)
    return {int(g): {name: float(np.median(np.asarray(v)[groups == g])) for name, v in values.items()}
            for g in np.unique(groups)}


def cluster_representatives(points, clusters) -> dict[int, int]:
    r"""The member of each cluster nearest its centre: :math:`\arg\min_{i \in c}\|p_i - \bar p_c\|^2`.

    Args:
        points: ``(E, P)`` (e.g. canonical flat parameters); clusters: ``(E,)`` int labels.

    Returns:
        cluster (sorted) -> index of its representative in ``points``.

    >>> cluster_representatives(np.array([[0.0], [1.0], [3.0], [10.0]]), np.array([0, 0, 0, 1]))
    {0: 1, 1: 3}
    """
    points, clusters = np.asarray(points), np.asarray(clusters)
    out = {}
    for c in np.unique(clusters):
        members = np.flatnonzero(clusters == c)
        centre = points[members].mean(axis=0)
        out[int(c)] = int(members[np.argmin(((points[members] - centre) ** 2).sum(1))])
    return out


def twin_cluster_split(labels: CircuitLabels, clusters) -> list[int]:
    """``[split, total]``: of the circuits seen in both hidden-unit orders (``total``), for how
    many the two orders' most common clusters differ (``split``).

    Only the first two orders (sorted by signature) of a circuit are compared.

    Args:
        labels: gate labels of the E networks (:func:`circuit_labels`); clusters: ``(E,)`` int labels.

    >>> from toyscope import analysis, nets, tasks
    >>> spec = nets.mlp([2, 2, 1], "sigmoid")
    >>> net = [{"weight": np.array([[-10.0, -10.0], [-10.0, -10.0]]), "bias": np.array([15.0, 5.0])},
    ...        {"weight": np.array([[10.0], [-10.0]]), "bias": np.array([-5.0])}]  # NAND, NOR -> XOR
    >>> twin = nets.permute_hidden_units(spec, net, np.array([1, 0]))
    >>> both = [{k: np.stack([np.asarray(a[k]), np.asarray(b[k])]) for k in a} for a, b in zip(net, twin)]
    >>> labels = analysis.circuit_labels(spec, both, tasks.binary_inputs(2))
    >>> twin_cluster_split(labels, np.array([0, 1])), twin_cluster_split(labels, np.array([0, 0]))
    ([1, 1], [0, 1])
    """
    clusters = np.asarray(clusters)
    split = total = 0
    for unordered in np.unique(labels.unordered_signatures):
        members = labels.unordered_signatures == unordered
        orders = np.unique(labels.signatures[members])
        if len(orders) < 2:
            continue
        modal = {o: np.bincount(clusters[members & (labels.signatures == o)]).argmax() for o in orders[:2]}
        total += 1
        split += int(len(set(modal.values())) > 1)
    return [split, total]
