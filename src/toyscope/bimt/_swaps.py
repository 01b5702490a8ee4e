r"""Swapping neurons to shorten connections (BIMT, Step 3), for any neuron groups; jittable.

Put neuron :math:`a` of a :class:`~toyscope.bimt.NeuronGroup` at slot :math:`s` of the group; the
cost of its incoming and outgoing weights would be

.. math::

    M_{as} = \sum_{W_\text{in}} \sum_p |W_\text{in}|_{pa}\, d_{ps} + \sum_{W_\text{out}} \sum_q |W_\text{out}|_{aq}\, d_{sq},
    \qquad M = \sum |W_\text{in}|^\top D + \sum |W_\text{out}| D^\top ,

(rows of an outgoing weight summed over token groups; each term scaled as the cost's
normalisation scales its linear layer). No weight joins two neurons of one group, so exchanging
neurons :math:`a` and :math:`b` changes the connection cost by exactly

.. math:: \Delta_{ab} = M_{ab} + M_{ba} - M_{aa} - M_{bb}

(biases do not move). :func:`swap_cost_changes` returns the whole :math:`\Delta` with two matrix
products per weight. :func:`swap_neurons` follows the paper: group by group, score each neuron by
:math:`s_j = \sum |w_\text{in}| + \sum |w_\text{out}|`, take the top ``k`` and swap each with the
neuron (of its head) that lowers the cost most, if any lowers it. A group's ``k`` swaps are a
``fori_loop`` over rows of :math:`M` (a swap only exchanges two rows), and the group's leaves are
permuted once at the end, so the whole round is one jitted computation.

Two readings of "for each important neuron" (``loop``): ``"neuron"`` (default) follows each of
the top-``k`` *neurons* wherever earlier swaps of the round put it, and swaps only on a strict
gain; ``"position"`` is the authors' code (``relocate_i`` / ``relocate_ij`` of their notebooks,
e.g. ``symbolic_formulas_3.1.ipynb`` cell 2): the top-``k`` *slots* are fixed once per group,
whatever sits at a slot when its turn comes is moved to the slot of the lowest resulting cost,
the slot itself included, first slot on ties (so a zero-gain swap happens when an earlier slot
ties; equal scores are taken higher slot first, as their ``flip(argsort(score))``). Two scores (``score``): ``"with-embedding"`` (default) counts an input neuron's embedding
entries as incoming weights; ``"weights"`` is the authors' (``get_top_id``: linear layers' weights
only). A group whose heads move
with another (query-key with value-output) first swaps whole heads of both, scored by the
summed :math:`M` of the two groups.

:func:`permute_group` works on any pytree shaped like the params, so Adam's moments are permuted
with the weights (``toyscope.train.map_param_shaped``), which the paper's code does not do.

Reference: Liu, Gan & Tegmark, Entropy 26 (2024) 41, Section 2, Step 3 and Appendix F.1.
"""

from __future__ import annotations

from collections.abc import Mapping

import jax
import jax.numpy as jnp
import numpy as np

from .. import train
from ._cost import check_distances, check_normalization, weight_scales
from ._layout import NetworkLayout, NeuronGroup, Path, get_path, set_path


def _outgoing(weight, group: NeuronGroup):
    """|rows| of an outgoing weight, ``(size, cols)``, summed over the group's token copies."""
    weight = jnp.abs(weight)
    if group.row_groups > 1:
        weight = weight.reshape(group.row_groups, -1, weight.shape[-1]).sum(axis=0)
    return weight


def _placement_costs(layout: NetworkLayout, params, distances, group: NeuronGroup, normalization: str):
    """:math:`M_{as}` ``(n, n)``: cost of neuron a's weights if it sat at slot s."""
    scales = weight_scales(layout, params, normalization)
    placement = jnp.zeros((group.size, group.size))
    for path in group.columns:
        weight, dist = jnp.abs(get_path(params, path)), jnp.asarray(distances[path[:-1]])
        placement = placement + scales[path[:-1]] * (weight.T @ dist)
    for path in group.rows:
        weight, dist = _outgoing(get_path(params, path), group), jnp.asarray(distances[path[:-1]])[:group.size]
        placement = placement + scales[path[:-1]] * (weight @ dist.T)
    return placement


SWAP_LOOPS = ("neuron", "position")
SWAP_SCORES = ("with-embedding", "weights")


def neuron_scores(params, group: NeuronGroup, *, score: str = "with-embedding"):
    r"""Importance :math:`s_j = \sum |w_\text{in}| + \sum |w_\text{out}|` of each neuron of ``group``,
    ``(n,)``, for ONE network. ``score="with-embedding"`` counts an embedding's entries as incoming
    weights; ``"weights"`` (the authors') counts linear layers' weights only."""
    if score not in SWAP_SCORES:
        raise ValueError(f"unknown swap score {score!r}; valid: {', '.join(SWAP_SCORES)}")
    total = jnp.zeros((group.size,))
    unplaced = group.unplaced_columns if score == "with-embedding" else ()
    for path in (*group.columns, *unplaced):
        total = total + jnp.abs(get_path(params, path)).sum(axis=0)
    for path in group.rows:
        total = total + _outgoing(get_path(params, path), group).sum(axis=1)
    return total


def swap_cost_changes(layout: NetworkLayout, params, distances: Mapping[Path, np.ndarray], group: NeuronGroup, *,
                      normalization: str = "sum"):
    r"""Change :math:`\Delta_{ab}` of the connection cost if neurons a and b of ``group`` exchanged
    places, for ONE network.

    Args:
        layout: the network; params: one network's params.
        distances: :func:`~toyscope.bimt.network_distances` (the swap geometry).
        group: one of ``layout.groups``.
        normalization: ``"sum"`` or ``"mean"``, as in :func:`~toyscope.bimt.connection_cost`.

    Returns:
        ``(n, n)``, symmetric, zero diagonal (pairs in different heads included: not allowed
        swaps, but the number is still the cost change of exchanging them).

    Raises:
        ValueError: unknown ``normalization``.
    """
    check_normalization(normalization)
    placement = _placement_costs(layout, params, distances, group, normalization)
    diag = jnp.diag(placement)
    return placement + placement.T - diag[:, None] - diag[None, :]


def permute_group(tree, group: NeuronGroup, order):
    """Put neuron ``order[s]`` of ``group`` at slot ``s`` in a params-shaped ``tree`` (params or
    Adam's moments): its columns (also unplaced ones), rows (in every token group) and vectors move."""
    for path in (*group.columns, *group.unplaced_columns):
        tree = set_path(tree, path, get_path(tree, path)[:, order])
    for path in group.rows:
        weight = get_path(tree, path)
        if group.row_groups > 1:
            moved = weight.reshape(group.row_groups, -1, weight.shape[-1])[:, order].reshape(weight.shape)
        else:
            moved = weight[order]
        tree = set_path(tree, path, moved)
    for path in group.vectors:
        tree = set_path(tree, path, get_path(tree, path)[order])
    return tree


def _top_slots(score, k: int, by_position: bool):
    """Indices of the ``k`` largest scores, largest first; equal scores lower index first, or
    (``by_position``, as the authors' ``torch.flip(torch.argsort(score))[:k]``) higher first."""
    if not by_position:
        return jax.lax.top_k(score, k)[1]
    return score.shape[0] - 1 - jax.lax.top_k(score[::-1], k)[1]


def _group_swaps(placement, score, top_k: int, allowed=None, by_position: bool = False):
    """Greedy swaps of the top-k neurons (or, ``by_position``, of whatever sits at the top-k
    slots); returns (order, n_swaps, cost change). ``allowed`` (optional ``(n, n)`` bool, by slot)
    restricts partners, e.g. to the same attention head."""
    n = placement.shape[0]
    important = _top_slots(score, min(top_k, n), by_position)

    def body(i, carry):
        order, rows, n_swaps, change = carry  # rows[s] = placement row of the neuron at slot s
        slot = important[i] if by_position else jnp.argmax(order == important[i])
        diag = jnp.take_along_axis(rows, jnp.arange(n)[:, None], axis=1)[:, 0]
        delta = rows[slot] + rows[:, slot] - diag[slot] - diag
        if by_position:
            delta = delta.at[slot].set(0.0)
        if allowed is not None:
            delta = jnp.where(allowed[slot], delta, jnp.inf)
        partner = jnp.argmin(delta)
        gain = delta[partner]
        do = (partner != slot) if by_position else gain < 0
        swap = jnp.arange(n).at[slot].set(partner).at[partner].set(slot)
        swap = jnp.where(do, swap, jnp.arange(n))
        return order[swap], rows[swap], n_swaps + do.astype(jnp.int32), change + jnp.where(do, gain, 0.0)

    init = (jnp.arange(n), placement, jnp.zeros((), jnp.int32), jnp.zeros(()))
    order, _, n_swaps, change = jax.lax.fori_loop(0, important.shape[0], body, init)
    return order, n_swaps, change


def _head_swaps(placement, score, n_heads: int, head_size: int, top_k: int, by_position: bool = False):
    """Greedy swaps of whole heads (blocks of slots); returns (slot order, n_swaps, change);
    ``by_position`` as in :func:`_group_swaps`."""
    head_score = score.reshape(n_heads, head_size).mean(axis=1)
    important = _top_slots(head_score, min(top_k, n_heads), by_position)
    offsets = jnp.arange(head_size)

    def body(i, carry):
        head_order, n_swaps, change = carry  # head_order[h] = original head sitting at head slot h
        order = (head_order[:, None] * head_size + offsets).reshape(-1)
        rows = placement[order]
        diag = jnp.diag(rows)
        pair = rows + rows.T - diag[:, None] - diag[None, :]
        block = jnp.einsum("hiki->hk", pair.reshape(n_heads, head_size, n_heads, head_size))
        slot = important[i] if by_position else jnp.argmax(head_order == important[i])
        partner = jnp.argmin(block[slot].at[slot].set(0.0) if by_position else block[slot])
        gain = block[slot, partner]
        do = (partner != slot) if by_position else gain < 0
        swap = jnp.arange(n_heads).at[slot].set(partner).at[partner].set(slot)
        swap = jnp.where(do, swap, jnp.arange(n_heads))
        return head_order[swap], n_swaps + do.astype(jnp.int32), change + jnp.where(do, gain, 0.0)

    init = (jnp.arange(n_heads), jnp.zeros((), jnp.int32), jnp.zeros(()))
    head_order, n_swaps, change = jax.lax.fori_loop(0, important.shape[0], body, init)
    return (head_order[:, None] * head_size + offsets).reshape(-1), n_swaps, change


def _same_head(group: NeuronGroup):
    head = jnp.arange(group.size) // group.head_size
    return head[:, None] == head[None, :]


def _apply_order(params, opt_state, group: NeuronGroup, order, template):
    if opt_state is not None:
        opt_state = train.map_param_shaped(lambda t: permute_group(t, group, order), opt_state, template)
    return permute_group(params, group, order), opt_state


def swappable_groups(layout: NetworkLayout, *, swap_inputs: bool = True, swap_outputs: bool = True) -> list[NeuronGroup]:
    """The groups whose neurons may be swapped, in swap order: all but ``"input"`` / ``"output"``
    when those may not move."""
    return [g for g in layout.groups if (g.name != "input" or swap_inputs) and (g.name != "output" or swap_outputs)]


def swap_neurons(layout: NetworkLayout, params, distances: Mapping[Path, np.ndarray], *, top_k: int,
                 swap_inputs: bool = True, swap_outputs: bool = True, opt_state=None, normalization: str = "sum",
                 loop: str = "neuron", score: str = "with-embedding"):
    r"""One round of BIMT swaps on ONE network, group by group (see the module docstring).

    Args:
        layout: the network; params: its params.
        distances: :func:`~toyscope.bimt.network_distances`, the geometry swaps are scored with
            (the local one, also in the "L1 + swap" ablation).
        top_k: :math:`k`, neurons (and heads) per group that look for a partner.
        swap_inputs, swap_outputs: whether input (or embedding) and output neurons may move.
        opt_state: an optax state whose param-shaped parts (Adam's moments) are permuted too.
        normalization: the cost's ``"sum"`` or ``"mean"`` (see :func:`~toyscope.bimt.connection_cost`).
        loop: ``"neuron"`` (follow each important neuron, swap on a strict gain) or
            ``"position"`` (the authors': fixed top-k slots, best slot including staying, first on
            ties); see the module docstring.
        score: ``"with-embedding"`` or ``"weights"`` (the authors'), see :func:`neuron_scores`.

    Returns:
        ``(params, opt_state, n_swaps, cost_change)``; the network computes the same function.
        ``n_swaps`` counts exchanges made (with ``loop="position"`` also zero-gain ones).

    Raises:
        ValueError: ``top_k < 1``, unknown ``normalization``, ``loop`` or ``score``, or distances
            that do not match the weights.

    Example:
        >>> import jax
        >>> from toyscope import bimt, nets
        >>> spec = nets.layered_network([3, 8, 2])
        >>> layout = bimt.mlp_layout(spec)
        >>> params = nets.init(spec, key=jax.random.key(0))
        >>> _, _, n_swaps, change = bimt.swap_neurons(layout, params, bimt.network_distances(layout), top_k=4)
        >>> float(change) <= 0
        True
    """
    if top_k < 1:
        raise ValueError(f"top_k must be >= 1, got {top_k}")
    if loop not in SWAP_LOOPS:
        raise ValueError(f"unknown swap loop {loop!r}; valid: {', '.join(SWAP_LOOPS)}")
    if score not in SWAP_SCORES:
        raise ValueError(f"unknown swap score {score!r}; valid: {', '.join(SWAP_SCORES)}")
    by_position = loop == "position"
    check_normalization(normalization)
    check_distances(layout, params, distances)
    n_swaps, change = jnp.zeros((), jnp.int32), jnp.zeros(())
    for group in swappable_groups(layout, swap_inputs=swap_inputs, swap_outputs=swap_outputs):
        if group.heads_move_with is not None and group.size > group.head_size:
            partner = layout.group(group.heads_move_with)
            placement = (_placement_costs(layout, params, distances, group, normalization)
                         + _placement_costs(layout, params, distances, partner, normalization))
            scores = neuron_scores(params, group, score=score) + neuron_scores(params, partner, score=score)
            order, head_swaps, head_change = _head_swaps(placement, scores, group.size // group.head_size,
                                                         group.head_size, top_k, by_position)
            template = params
            params, opt_state = _apply_order(params, opt_state, group, order, template)
            params, opt_state = _apply_order(params, opt_state, partner, order, template)
            n_swaps, change = n_swaps + head_swaps, change + head_change
        placement = _placement_costs(layout, params, distances, group, normalization)
        allowed = None if group.head_size == group.size else _same_head(group)
        order, group_swaps, group_change = _group_swaps(placement, neuron_scores(params, group, score=score), top_k,
                                                        allowed=allowed, by_position=by_position)
        params, opt_state = _apply_order(params, opt_state, group, order, params)
        n_swaps, change = n_swaps + group_swaps, change + group_change
    return params, opt_state, n_swaps, change


def swap_hook(layout: NetworkLayout, distances: Mapping[Path, np.ndarray], *, top_k: int, swap_inputs: bool = True,
              swap_outputs: bool = True, normalization: str = "sum", loop: str = "neuron",
              score: str = "with-embedding"):
    """A ``toyscope.train.train`` ``periodic_hook`` running :func:`swap_neurons`.

    ``aux`` must be a dict with an int ``"n_swaps"`` counter (it is incremented).
    """
    distances = {path: jnp.asarray(d) for path, d in distances.items()}

    def hook(params, opt_state, aux):
        params, opt_state, n_swaps, _ = swap_neurons(layout, params, distances, top_k=top_k, swap_inputs=swap_inputs,
                                                     swap_outputs=swap_outputs, opt_state=opt_state,
                                                     normalization=normalization, loop=loop, score=score)
        return params, opt_state, {**aux, "n_swaps": aux["n_swaps"] + n_swaps}

    return hook
