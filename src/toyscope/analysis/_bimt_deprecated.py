"""The BIMT names ``toyscope.analysis`` exported before ``toyscope.bimt`` existed, kept for one
release: each warns once per call (``DeprecationWarning``) and calls the ``toyscope.bimt``
function that replaces it (the MLP names take a ``LayeredNetwork`` and a list of distance
matrices, as before; the ``transformer_*`` names a ``TinyTransformer``)."""

from __future__ import annotations

import warnings

import numpy as np

from .. import bimt


def _warn(old: str, new: str) -> None:
    warnings.warn(f"toyscope.analysis.{old} is deprecated; use toyscope.bimt.{new}", DeprecationWarning, stacklevel=3)


def _network(params) -> dict:
    return params if isinstance(params, dict) else {"layers": list(params)}


def _check_list(params, distances) -> None:
    layers = _network(params)["layers"]
    if len(distances) != len(layers):
        raise ValueError(f"distances needs one matrix per weight layer ({len(layers)}), got {len(distances)}")
    for index, (layer, dist) in enumerate(zip(layers, distances)):
        rows, cols = layer["weight"].shape[-2:]
        if dist.shape[1] != cols or rows % dist.shape[0]:
            raise ValueError(f"distances[{index}] has shape {tuple(dist.shape)}; weight layer {index} is ({rows}, {cols})")


def _distance_dict(params, distances) -> dict:
    """A list of ``(n_{i-1}, n_i)`` matrices as ``network_distances``' dict (tiled over token groups)."""
    out = {}
    for index, (layer, dist) in enumerate(zip(_network(params)["layers"], distances)):
        dist = np.asarray(dist)
        groups = layer["weight"].shape[-2] // dist.shape[0]
        out[("layers", index)] = np.tile(dist, (groups, 1)) if groups > 1 else dist
    return out


def _params_layout(params) -> bimt.NetworkLayout:
    """The cost's view of MLP params (no spec): one linear layer per weight, the embedding charged."""
    network = _network(params)
    layers = network["layers"]
    groups = 1
    if "embedding" in network:
        groups = layers[0]["weight"].shape[-2] // network["embedding"].shape[-1]
    linear = tuple(bimt.LinearLayer(f"layer{i}", (("layers", i),), i, row_groups=groups if i == 0 else 1)
                   for i in range(len(layers)))
    lines = tuple((f"layer{i}", 1) for i in range(len(layers) + 1))
    return bimt.NetworkLayout(lines, linear, (), (("embedding",),) if "embedding" in network else ())


def check_distances(params, distances) -> None:
    """Deprecated: :func:`toyscope.bimt.check_distances`."""
    _warn("check_distances", "check_distances")
    _check_list(params, distances)


def connection_cost(params, distances, *, layer_gap: float, penalize_bias: bool = True, normalization: str = "sum"):
    """Deprecated: :func:`toyscope.bimt.connection_cost` with :func:`toyscope.bimt.mlp_layout`."""
    _warn("connection_cost", "connection_cost")
    if normalization not in bimt.NORMALIZATIONS:
        raise ValueError(f"unknown normalization {normalization!r}; valid: {', '.join(bimt.NORMALIZATIONS)}")
    _check_list(params, distances)
    return bimt.connection_cost(_params_layout(params), _network(params), _distance_dict(params, distances),
                                layer_gap=layer_gap, penalize_bias=penalize_bias, normalization=normalization)


def swappable_layers(spec, *, swap_inputs: bool = True, swap_outputs: bool = True) -> list[int]:
    """Deprecated: :func:`toyscope.bimt.swappable_groups` of :func:`toyscope.bimt.mlp_layout`."""
    _warn("swappable_layers", "swappable_groups")
    last = spec.mlp.n_layers
    return [l for l in range(last + 1) if (0 < l < last) or (l == 0 and swap_inputs) or (l == last and swap_outputs)]


def neuron_scores(spec, params, layer: int):
    """Deprecated: :func:`toyscope.bimt.neuron_scores`."""
    _warn("neuron_scores", "neuron_scores")
    return bimt.neuron_scores(params, bimt.mlp_layout(spec).groups[layer])


def permute_neuron_layer(spec, tree, layer: int, order):
    """Deprecated: :func:`toyscope.bimt.permute_group`."""
    _warn("permute_neuron_layer", "permute_group")
    return bimt.permute_group(tree, bimt.mlp_layout(spec).groups[layer], order)


def swap_cost_changes(spec, params, distances, layer: int, *, normalization: str = "sum"):
    """Deprecated: :func:`toyscope.bimt.swap_cost_changes`."""
    _warn("swap_cost_changes", "swap_cost_changes")
    layout = bimt.mlp_layout(spec)
    return bimt.swap_cost_changes(layout, params, _distance_dict(params, distances), layout.groups[layer],
                                  normalization=normalization)


def swap_neurons(spec, params, distances, *, top_k: int, swap_inputs: bool = True, swap_outputs: bool = True,
                 opt_state=None, normalization: str = "sum"):
    """Deprecated: :func:`toyscope.bimt.swap_neurons` with :func:`toyscope.bimt.mlp_layout`."""
    _warn("swap_neurons", "swap_neurons")
    if top_k < 1:
        raise ValueError(f"top_k must be >= 1, got {top_k}")
    _check_list(params, distances)
    return bimt.swap_neurons(bimt.mlp_layout(spec), params, _distance_dict(params, distances), top_k=top_k,
                             swap_inputs=swap_inputs, swap_outputs=swap_outputs, opt_state=opt_state,
                             normalization=normalization)


def swap_hook(spec, distances, *, top_k: int, swap_inputs: bool = True, swap_outputs: bool = True,
              normalization: str = "sum"):
    """Deprecated: :func:`toyscope.bimt.swap_hook` with :func:`toyscope.bimt.mlp_layout`."""
    _warn("swap_hook", "swap_hook")
    layout = bimt.mlp_layout(spec)
    tiled = {}
    for linear, dist in zip(layout.linear_layers, distances):
        tiled[linear.paths[0]] = np.tile(np.asarray(dist), (linear.row_groups, 1)) if linear.row_groups > 1 else dist
    return bimt.swap_hook(layout, tiled, top_k=top_k, swap_inputs=swap_inputs, swap_outputs=swap_outputs,
                          normalization=normalization)


def transformer_lines(spec) -> list:
    """Deprecated: ``toyscope.bimt.transformer_layout(spec).lines``."""
    _warn("transformer_lines", "transformer_layout(spec).lines")
    return list(bimt.transformer_layout(spec).lines)


def transformer_linear_layers(spec) -> list:
    """Deprecated: ``toyscope.bimt.transformer_layout(spec).linear_layers``."""
    _warn("transformer_linear_layers", "transformer_layout(spec).linear_layers")
    return list(bimt.transformer_layout(spec).linear_layers)


def transformer_neuron_groups(spec, *, swap_inputs: bool = True, swap_outputs: bool = True) -> list:
    """Deprecated: :func:`toyscope.bimt.swappable_groups` of :func:`toyscope.bimt.transformer_layout`."""
    _warn("transformer_neuron_groups", "swappable_groups")
    return bimt.swappable_groups(bimt.transformer_layout(spec), swap_inputs=swap_inputs, swap_outputs=swap_outputs)


def transformer_group(spec, name: str):
    """Deprecated: ``toyscope.bimt.transformer_layout(spec).group(name)``."""
    _warn("transformer_group", "transformer_layout(spec).group")
    return bimt.transformer_layout(spec).group(name)


def transformer_coordinates(spec, *, extent: float = 2.0, layer_gap: float = 0.5):
    """Deprecated: :func:`toyscope.bimt.network_coordinates`."""
    _warn("transformer_coordinates", "network_coordinates")
    return bimt.network_coordinates(bimt.transformer_layout(spec), extent=extent, layer_gap=layer_gap)


def transformer_distances(spec, *, extent: float = 2.0, layer_gap: float = 0.5, norm: str = "l1"):
    """Deprecated: :func:`toyscope.bimt.network_distances`."""
    _warn("transformer_distances", "network_distances")
    return bimt.network_distances(bimt.transformer_layout(spec), extent=extent, layer_gap=layer_gap, norm=norm)


def transformer_connection_cost(spec, params, distances, *, layer_gap: float, penalize_bias: bool = True,
                                normalization: str = "mean"):
    """Deprecated: :func:`toyscope.bimt.connection_cost` with :func:`toyscope.bimt.transformer_layout`."""
    _warn("transformer_connection_cost", "connection_cost")
    return bimt.connection_cost(bimt.transformer_layout(spec), params, distances, layer_gap=layer_gap,
                                penalize_bias=penalize_bias, normalization=normalization)


def transformer_neuron_scores(params, group):
    """Deprecated: :func:`toyscope.bimt.neuron_scores`."""
    _warn("transformer_neuron_scores", "neuron_scores")
    return bimt.neuron_scores(params, group)


def transformer_swap_cost_changes(spec, params, distances, group, *, normalization: str = "mean"):
    """Deprecated: :func:`toyscope.bimt.swap_cost_changes`."""
    _warn("transformer_swap_cost_changes", "swap_cost_changes")
    return bimt.swap_cost_changes(bimt.transformer_layout(spec), params, distances, group, normalization=normalization)


def permute_transformer_group(tree, group, order):
    """Deprecated: :func:`toyscope.bimt.permute_group`."""
    _warn("permute_transformer_group", "permute_group")
    return bimt.permute_group(tree, group, order)


def swap_transformer_neurons(spec, params, distances, *, top_k: int, swap_inputs: bool = True,
                             swap_outputs: bool = True, opt_state=None, normalization: str = "mean"):
    """Deprecated: :func:`toyscope.bimt.swap_neurons` with :func:`toyscope.bimt.transformer_layout`."""
    _warn("swap_transformer_neurons", "swap_neurons")
    return bimt.swap_neurons(bimt.transformer_layout(spec), params, distances, top_k=top_k, swap_inputs=swap_inputs,
                             swap_outputs=swap_outputs, opt_state=opt_state, normalization=normalization)


def transformer_swap_hook(spec, distances, *, top_k: int, swap_inputs: bool = True, swap_outputs: bool = True,
                          normalization: str = "mean"):
    """Deprecated: :func:`toyscope.bimt.swap_hook` with :func:`toyscope.bimt.transformer_layout`."""
    _warn("transformer_swap_hook", "swap_hook")
    return bimt.swap_hook(bimt.transformer_layout(spec), distances, top_k=top_k, swap_inputs=swap_inputs,
                          swap_outputs=swap_outputs, normalization=normalization)


def transformer_neuron_graph(spec, params):
    """Deprecated: :func:`toyscope.bimt.transformer_neuron_graph`."""
    _warn("transformer_neuron_graph", "transformer_neuron_graph")
    return bimt.transformer_neuron_graph(spec, params)


def transformer_weight_chain(spec, params):
    """Deprecated: :func:`toyscope.bimt.transformer_weight_chain`."""
    _warn("transformer_weight_chain", "transformer_weight_chain")
    return bimt.transformer_weight_chain(spec, params)


def transformer_weights(spec, params):
    """Deprecated: :func:`toyscope.bimt.network_weights` with :func:`toyscope.bimt.transformer_layout`."""
    _warn("transformer_weights", "network_weights")
    return bimt.network_weights(bimt.transformer_layout(spec), params)


# names that are the same object in toyscope.bimt: warn on attribute access instead
SAME = {"NORMS": "NORMS", "connection_distances": "connection_distances", "neuron_coordinates": "neuron_coordinates",
        "LinearLayer": "LinearLayer", "NeuronGroup": "NeuronGroup"}
WRAPPED = ("check_distances", "connection_cost", "neuron_scores", "permute_neuron_layer", "permute_transformer_group",
           "swap_cost_changes", "swap_hook", "swap_neurons", "swap_transformer_neurons", "swappable_layers",
           "transformer_connection_cost", "transformer_coordinates", "transformer_distances", "transformer_group",
           "transformer_linear_layers", "transformer_lines", "transformer_neuron_graph", "transformer_neuron_groups",
           "transformer_neuron_scores", "transformer_swap_cost_changes", "transformer_swap_hook",
           "transformer_weight_chain", "transformer_weights")


def lookup(name: str):
    """The deprecated object called ``name`` (warning for the names that are plain re-exports)."""
    if name in SAME:
        warnings.warn(f"toyscope.analysis.{name} is deprecated; use toyscope.bimt.{SAME[name]}", DeprecationWarning,
                      stacklevel=3)
        return getattr(bimt, SAME[name])
    return globals()[name]
