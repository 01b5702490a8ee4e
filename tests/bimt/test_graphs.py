"""A network's weights as graphs: the transformer neuron graph's nodes and merged edges, the drawn
chain, and the weight list of any layout."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from toyscope import bimt

sys.path.insert(0, str(Path(__file__).parent))  # the shared test networks, under any pytest import mode
from _bimt_networks import mlp, transformer  # noqa: E402


def test_transformer_neuron_graph_nodes_and_merged_edges():
    spec, layout, params, _, _ = transformer(4)
    graph = bimt.transformer_neuron_graph(spec, params)
    assert graph.number_of_nodes() == spec.d_in + spec.d_model + spec.n_layers * (3 * spec.d_model + spec.d_mlp) + spec.d_out
    # every |w| is on exactly one edge: the total edge weight is the total |w|
    total = sum(np.abs(w).sum() for w in bimt.network_weights(layout, params))
    assert graph.size(weight="weight") == pytest.approx(total, rel=1e-6)
    block = params["blocks"][1]
    expected = abs(block["mlp_in"]["weight"][3, 5]) + abs(block["mlp_out"]["weight"][5, 3])  # MLP in and out merge
    assert graph.edges[("res", 3), ("mlp1", 5)]["weight"] == pytest.approx(expected, rel=1e-6)
    expected = abs(block["value"]["weight"][2, 6]) + abs(block["attn_out"]["weight"][6, 2])
    assert graph.edges[("res", 2), ("v1", 6)]["weight"] == pytest.approx(expected, rel=1e-6)
    assert graph.degree(("q0", 0)) == spec.d_model  # queries hang off the residual neurons only
    chain = bimt.transformer_weight_chain(spec, params)
    assert [w.shape for w in chain[:3]] == [(2, 8), (8, 24), (24, 8)] and len(chain) == 2 + 4 * spec.n_layers
    np.testing.assert_array_equal(chain[2][16:], params["blocks"][0]["attn_out"]["weight"])
    np.testing.assert_array_equal(chain[2][:16], 0.0)


def test_network_weights_and_active_count_by_plain_loop():
    _, layout, params, _, _ = mlp(True)
    weights = bimt.network_weights(layout, params)
    assert [w.shape for w in weights] == [(10, 7), (7, 6), (6, 4)]
    threshold = 0.7
    by_loop = sum(1 for layer in params["layers"] for v in np.asarray(layer["weight"]).ravel() if abs(v) > threshold)
    assert bimt.count_active_weights(layout, params, threshold) == by_loop
