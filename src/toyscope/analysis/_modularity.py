r"""Modularity of a network's weighted neuron graph (Newman), via networkx.

The graph is fixed once, before any table is computed:

* nodes: every neuron of every neuron layer, ``(layer, slot)``; the input layer of a
  token network is the MLP's input, one node per (token, embedding position);
* edges: one undirected edge per weight :math:`w_{ijk}` with weight :math:`|w_{ijk}|`
  (every weight, no threshold; exact zeros are left out); biases and embedding tables are not
  edges;
* communities: ``networkx.community.greedy_modularity_communities(G, weight="weight",
  resolution=1)`` (Clauset-Newman-Moore greedy maximisation of Newman's modularity);
* score: ``networkx.community.modularity(G, communities, weight="weight", resolution=1)``,

.. math:: Q = \frac{1}{2m}\sum_{uv}\Big[A_{uv} - \frac{k_u k_v}{2m}\Big]\delta(c_u, c_v).

Reference: Liu, Gan & Tegmark, Entropy 26 (2024) 41, Table 2 ("Newman's method provided by the
NetworkX package"); Newman, PNAS 103 (2006) 8577.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import networkx as nx


def neuron_graph(weights: Sequence) -> nx.Graph:
    """The undirected neuron graph of ONE layered network.

    Args:
        weights: one ``(n_{i-1}, n_i)`` weight matrix per weight layer (``y = x @ W``).

    Returns:
        A ``networkx.Graph`` with nodes ``(layer, slot)`` (all neurons, also isolated ones) and
        edge attribute ``weight`` = :math:`|w|`.

    Raises:
        ValueError: consecutive matrices whose shapes do not chain.
    """
    import networkx as nx  # imported where used: a lighter start

    weights = [np.abs(np.asarray(w, dtype=float)) for w in weights]
    for index in range(1, len(weights)):
        if weights[index].shape[0] != weights[index - 1].shape[1]:
            raise ValueError(f"weights[{index}] has {weights[index].shape[0]} rows, weights[{index - 1}] "
                             f"has {weights[index - 1].shape[1]} columns; they must match")
    graph = nx.Graph()
    widths = [weights[0].shape[0], *(w.shape[1] for w in weights)]
    for layer, width in enumerate(widths):
        graph.add_nodes_from((layer, slot) for slot in range(width))
    for layer, weight in enumerate(weights):
        rows, cols = np.nonzero(weight)
        graph.add_weighted_edges_from(((layer, int(r)), (layer + 1, int(c)), float(weight[r, c]))
                                      for r, c in zip(rows, cols))
    return graph


def modularity(weights: Sequence, *, return_communities: bool = False):
    """Newman modularity :math:`Q` of ONE network's neuron graph (see the module docstring).

    Args:
        weights: one ``(n_{i-1}, n_i)`` matrix per weight layer.
        return_communities: also return the communities (lists of ``(layer, slot)`` nodes,
            largest first).

    Returns:
        ``Q`` (float; 0 for a graph without edges), or ``(Q, communities)``.
    """
    return graph_modularity(neuron_graph(weights), return_communities=return_communities)


def graph_modularity(graph: nx.Graph, *, return_communities: bool = False):
    """Newman modularity :math:`Q` of any |w|-weighted graph, with the same networkx calls as
    :func:`modularity` (e.g. for a transformer's neuron graph). Returns ``Q`` or ``(Q, communities)``."""
    import networkx as nx  # imported where used: a lighter start

    if graph.size(weight="weight") == 0:
        communities = [sorted(graph.nodes)]
        q = 0.0
    else:
        found = nx.community.greedy_modularity_communities(graph, weight="weight", resolution=1)
        communities = [sorted(c) for c in found]
        q = float(nx.community.modularity(graph, communities, weight="weight", resolution=1))
    return (q, communities) if return_communities else q
