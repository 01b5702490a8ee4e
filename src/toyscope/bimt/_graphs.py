r"""A network's weights as graphs and chains, for modularity and active-weight counts.

:func:`network_weights` lists every weight matrix of a :class:`~toyscope.bimt.NetworkLayout`
(forward order); for an MLP that is the chain of layers :func:`toyscope.analysis.neuron_graph`
reads. A tiny transformer's weights do not chain, so it has its own graph
(:func:`transformer_neuron_graph`): one node per neuron: inputs, outputs, the ``d_model``
residual neurons ONCE (the stream is one set of neurons that every layer reads and writes; the
residual connections are identities), and per block its query, key, value and MLP neurons.
Edges are the weights of every linear layer, with weight :math:`|w|` summed over the weights
joining the same two neurons (a residual neuron and an MLP neuron are joined by an MLP-in and an
MLP-out weight; a residual and a value neuron by :math:`W_V` and :math:`W_O`). Biases, softmax
and the :math:`q\cdot k` product are not edges, so query and key neurons hang off the residual
neurons. :func:`transformer_weight_chain` gives the drawn chain of lines instead (each residual
line separate, no skip edges), whose modularity is reported beside it: a long chain of dense
layers already has a high Q.

Reference: Liu, Gan & Tegmark, Entropy 26 (2024) 41, Table 2, Section 3.4 and Figure 7.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..nets import TinyTransformer
from ._layout import NetworkLayout, get_path

if TYPE_CHECKING:
    import networkx as nx


def network_weights(layout: NetworkLayout, params) -> list[np.ndarray]:
    """Every weight matrix of ONE network (forward order) as numpy, e.g. to count active weights.

    Example:
        >>> import jax
        >>> from toyscope import bimt, nets
        >>> spec = nets.layered_network([2, 3, 1])
        >>> params = nets.init(spec, key=jax.random.key(0))
        >>> [w.shape for w in bimt.network_weights(bimt.mlp_layout(spec), params)]
        [(2, 3), (3, 1)]
    """
    return [np.asarray(get_path(params, (*p, "weight"))) for linear in layout.linear_layers for p in linear.paths]


def count_active_weights(layout: NetworkLayout, params, threshold: float) -> int:
    """Number of weights (not biases) of ONE network with :math:`|w| >` ``threshold``."""
    return sum(int((np.abs(w) > threshold).sum()) for w in network_weights(layout, params))


def transformer_neuron_graph(spec: TinyTransformer, params) -> nx.Graph:
    """The undirected neuron graph of ONE tiny transformer (see the module docstring), with nodes
    ``(kind, slot)``: ``("input", j)``, ``("res", j)``, ``("q0", j)``, ``("k0", j)``,
    ``("v0", j)``, ``("mlp0", j)``, ..., ``("output", j)`` and edge attribute ``weight``."""
    import networkx as nx  # imported where used: a lighter start

    get = lambda *path: np.abs(np.asarray(get_path(params, (*path, "weight")), dtype=float))  # noqa: E731
    edges: dict = {}

    def add(kind_in, kind_out, weight):
        rows, cols = np.nonzero(weight)
        for r, c in zip(rows.tolist(), cols.tolist()):
            key = frozenset(((kind_in, r), (kind_out, c)))
            edges[key] = edges.get(key, 0.0) + float(weight[r, c])

    graph = nx.Graph()
    nodes = [("input", spec.d_in), ("res", spec.d_model), ("output", spec.d_out)]
    for layer in range(spec.n_layers):
        nodes += [(f"q{layer}", spec.d_model), (f"k{layer}", spec.d_model), (f"v{layer}", spec.d_model),
                  (f"mlp{layer}", spec.d_mlp)]
    for kind, width in nodes:
        graph.add_nodes_from((kind, j) for j in range(width))
    add("input", "res", get("embed"))
    for layer in range(spec.n_layers):
        b = ("blocks", layer)
        for name, kind in (("query", "q"), ("key", "k"), ("value", "v")):
            add("res", f"{kind}{layer}", get(*b, name))
        add(f"v{layer}", "res", get(*b, "attn_out"))
        add("res", f"mlp{layer}", get(*b, "mlp_in"))
        add(f"mlp{layer}", "res", get(*b, "mlp_out"))
    add("res", "output", get("unembed"))
    graph.add_weighted_edges_from((*sorted(key), w) for key, w in edges.items())
    return graph


def transformer_weight_chain(spec: TinyTransformer, params) -> list[np.ndarray]:
    """ONE tiny transformer's weights as a chain of matrices for the neuron graph and pruning
    counts: ``[W_E, [W_Q | W_K | W_V], [0; 0; W_O], W_1, W_2, ..., W_U]`` (the attention line has
    ``3 d_model`` nodes: queries, keys, values)."""
    get = lambda *path: np.asarray(get_path(params, (*path, "weight")))  # noqa: E731
    chain = [get("embed")]
    d = spec.d_model
    for layer in range(spec.n_layers):
        b = ("blocks", layer)
        chain.append(np.concatenate([get(*b, "query"), get(*b, "key"), get(*b, "value")], axis=1))
        chain.append(np.concatenate([np.zeros((2 * d, d), chain[-1].dtype), get(*b, "attn_out")], axis=0))
        chain += [get(*b, "mlp_in"), get(*b, "mlp_out")]
    return [*chain, get("unembed")]
