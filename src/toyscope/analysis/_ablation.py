r"""Minimal circuits by ablation: remove hidden units (and merge duplicates) and see what survives.

For a one-hidden-layer net, removing hidden unit j deletes its outgoing weights from the output
pre-activation, :math:`z = \sum_{i \ne j} w_i h_i(x) + b`, so every subset of kept units is
evaluated at once by masking: ``z_mask = h(x) (mask * W) + b``.
"""

from __future__ import annotations

import dataclasses
import itertools
from typing import NamedTuple

import numpy as np

from .. import nets
from ._gates import check_binary_inputs


def _one_hidden_layer(spec: nets.MLP) -> None:
    if spec.n_layers != 2:
        raise ValueError(f"ablations need one hidden layer, got widths {spec.widths}")


def unit_masks(k: int, max_removed: int | None = None) -> np.ndarray:
    """Every kept-unit mask of k units with at most ``max_removed`` removed (and >= 1 kept): ``(M, k)``.

    The first row keeps every unit.
    """
    max_removed = k - 1 if max_removed is None else min(max_removed, k - 1)
    rows = [m for m in itertools.product((1, 0), repeat=k) if 0 < sum(m) and k - sum(m) <= max_removed]
    return np.array(rows, bool)


def masked_predictions(spec: nets.MLP, params, x, masks) -> np.ndarray:
    """Output on/off (pre-activation > 0) for each kept-unit mask.

    Args:
        params: ensemble (E members); x: ``(N, d_in)``; masks: ``(M, k)`` bool.

    Returns:
        ``(E, M, N, d_out)`` bool.
    """
    _one_hidden_layer(spec)
    _, post = nets.activations(spec, params, np.asarray(x, np.float32))
    return _masked_outputs(np.asarray(post[0]), params, masks)


def _masked_outputs(hidden: np.ndarray, params, masks) -> np.ndarray:
    """Output on/off for each kept-unit mask, from the hidden activations ``(E, N, k)``."""
    w_out = np.asarray(params[1]["weight"])  # (E, k, o)
    bias = np.asarray(params[1]["bias"])[:, None, None, :] if "bias" in params[1] else 0.0
    z = np.einsum("enk,mk,eko->emno", hidden, np.asarray(masks, hidden.dtype), w_out) + bias
    return z > 0


@dataclasses.dataclass
class MinimalCircuits:
    """What ablations of each network's hidden units keep (see :func:`minimal_circuits`).

    Attributes:
        masks: ``(M, k)`` kept-unit masks tried.
        keeps_classification: ``(E, M)`` whether that sub-network classifies every input as the full net does.
        smallest_kept: ``(E,)`` fewest units of a sub-network that keeps the classification.
        has_minimal_subnetwork: ``(E,)`` a sub-network with ``target_units`` (or fewer) units keeps it.
        merge_repaired: ``(E,)`` not by removal alone, but after merging two units with the same
            truth table (remove one, add its outgoing weight to the other).
        duplicate_pairs: ``(E,)`` number of unit pairs with identical truth tables.
    """

    masks: np.ndarray
    keeps_classification: np.ndarray
    smallest_kept: np.ndarray
    has_minimal_subnetwork: np.ndarray
    merge_repaired: np.ndarray
    duplicate_pairs: np.ndarray


def minimal_circuits(spec: nets.MLP, params, x, *, target_units: int = 2) -> MinimalCircuits:
    r"""Remove every subset of hidden units and test whether the classification of ``x`` is kept.

    A network *contains a minimal sub-network* when some subset of ``target_units`` units (for
    XOR: 2, the 5-neuron net) classifies every input exactly as the whole network does. Failing
    that, the *split-computation* repair merges a pair of units with the same truth table (the
    paper's "two neurons implementing the same logic function, each contributing half") and
    retries.

    Args:
        spec: ``d_in - k - o`` MLP; params: ensemble; x: ``(N, d_in)`` binary inputs.
        target_units: size of the sub-network sought.

    Returns:
        A :class:`MinimalCircuits`.
    """
    _one_hidden_layer(spec)
    x = check_binary_inputs(x)
    k = spec.widths[1]
    if not 1 <= target_units <= k:
        raise ValueError(f"target_units must be in 1..{k}, got {target_units}")
    masks = unit_masks(k)  # the first row keeps every unit
    pre, post = nets.activations(spec, params, x)
    preds = _masked_outputs(np.asarray(post[0]), params, masks)  # (E, M, N, o)
    full = preds[:, 0]  # (E, N, o)
    keeps = (preds == full[:, None]).all(axis=(2, 3))
    sizes = masks.sum(1)
    smallest = np.where(keeps, sizes[None, :], k).min(axis=1)
    has_minimal = smallest <= target_units

    hidden_on = np.asarray(pre[0]) > 0  # (E, N, k)
    repaired = np.zeros(len(keeps), bool)
    duplicates = np.zeros(len(keeps), np.int64)
    for i, j in itertools.combinations(range(k), 2):
        same = (hidden_on[:, :, i] == hidden_on[:, :, j]).all(axis=1)
        duplicates += same
        if not same.any():
            continue
        merged_spec, merged = nets.merge_hidden_units(spec, params, keep=i, remove=j)
        sub_masks = unit_masks(k - 1)
        sub = masked_predictions(merged_spec, merged, x, sub_masks)
        sub_keeps = (sub == full[:, None]).all(axis=(2, 3)) & (sub_masks.sum(1) <= target_units)[None]
        repaired |= same & sub_keeps.any(axis=1)
    merge_repaired = repaired & ~has_minimal
    return MinimalCircuits(masks, keeps, smallest, has_minimal, merge_repaired, duplicates)


class MinimalCircuitCounts(NamedTuple):
    """Among the networks that solve their task (see :func:`count_minimal_circuits`).

    Attributes:
        solved: networks counted.
        minimal: of them, with a sub-network of ``target_units`` units that keeps the classification.
        split: of them, only after merging two units with the same truth table (split computation).
        neither: ``solved - minimal - split``.
        mean_removable: mean number of single units whose removal keeps the classification
            (``None`` when ``solved == 0``).
    """

    solved: int
    minimal: int
    split: int
    neither: int
    mean_removable: float | None


def count_minimal_circuits(circuits: MinimalCircuits, solved) -> MinimalCircuitCounts:
    r"""Count minimal sub-networks and split computations among the ``solved`` networks.

    With :math:`S` the solved networks, ``minimal`` :math:`= |\{e \in S: \text{has minimal}\}|`,
    ``split`` :math:`= |\{e \in S: \text{merge repaired}\}|` and ``mean_removable`` the mean over
    :math:`S` of the number of masks with exactly one unit removed that keep the classification.

    Args:
        circuits: :func:`minimal_circuits` of an ensemble of E networks with k hidden units.
        solved: ``(E,)`` bool, e.g. accuracy == 1.

    >>> import jax
    >>> from toyscope import nets, tasks
    >>> spec = nets.mlp([2, 3, 1], "sigmoid")
    >>> params = nets.init(spec, key=jax.random.key(0), n_networks=4)
    >>> circuits = minimal_circuits(spec, params, tasks.binary_inputs(2))
    >>> count_minimal_circuits(circuits, np.zeros(4, bool))
    MinimalCircuitCounts(solved=0, minimal=0, split=0, neither=0, mean_removable=None)
    """
    solved = np.asarray(solved, bool)
    n_solved = int(solved.sum())
    minimal = int((circuits.has_minimal_subnetwork & solved).sum())
    split = int((circuits.merge_repaired & solved).sum())
    k = circuits.masks.shape[1]
    removable = circuits.keeps_classification[:, circuits.masks.sum(1) == k - 1]
    mean_removable = float(removable[solved].sum(1).mean()) if n_solved else None
    return MinimalCircuitCounts(n_solved, minimal, split, n_solved - minimal - split, mean_removable)
