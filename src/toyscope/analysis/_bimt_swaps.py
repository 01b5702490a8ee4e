r"""Swapping neurons to shorten connections (BIMT, Step 3), vectorised and jittable.

Put neuron :math:`a` of neuron layer :math:`l` at slot :math:`s` of the same layer; the cost of
its incoming and outgoing weights would be

.. math::

    M_{as} = \sum_p |W_l|_{pa}\, d^{(l)}_{ps} + \sum_q |W_{l+1}|_{aq}\, d^{(l+1)}_{sq},
    \qquad M = |W_l|^\top D_l + |W_{l+1}| D_{l+1}^\top ,

(rows of :math:`W_{l+1}` summed over token groups for the embedding layer). Neurons in one
layer are not connected to each other, so exchanging neurons :math:`a` and :math:`b` changes
the connection cost by exactly

.. math:: \Delta_{ab} = M_{ab} + M_{ba} - M_{aa} - M_{bb}

(biases do not move). :func:`swap_cost_changes` returns the whole :math:`\Delta` with two
matrix products. :func:`swap_neurons` follows the paper: layer by layer, score each neuron by
:math:`s_j = \sum |w_\text{in}| + \sum |w_\text{out}|`, take the top ``k``, and swap each with
the neuron of its layer that lowers the cost most, if any lowers it. A layer's ``k`` swaps are a
``fori_loop`` over rows of :math:`M` (a swap only exchanges two rows), and the layer's
parameters are permuted once at the end, so the whole step is one jitted computation.

The permutation is applied by :func:`permute_neuron_layer`, which works on any pytree shaped
like the params, so Adam's moments are permuted with the weights
(``toyscope.train.map_param_shaped``), which the paper's code does not do.

Reference: Liu, Gan & Tegmark, Entropy 26 (2024) 41, Section 2, Step 3.
"""

from __future__ import annotations

from collections.abc import Sequence

import jax
import jax.numpy as jnp

from .. import train
from ..nets import LayeredNetwork
from ._connection_cost import check_distances


def _incoming(spec: LayeredNetwork, params, layer: int):
    """|weights| into neuron layer ``layer`` as ``(rows, n_l)``; ``None`` for layer 0 (raw inputs,
    or an embedding whose cost does not depend on position)."""
    if layer == 0:
        return None
    return jnp.abs(params["layers"][layer - 1]["weight"])


def _outgoing(spec: LayeredNetwork, params, layer: int):
    """|weights| out of neuron layer ``layer`` as ``(n_l, n_{l+1})``, summed over token groups."""
    if layer == spec.mlp.n_layers:
        return None
    weight = jnp.abs(params["layers"][layer]["weight"])
    if layer == 0 and spec.n_tokens:
        weight = weight.reshape(spec.n_tokens, -1, weight.shape[-1]).sum(axis=0)
    return weight


def _placement_costs(spec: LayeredNetwork, params, distances, layer: int, normalization: str = "sum"):
    """:math:`M_{as}`, ``(n_l, n_l)``: cost of neuron a's weights if it sat at slot s (with
    ``normalization="mean"`` each weight layer's term is divided by its number of weights)."""
    n = spec.neuron_widths[layer]
    placement = jnp.zeros((n, n))
    incoming = _incoming(spec, params, layer)
    if incoming is not None:
        dist = jnp.asarray(distances[layer - 1])
        if incoming.shape[0] != dist.shape[0]:  # first hidden layer fed by token groups
            dist = jnp.tile(dist, (incoming.shape[0] // dist.shape[0], 1))
        scale = incoming.size if normalization == "mean" else 1
        placement = placement + incoming.T @ dist / scale
    outgoing = _outgoing(spec, params, layer)
    if outgoing is not None:
        scale = params["layers"][layer]["weight"].size if normalization == "mean" else 1
        placement = placement + outgoing @ jnp.asarray(distances[layer]).T / scale
    return placement


def neuron_scores(spec: LayeredNetwork, params, layer: int):
    r"""Importance :math:`s_j = \sum_p |w_{pj}| + \sum_q |w_{jq}|` of each neuron of ``layer``
    (the embedding's entries count as incoming weights), ``(n_l,)``, for ONE network."""
    score = jnp.zeros((spec.neuron_widths[layer],))
    incoming = _incoming(spec, params, layer)
    if incoming is not None:
        score = score + incoming.sum(axis=0)
    elif spec.n_tokens:
        score = score + jnp.abs(params["embedding"]).sum(axis=0)
    outgoing = _outgoing(spec, params, layer)
    if outgoing is not None:
        score = score + outgoing.sum(axis=1)
    return score


def swap_cost_changes(spec: LayeredNetwork, params, distances: Sequence, layer: int, *, normalization: str = "sum"):
    r"""Change :math:`\Delta_{ab}` of the connection cost if neurons a and b of ``layer`` swapped.

    Args:
        spec: the network; params: ONE network's params.
        distances: one ``(n_{i-1}, n_i)`` distance matrix per weight layer (the swap geometry).
        layer: neuron layer ``0..L``.
        normalization: ``"sum"`` or ``"mean"``, as in :func:`~toyscope.analysis.connection_cost`.

    Returns:
        ``(n_l, n_l)``, symmetric, zero diagonal.
    """
    placement = _placement_costs(spec, params, distances, layer, normalization)
    diag = jnp.diag(placement)
    return placement + placement.T - diag[:, None] - diag[None, :]


def permute_neuron_layer(spec: LayeredNetwork, tree, layer: int, order):
    """Put neuron ``order[s]`` of ``layer`` at slot ``s`` in a params-shaped ``tree``.

    Moves the neurons' incoming weights and biases, outgoing weights (for every token group),
    embedding columns, and the input / output order. Works on one network's params and on any
    param-shaped pytree (e.g. Adam's moments).
    """
    layers = [dict(layer_params) for layer_params in tree["layers"]]
    out = {**tree, "layers": layers}
    if layer > 0:
        layers[layer - 1]["weight"] = layers[layer - 1]["weight"][:, order]
        if "bias" in layers[layer - 1]:
            layers[layer - 1]["bias"] = layers[layer - 1]["bias"][order]
    if layer < spec.mlp.n_layers:
        weight = layers[layer]["weight"]
        if layer == 0 and spec.n_tokens:
            grouped = weight.reshape(spec.n_tokens, -1, weight.shape[-1])
            layers[layer]["weight"] = grouped[:, order].reshape(weight.shape)
        else:
            layers[layer]["weight"] = weight[order]
    if layer == 0:
        if spec.n_tokens:
            out["embedding"] = tree["embedding"][:, order]
        else:
            out["input_order"] = tree["input_order"][order]
    if layer == spec.mlp.n_layers:
        out["output_order"] = tree["output_order"][order]
    return out


def _layer_swaps(placement, score, top_k: int, allowed=None):
    """Greedy swaps of the top-k neurons; returns (order, n_swaps, cost change). ``allowed``
    (optional ``(n, n)`` bool, by slot) restricts partners, e.g. to the same attention head."""
    n = placement.shape[0]
    important = jax.lax.top_k(score, min(top_k, n))[1]

    def body(i, carry):
        order, rows, n_swaps, change = carry  # rows[s] = placement row of the neuron at slot s
        slot = jnp.argmax(order == important[i])
        diag = jnp.take_along_axis(rows, jnp.arange(n)[:, None], axis=1)[:, 0]
        delta = rows[slot] + rows[:, slot] - diag[slot] - diag
        if allowed is not None:
            delta = jnp.where(allowed[slot], delta, jnp.inf)
        partner = jnp.argmin(delta)
        gain = delta[partner]
        do = gain < 0
        swap = jnp.arange(n).at[slot].set(partner).at[partner].set(slot)
        swap = jnp.where(do, swap, jnp.arange(n))
        return order[swap], rows[swap], n_swaps + do.astype(jnp.int32), change + jnp.where(do, gain, 0.0)

    init = (jnp.arange(n), placement, jnp.zeros((), jnp.int32), jnp.zeros(()))
    order, _, n_swaps, change = jax.lax.fori_loop(0, important.shape[0], body, init)
    return order, n_swaps, change


def swappable_layers(spec: LayeredNetwork, *, swap_inputs: bool = True, swap_outputs: bool = True) -> list[int]:
    """Neuron layers whose neurons may be swapped: hidden ones, plus inputs/outputs if allowed."""
    last = spec.mlp.n_layers
    return [l for l in range(last + 1) if (0 < l < last) or (l == 0 and swap_inputs) or (l == last and swap_outputs)]


def swap_neurons(spec: LayeredNetwork, params, distances: Sequence, *, top_k: int, swap_inputs: bool = True,
                 swap_outputs: bool = True, opt_state=None, normalization: str = "sum"):
    r"""One round of BIMT swaps on ONE network, layer by layer (inputs first).

    Args:
        spec: the network; params: its params.
        distances: one ``(n_{i-1}, n_i)`` matrix per weight layer, the geometry swaps are
            scored with (the local one, also in the "L1 + swap" ablation).
        top_k: :math:`k`, neurons per layer that look for a partner.
        swap_inputs, swap_outputs: whether input (or embedding) and output neurons may move.
        opt_state: an optax state whose param-shaped parts (Adam's moments) are permuted too.
        normalization: the cost's ``"sum"`` or per-layer ``"mean"`` (see ``connection_cost``).

    Returns:
        ``(params, opt_state, n_swaps, cost_change)``; the network computes the same function.

    Raises:
        ValueError: ``top_k < 1``, or distances that do not match the weights.
    """
    if top_k < 1:
        raise ValueError(f"top_k must be >= 1, got {top_k}")
    check_distances(params, distances)
    n_swaps, change = jnp.zeros((), jnp.int32), jnp.zeros(())
    for layer in swappable_layers(spec, swap_inputs=swap_inputs, swap_outputs=swap_outputs):
        placement = _placement_costs(spec, params, distances, layer, normalization)
        order, layer_swaps, layer_change = _layer_swaps(placement, neuron_scores(spec, params, layer), top_k)
        template = params
        params = permute_neuron_layer(spec, params, layer, order)
        if opt_state is not None:
            opt_state = train.map_param_shaped(lambda tree: permute_neuron_layer(spec, tree, layer, order),
                                               opt_state, template)
        n_swaps, change = n_swaps + layer_swaps, change + layer_change
    return params, opt_state, n_swaps, change


def swap_hook(spec: LayeredNetwork, distances: Sequence, *, top_k: int, swap_inputs: bool = True,
              swap_outputs: bool = True, normalization: str = "sum"):
    """A ``toyscope.train.train`` ``periodic_hook`` running :func:`swap_neurons`.

    ``aux`` must be a dict with an int ``"n_swaps"`` counter (it is incremented).
    """
    distances = [jnp.asarray(d) for d in distances]

    def hook(params, opt_state, aux):
        params, opt_state, n_swaps, _ = swap_neurons(spec, params, distances, top_k=top_k, swap_inputs=swap_inputs,
                                                     swap_outputs=swap_outputs, opt_state=opt_state,
                                                     normalization=normalization)
        return params, opt_state, {**aux, "n_swaps": aux["n_swaps"] + n_swaps}

    return hook
