r"""Pruning frontier and knock-outs: how much of a network its function needs.

Pruning frontier (BIMT Appendix A): sort all weights and biases by magnitude, set those below a
threshold :math:`t` to zero, and record the number of surviving parameters :math:`N_u(t)` and
the test loss :math:`\ell(t)`; sweeping :math:`t` traces a trade-off curve (lower left is
better). Knock-out (Section 3.3): zero every weight into and out of a set of neurons and measure
the network again.

Reference: Liu, Gan & Tegmark, Entropy 26 (2024) 41, Appendix A and Figure 5.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import jax
import jax.numpy as jnp
import numpy as np


def _prunable(path) -> bool:
    names = [getattr(k, "key", None) for k in path]
    return "input_order" not in names and "output_order" not in names


def prune_below(params, threshold):
    """``params`` with every weight, bias and embedding entry of magnitude ``< threshold`` set
    to zero (input/output orders untouched). Works under ``jit``/``vmap`` over ``threshold``."""
    return jax.tree_util.tree_map_with_path(
        lambda path, x: jnp.where(jnp.abs(x) < threshold, 0.0, x) if _prunable(path) else x, params)


def count_active(params, threshold: float = 1e-2) -> int:
    """Number of weights/biases/embedding entries with ``|p| > threshold`` in ONE network."""
    leaves = [x for path, x in jax.tree_util.tree_leaves_with_path(params) if _prunable(path)]
    return int(sum(int((np.abs(np.asarray(x)) > threshold).sum()) for x in leaves))


def pruning_frontier(params, loss_fn: Callable, *, n_thresholds: int = 40):
    r"""Survivors and loss along a sweep of magnitude thresholds, for ONE network.

    The thresholds are 0 and the quantiles of the parameter magnitudes at ``n_thresholds - 1``
    log-spaced survivor fractions down to one parameter.

    Args:
        params: ONE network's params.
        loss_fn: ``params -> scalar`` (e.g. test loss); must be jittable.
        n_thresholds: points on the curve.

    Returns:
        ``(n_surviving, loss)``: two ``(n_thresholds,)`` numpy arrays, ``n_surviving``
        non-increasing.

    Raises:
        ValueError: ``n_thresholds < 2``.
    """
    if n_thresholds < 2:
        raise ValueError(f"n_thresholds must be >= 2, got {n_thresholds}")
    magnitudes = np.sort(np.concatenate([np.abs(np.asarray(x)).ravel() for path, x in
                                         jax.tree_util.tree_leaves_with_path(params) if _prunable(path)]))
    n_total = magnitudes.size
    keep = np.unique(np.round(np.geomspace(n_total, 1, n_thresholds - 1)).astype(int))[::-1]
    thresholds = np.concatenate([[0.0], magnitudes[n_total - keep]])  # keep the `keep` largest
    pruned_loss = jax.jit(jax.vmap(lambda t: loss_fn(prune_below(params, t))))(jnp.asarray(thresholds))
    survivors = np.array([(magnitudes >= t).sum() for t in thresholds])
    return survivors, np.asarray(pruned_loss)


def pruned_losses(params, loss_fn: Callable, budgets) -> np.ndarray:
    r"""The loss of ONE network after keeping only its ``n`` largest-magnitude parameters, for
    every ``n`` in ``budgets`` (BIMT Appendix A, Figure A1, read at fixed budgets).

    All weights, biases and embedding entries (not the input/output orders) are ranked by
    :math:`|p|` from large to small, ties in the order of ``jax.tree_util.tree_leaves`` and then
    of each leaf's flattened entries; for budget :math:`n` the parameters of rank :math:`\ge n`
    are set to zero and :math:`\ell_n` = ``loss_fn(pruned)``. Unlike :func:`pruning_frontier`,
    which sweeps magnitude thresholds, every network is then read at the same counts, so curves
    of several seeds or methods can be averaged point by point.

    Args:
        params: ONE network's params.
        loss_fn: ``params -> scalar`` (e.g. the test loss); must be jittable.
        budgets: ``(B,)`` integers, each in ``[0, number of parameters]``.

    Returns:
        ``(B,)`` numpy array, the loss at each budget.

    Raises:
        ValueError: a budget below 0 or above the number of parameters, or not an integer.

    Example:
        >>> import jax.numpy as jnp
        >>> params = {"w": jnp.array([3.0, -1.0, 2.0])}
        >>> pruned_losses(params, lambda p: jnp.sum(p["w"]), [0, 1, 2, 3]).tolist()
        [0.0, 3.0, 5.0, 4.0]
    """
    budgets = np.asarray(budgets)
    leaves, treedef = jax.tree_util.tree_flatten_with_path(params)
    prunable = [_prunable(path) for path, _ in leaves]
    values = [jnp.asarray(x) for _, x in leaves]
    flat = jnp.concatenate([v.ravel() for v, keep in zip(values, prunable) if keep])
    if budgets.ndim != 1 or not np.issubdtype(budgets.dtype, np.integer) or (
            budgets.size and (budgets.min() < 0 or budgets.max() > flat.size)):
        raise ValueError(f"budgets must be a 1-D list of integers in [0, {flat.size}] (the parameter count), "
                         f"got {budgets.tolist()}")
    order = np.argsort(-np.abs(np.asarray(flat)), kind="stable")
    rank = np.empty(flat.size, int)
    rank[order] = np.arange(flat.size)
    rank = jnp.asarray(rank)

    def pruned_loss(budget):
        kept = jnp.where(rank < budget, flat, 0.0)
        out, start = [], 0
        for value, keep in zip(values, prunable):
            if keep:
                out.append(kept[start:start + value.size].reshape(value.shape).astype(value.dtype))
                start += value.size
            else:
                out.append(value)
        return loss_fn(jax.tree_util.tree_unflatten(treedef, out))

    return np.asarray(jax.jit(jax.vmap(pruned_loss))(jnp.asarray(budgets)))


def parameters_needed(budgets, losses, target: float):
    r"""The smallest budget whose loss is at most ``target``: :math:`\min\{n : \ell_n \le \ell^*\}`
    (``None`` when no budget reaches it), the lower-left reading of a pruning curve.

    Args:
        budgets: ``(B,)`` parameter counts; losses: ``(B,)`` the loss at each (e.g. from
            :func:`pruned_losses`); target: :math:`\ell^*`.

    Raises:
        ValueError: ``budgets`` and ``losses`` of different shapes, or not 1-D.

    Example:
        >>> parameters_needed([10, 20, 40], [0.5, 0.008, 0.002], 0.01)
        20
    """
    budgets, losses = np.asarray(budgets), np.asarray(losses, float)
    if budgets.ndim != 1 or budgets.shape != losses.shape:
        raise ValueError(f"budgets and losses must be 1-D of one length, got shapes {budgets.shape} and {losses.shape}")
    reached = budgets[losses <= target]
    return int(reached.min()) if reached.size else None


def knock_out_neurons(spec, params, neurons: Iterable[tuple[int, int]]):
    """ONE network with every weight into and out of the given neurons set to zero (and their
    biases, and embedding columns for the embedding layer).

    Args:
        spec: a :class:`~toyscope.nets.LayeredNetwork`.
        params: its params (one network).
        neurons: ``(layer, slot)`` pairs; for a token network, layer-0 slots count over all
            tokens' inputs (``token * d_0 + position``), as in :func:`neuron_graph`.

    Returns:
        The edited params.
    """
    params = jax.tree_util.tree_map(jnp.asarray, params)
    layers = [dict(layer) for layer in params["layers"]]
    out = {**params, "layers": layers}
    n_layers = len(layers)
    for layer, slot in neurons:
        if not 0 <= layer <= n_layers:
            raise ValueError(f"neuron layer must be in [0, {n_layers}], got {layer}")
        if layer > 0:
            layers[layer - 1]["weight"] = layers[layer - 1]["weight"].at[:, slot].set(0.0)
            if "bias" in layers[layer - 1]:
                layers[layer - 1]["bias"] = layers[layer - 1]["bias"].at[slot].set(0.0)
        if layer < n_layers:
            layers[layer]["weight"] = layers[layer]["weight"].at[slot, :].set(0.0)
        if layer == 0 and "embedding" in params:
            width = params["embedding"].shape[1]
            out["embedding"] = out["embedding"].at[:, slot % width].set(0.0)
    return out
