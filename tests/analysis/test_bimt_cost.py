"""BIMT geometry and connection cost against hand computations; modularity, pruning, knock-out."""

from __future__ import annotations

import jax.numpy as jnp
import networkx as nx
import numpy as np
import pytest

from toyscope import analysis, nets


def test_coordinates_and_distances_by_hand():
    coords = analysis.neuron_coordinates([2, 1], extent=2.0, layer_gap=0.5)
    np.testing.assert_allclose(coords[0], [[0.5, 0.0], [1.5, 0.0]])
    np.testing.assert_allclose(coords[1], [[1.0, 0.5]])
    np.testing.assert_allclose(analysis.connection_distances(coords)[0], [[1.0], [1.0]])  # |0.5| + 0.5
    np.testing.assert_allclose(analysis.connection_distances(coords, norm="l2")[0], [[np.sqrt(0.5)], [np.sqrt(0.5)]], rtol=1e-6)
    grid = analysis.neuron_coordinates([(2, 2), 1], extent=2.0, layer_gap=1.0)
    np.testing.assert_allclose(grid[0][:, :2], [[0.5, 0.5], [1.5, 0.5], [0.5, 1.5], [1.5, 1.5]])
    np.testing.assert_allclose(grid[1], [[1.0, 1.0, 1.0]])  # a line sits at the grid's middle row
    with pytest.raises(ValueError, match="layer_gap"):
        analysis.neuron_coordinates([2, 2], layer_gap=0.0)
    with pytest.raises(ValueError, match="norm"):
        analysis.connection_distances(coords, norm="l3")


def test_connection_cost_by_hand():
    # layers 2 -> 3 -> 1 with A = 3, y* = 1: x0 = (0.75, 2.25), x1 = (0.5, 1.5, 2.5), x2 = (1.5,)
    coords = analysis.neuron_coordinates([2, 3, 1], extent=3.0, layer_gap=1.0)
    distances = analysis.connection_distances(coords)
    w1 = np.array([[1.0, -2.0, 0.0], [0.5, 0.0, -1.0]], np.float32)
    w2 = np.array([[3.0], [0.0], [-1.0]], np.float32)
    params = [{"weight": jnp.asarray(w1), "bias": jnp.array([1.0, 0.0, -2.0])}, {"weight": jnp.asarray(w2), "bias": jnp.array([0.5])}]
    by_hand = (1 * (0.25 + 1) + 2 * (0.75 + 1) + 0.5 * (1.75 + 1) + 1 * (0.25 + 1)  # layer 1
               + 3 * (1.0 + 1) + 1 * (1.0 + 1)  # layer 2
               + 1.0 * (1 + 2 + 0.5))  # biases times y*
    assert float(analysis.connection_cost(params, distances, layer_gap=1.0)) == pytest.approx(by_hand, rel=1e-6)
    no_bias = by_hand - 3.5
    assert float(analysis.connection_cost(params, distances, layer_gap=1.0, penalize_bias=False)) == pytest.approx(no_bias, rel=1e-6)
    mean = (1.25 + 3.5 + 1.375 + 1.25) / 6 + (6 + 2) / 3 + (3 / 3 + 0.5 / 1)
    assert float(analysis.connection_cost(params, distances, layer_gap=1.0, normalization="mean")) == pytest.approx(mean, rel=1e-6)
    # A = 0 is plain L1 times y*
    flat = analysis.connection_distances(analysis.neuron_coordinates([2, 3, 1], extent=0.0, layer_gap=1.0))
    l1 = np.abs(w1).sum() + np.abs(w2).sum() + 3.5
    assert float(analysis.connection_cost(params, flat, layer_gap=1.0)) == pytest.approx(l1, rel=1e-6)
    with pytest.raises(ValueError, match="distances"):
        analysis.connection_cost(params, distances[:1], layer_gap=1.0)
    with pytest.raises(ValueError, match="normalization"):
        analysis.connection_cost(params, distances, layer_gap=1.0, normalization="max")


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


def test_pruning_frontier_and_knockout():
    rng = np.random.default_rng(3)
    spec = nets.layered_network([3, 5, 2])
    params = {"layers": [{"weight": rng.normal(size=(3, 5)).astype(np.float32), "bias": rng.normal(size=5).astype(np.float32)},
                         {"weight": rng.normal(size=(5, 2)).astype(np.float32), "bias": rng.normal(size=2).astype(np.float32)}],
              "input_order": np.arange(3, dtype=np.float32), "output_order": np.array([1.0, 0.0], np.float32)}
    x = rng.normal(size=(20, 3)).astype(np.float32)
    y = nets.layered_network_apply(spec, params, x)
    loss = lambda p: jnp.mean((nets.layered_network_apply(spec, p, x) - y) ** 2)  # noqa: E731
    survivors, losses = analysis.pruning_frontier(params, loss, n_thresholds=8)
    assert survivors[0] == 3 * 5 + 5 + 5 * 2 + 2 and survivors[-1] == 1
    assert np.all(np.diff(survivors) <= 0)
    assert losses[0] == pytest.approx(0.0, abs=1e-10) and losses[-1] > 0
    # knocking out hidden neuron 1 equals zeroing its activation by hand (outputs swapped back)
    knocked = analysis.knock_out_neurons(spec, params, [(1, 1)])
    z = x @ params["layers"][0]["weight"] + params["layers"][0]["bias"]
    h = z / (1 + np.exp(-z))
    h[:, 1] = 0.0
    by_hand = (h @ params["layers"][1]["weight"] + params["layers"][1]["bias"])[:, ::-1]
    np.testing.assert_allclose(nets.layered_network_apply(spec, knocked, x), by_hand, rtol=1e-5, atol=1e-5)
    assert analysis.count_active(params, 0.0) == 3 * 5 + 5 + 5 * 2 + 2
