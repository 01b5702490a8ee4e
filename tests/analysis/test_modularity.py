"""Newman modularity of a neuron graph: a graph with known communities, and the score against
Newman's formula computed independently from the adjacency matrix."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from toyscope import analysis


def test_modularity_of_a_graph_with_known_communities():
    """Two disconnected equal blocks: Newman Q = 1 - 2 (1/2)^2 = 0.5 and the blocks are found."""
    block = np.ones((2, 2))
    zero = np.zeros((2, 2))
    w = np.block([[block, zero], [zero, block]])
    q, communities = analysis.modularity([w, w], return_communities=True)
    assert q == pytest.approx(0.5, abs=1e-9)
    assert sorted(map(sorted, communities)) == [[(0, 0), (0, 1), (1, 0), (1, 1), (2, 0), (2, 1)],
                                                [(0, 2), (0, 3), (1, 2), (1, 3), (2, 2), (2, 3)]]
    # an independent formula for the same partition on a dense random graph
    rng = np.random.default_rng(0)
    dense = [rng.normal(size=(3, 4)), rng.normal(size=(4, 2))]
    q, communities = analysis.modularity(dense, return_communities=True)
    graph = analysis.neuron_graph(dense)
    adjacency = nx.to_numpy_array(graph, weight="weight")
    index = {node: i for i, node in enumerate(graph.nodes)}
    label = np.zeros(len(index), int)
    for c, members in enumerate(communities):
        label[[index[n] for n in members]] = c
    degree, two_m = adjacency.sum(1), adjacency.sum()
    expected = ((adjacency - np.outer(degree, degree) / two_m) * (label[:, None] == label[None, :])).sum() / two_m
    assert q == pytest.approx(expected, abs=1e-9)
    assert analysis.modularity([np.zeros((2, 2))]) == 0.0
