"""BIMT geometry: neuron coordinates and connection lengths against hand computations, for a plain
line, a grid, token groups and the tiny transformer's lines."""

from __future__ import annotations

import numpy as np
import pytest

from toyscope import bimt, nets


def test_coordinates_and_distances_by_hand():
    coords = bimt.neuron_coordinates([2, 1], extent=2.0, layer_gap=0.5)
    np.testing.assert_allclose(coords[0], [[0.5, 0.0], [1.5, 0.0]])
    np.testing.assert_allclose(coords[1], [[1.0, 0.5]])
    np.testing.assert_allclose(bimt.connection_distances(coords)[0], [[1.0], [1.0]])  # |0.5| + 0.5
    np.testing.assert_allclose(bimt.connection_distances(coords, norm="l2")[0], [[np.sqrt(0.5)], [np.sqrt(0.5)]], rtol=1e-6)
    grid = bimt.neuron_coordinates([(2, 2), 1], extent=2.0, layer_gap=1.0)
    np.testing.assert_allclose(grid[0][:, :2], [[0.5, 0.5], [1.5, 0.5], [0.5, 1.5], [1.5, 1.5]])
    np.testing.assert_allclose(grid[1], [[1.0, 1.0, 1.0]])  # a line sits at the grid's middle row
    with pytest.raises(ValueError, match="layer_gap"):
        bimt.neuron_coordinates([2, 2], layer_gap=0.0)
    with pytest.raises(ValueError, match="norm"):
        bimt.connection_distances(coords, norm="l3")


def test_network_distances_tile_token_groups_and_follow_the_lines():
    """Token networks: the first weight's rows are n_tokens copies of the embedding positions, each
    with the same lengths; every MLP weight joins consecutive lines, |x_j - x_k| + y* by hand."""
    spec = nets.layered_network([3, 4, 2], n_tokens=2, vocab_size=5)
    layout = bimt.mlp_layout(spec)
    distances = bimt.network_distances(layout, extent=3.0, layer_gap=0.5)
    xs = lambda n: 3.0 * (np.arange(n) + 0.5) / n  # noqa: E731
    by_hand = np.abs(xs(3)[:, None] - xs(4)[None, :]) + 0.5
    assert distances[("layers", 0)].shape == (6, 4)
    np.testing.assert_allclose(distances[("layers", 0)], np.vstack([by_hand, by_hand]), rtol=1e-6)
    np.testing.assert_allclose(distances[("layers", 1)], np.abs(xs(4)[:, None] - xs(2)[None, :]) + 0.5, rtol=1e-6)
    with pytest.raises(ValueError, match="line_shapes"):
        bimt.mlp_layout(spec, line_shapes=[3, 4])


def test_transformer_lines_and_distances():
    spec = nets.tiny_transformer(2, 2, d_model=8, n_layers=2, n_heads=2, d_mlp=12)
    layout = bimt.transformer_layout(spec)
    assert [name for name, _ in layout.lines] == ["input", "res0", "attn1", "res1", "mlp1", "res2", "attn2", "res3",
                                                  "mlp2", "res4", "output"]
    distances = bimt.network_distances(layout, extent=2.0, layer_gap=0.5)
    xs = lambda n: 2.0 * (np.arange(n) + 0.5) / n  # noqa: E731
    np.testing.assert_allclose(distances[("blocks", 1, "mlp_in")], np.abs(xs(8)[:, None] - xs(12)[None, :]) + 0.5,
                               rtol=1e-6)
    # query, key and value join the same two lines
    np.testing.assert_array_equal(distances[("blocks", 0, "query")], distances[("blocks", 0, "value")])
    flat = bimt.network_distances(layout, extent=0.0, layer_gap=0.5)
    assert all(np.all(d == np.float32(0.5)) for d in flat.values())  # A = 0: plain L1
    assert layout.group("block0.qk").heads_move_with == "block0.vo"
    with pytest.raises(ValueError, match="unknown neuron group"):
        layout.group("nope")
