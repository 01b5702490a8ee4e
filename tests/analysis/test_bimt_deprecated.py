"""The BIMT names toyscope.analysis exported before toyscope.bimt: each still works, warns once
(DeprecationWarning naming its replacement) and gives what the replacement gives."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from toyscope import analysis, bimt, nets


def _mlp():
    rng = np.random.default_rng(0)
    spec = nets.layered_network([3, 5, 2], n_tokens=2, vocab_size=4)
    params = {"layers": [{"weight": rng.normal(size=(6, 5)).astype(np.float32), "bias": rng.normal(size=5).astype(np.float32)},
                         {"weight": rng.normal(size=(5, 2)).astype(np.float32), "bias": rng.normal(size=2).astype(np.float32)}],
              "embedding": rng.normal(size=(4, 3)).astype(np.float32), "output_order": np.arange(2, dtype=np.float32)}
    return spec, params


def test_mlp_names_warn_and_match_toyscope_bimt():
    spec, params = _mlp()
    layout = bimt.mlp_layout(spec)
    distances = bimt.network_distances(layout, extent=2.0, layer_gap=0.5)
    with pytest.warns(DeprecationWarning, match="toyscope.bimt.neuron_coordinates"):
        coords = analysis.neuron_coordinates(spec.neuron_widths, extent=2.0, layer_gap=0.5)
    with pytest.warns(DeprecationWarning, match="use toyscope.bimt.connection_distances"):
        listed = analysis.connection_distances(coords)
    with pytest.warns(DeprecationWarning, match="use toyscope.bimt.connection_cost"):
        old = analysis.connection_cost(params, listed, layer_gap=0.5, normalization="mean")
    assert float(old) == float(bimt.connection_cost(layout, params, distances, layer_gap=0.5, normalization="mean"))
    with pytest.warns(DeprecationWarning, match="swap_neurons"):
        old = analysis.swap_neurons(spec, params, listed, top_k=3)
    new = bimt.swap_neurons(layout, params, distances, top_k=3)
    np.testing.assert_array_equal(old[0]["embedding"], new[0]["embedding"])
    assert int(old[2]) == int(new[2])
    with pytest.warns(DeprecationWarning, match="swappable_groups"):
        assert analysis.swappable_layers(spec, swap_inputs=False) == [1, 2]
    with pytest.raises(ValueError, match="distances needs one matrix per weight layer"), warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        analysis.connection_cost(params, listed[:1], layer_gap=0.5)


def test_transformer_names_warn_and_match_toyscope_bimt():
    spec = nets.tiny_transformer(2, 2, d_model=4, n_layers=1)
    params = nets.init(spec, key=__import__("jax").random.key(0))
    layout = bimt.transformer_layout(spec)
    with pytest.warns(DeprecationWarning, match="network_distances"):
        distances = analysis.transformer_distances(spec, extent=2.0)
    with pytest.warns(DeprecationWarning, match="connection_cost"):
        old = analysis.transformer_connection_cost(spec, params, distances, layer_gap=0.5)
    assert float(old) == float(bimt.connection_cost(layout, params, distances, layer_gap=0.5, normalization="mean"))
    with pytest.warns(DeprecationWarning, match="transformer_layout"):
        assert analysis.transformer_lines(spec) == list(layout.lines)
    for name in ("LinearLayer", "NeuronGroup", "NORMS"):
        with pytest.warns(DeprecationWarning, match=f"toyscope.bimt.{name}"):
            assert getattr(analysis, name) is getattr(bimt, name)
    with pytest.raises(AttributeError):
        analysis.no_such_name  # noqa: B018
