r"""Minimal circuits by ablation: remove hidden units (and merge duplicates) and see what survives.

Removing hidden unit j of layer l deletes its outgoing weights: the layer above reads
:math:`z = \sum_{i \ne j} w_i h_i(x) + b`, so a subset of kept units is a 0/1 mask on the
hidden activations. For one hidden layer every mask is evaluated at once,
``z_mask = h(x) (mask * W) + b``; deeper nets mask every hidden layer on the way up (a mask
runs over all hidden units, layer after layer, and keeps at least one unit of every layer).
Every subset is tried, so the hidden layers together may hold at most
:data:`MAX_ABLATION_UNITS` units; a net without a hidden layer has nothing to remove.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from .. import nets
from ._gates import check_binary_inputs

#: the most hidden units (all layers together) whose every subset ablation tries (2**12 masks)
MAX_ABLATION_UNITS = 12
#: masks evaluated per batch in a deep net
_MASK_BATCH = 256


def _hidden_widths(spec: nets.MLP) -> list[int]:
    """The hidden widths, after checking the net has some and not too many units to try."""
    if not isinstance(spec, nets.MLP):
        raise ValueError(f"ablations need an MLP spec, got {type(spec).__name__}")
    widths = list(spec.widths[1:-1])
    if not widths:
        raise ValueError(f"ablations need at least one hidden layer, got widths {spec.widths}")
    if sum(widths) > MAX_ABLATION_UNITS:
        raise ValueError(f"ablation tries every subset of hidden units: at most {MAX_ABLATION_UNITS} hidden units "
                         f"in all, the model has {sum(widths)} (widths {spec.widths})")
    return widths


def unit_masks(k: int, max_removed: int | None = None, *, layer_widths: Sequence[int] | None = None) -> np.ndarray:
    """Every kept-unit mask of k units with at most ``max_removed`` removed (and >= 1 kept): ``(M, k)``.

    With ``layer_widths`` (hidden widths summing to k) at least one unit of every layer is kept.
    The first row keeps every unit.

    >>> unit_masks(2).tolist()
    [[True, True], [True, False], [False, True]]
    """
    max_removed = k - 1 if max_removed is None else min(max_removed, k - 1)
    widths = [k] if layer_widths is None else list(layer_widths)
    if sum(widths) != k:
        raise ValueError(f"layer_widths {widths} must sum to k={k}")
    bounds = np.cumsum([0, *widths])
    rows = [m for m in itertools.product((1, 0), repeat=k) if 0 < sum(m) and k - sum(m) <= max_removed
            and all(sum(m[a:b]) > 0 for a, b in zip(bounds[:-1], bounds[1:]))]
    return np.array(rows, bool).reshape(len(rows), k)


def masked_predictions(spec: nets.MLP, params, x, masks) -> np.ndarray:
    """Output on/off (pre-activation > 0) for each kept-unit mask.

    Args:
        spec: an MLP with at least one hidden layer (at most 12 hidden units in all).
        params: ensemble (E members); x: ``(N, d_in)``; masks: ``(M, K)`` bool over all K
            hidden units, layer after layer.

    Returns:
        ``(E, M, N, d_out)`` bool.
    """
    widths = _hidden_widths(spec)
    masks = np.asarray(masks, bool)
    if masks.ndim != 2 or masks.shape[1] != sum(widths):
        raise ValueError(f"masks must be (M, {sum(widths)}) over the hidden units, got shape {masks.shape}")
    return _predictions(spec, params, np.asarray(x, np.float32), masks)


def _predictions(spec: nets.MLP, params, x, masks) -> np.ndarray:
    if spec.n_layers == 2:
        _, post = nets.activations(spec, params, x)
        return _masked_outputs(np.asarray(post[0]), params, masks)
    return _deep_masked_outputs(spec, params, x, masks)


def _masked_outputs(hidden: np.ndarray, params, masks) -> np.ndarray:
    """Output on/off for each kept-unit mask, from the hidden activations ``(E, N, k)``."""
    w_out = np.asarray(params[1]["weight"])  # (E, k, o)
    bias = np.asarray(params[1]["bias"])[:, None, None, :] if "bias" in params[1] else 0.0
    z = np.einsum("enk,mk,eko->emno", hidden, np.asarray(masks, hidden.dtype), w_out) + bias
    return z > 0


def _deep_masked_outputs(spec: nets.MLP, params, x, masks) -> np.ndarray:
    """The same for any depth: every hidden layer's activations times its part of the mask
    (eager numpy, masks in batches: no compilation per merged architecture)."""
    bounds = np.cumsum([0, *spec.widths[1:-1]])
    functions = [nets.activation(name) for name in spec.activations]
    layers = [{k: np.asarray(v) for k, v in layer.items()} for layer in params]
    parts = []
    for start in range(0, len(masks), _MASK_BATCH):
        batch = np.asarray(masks[start:start + _MASK_BATCH], np.float32)  # (m, K)
        h = np.broadcast_to(x, (layers[0]["weight"].shape[0], 1, *x.shape))  # (E, 1, N, d_in)
        for index, layer in enumerate(layers):
            z = np.einsum("emnd,edk->emnk", h, layer["weight"])
            if "bias" in layer:
                z = z + layer["bias"][:, None, None, :]
            if index == len(layers) - 1:
                parts.append(z > 0)
                break
            mask = batch[:, bounds[index]:bounds[index + 1]]  # (m, d_l)
            h = np.asarray(functions[index](z)) * mask[None, :, None, :]
    return np.concatenate(parts, axis=1)


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

    A network *contains a minimal sub-network* when some subset of ``target_units`` hidden units
    (all layers together; for XOR: 2, the 5-neuron net) classifies every input exactly as the
    whole network does. Failing that, the *split-computation* repair merges a pair of units of
    the same layer with the same on/off pattern over ``x`` (the paper's "two neurons implementing
    the same logic function, each contributing half") and retries.

    Args:
        spec: an MLP with at least one hidden layer and at most 12 hidden units in all.
        params: ensemble; x: ``(N, d_in)`` binary inputs.
        target_units: size of the sub-network sought (at least one unit per hidden layer).

    Returns:
        A :class:`MinimalCircuits` (masks over all hidden units, layer after layer).

    Raises:
        ValueError: no hidden layer, more than 12 hidden units, non-binary inputs, or
            ``target_units`` outside (number of hidden layers)..(hidden units).
    """
    widths = _hidden_widths(spec)
    x = check_binary_inputs(x)
    k = sum(widths)
    if not len(widths) <= target_units <= k:
        raise ValueError(f"target_units must be in {len(widths)}..{k}, got {target_units}")
    masks = unit_masks(k, layer_widths=widths)  # the first row keeps every unit
    pre, _ = nets.activations(spec, params, x)
    preds = _predictions(spec, params, x, masks)  # (E, M, N, o)
    full = preds[:, 0]  # (E, N, o)
    keeps = (preds == full[:, None]).all(axis=(2, 3))
    sizes = masks.sum(1)
    smallest = np.where(keeps, sizes[None, :], k).min(axis=1)
    has_minimal = smallest <= target_units

    repaired = np.zeros(len(keeps), bool)
    duplicates = np.zeros(len(keeps), np.int64)
    for layer, width in enumerate(widths):
        hidden_on = np.asarray(pre[layer]) > 0  # (E, N, width)
        for i, j in itertools.combinations(range(width), 2):
            same = (hidden_on[:, :, i] == hidden_on[:, :, j]).all(axis=1)
            duplicates += same
            if not same.any():
                continue
            merged_spec, merged = nets.merge_hidden_units(spec, params, keep=i, remove=j, layer=layer)
            sub_widths = list(merged_spec.widths[1:-1])
            sub_masks = unit_masks(k - 1, layer_widths=sub_widths)
            sub = _predictions(merged_spec, merged, x, sub_masks)
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
