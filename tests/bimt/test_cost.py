"""The connection cost against a hand computation and against its definition recomputed with plain
loops, for the MLP (with and without tokens) and the tiny transformer, both normalisations."""

from __future__ import annotations

import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from toyscope import bimt, nets

sys.path.insert(0, str(Path(__file__).parent))  # the shared test networks, under any pytest import mode
from _bimt_networks import LAYER_GAP, mlp, plain_mlp_cost, plain_transformer_cost, transformer  # noqa: E402


def test_connection_cost_by_hand():
    # layers 2 -> 3 -> 1 with A = 3, y* = 1: x0 = (0.75, 2.25), x1 = (0.5, 1.5, 2.5), x2 = (1.5,)
    layout = bimt.mlp_layout(nets.layered_network([2, 3, 1]))
    distances = bimt.network_distances(layout, extent=3.0, layer_gap=1.0)
    w1 = np.array([[1.0, -2.0, 0.0], [0.5, 0.0, -1.0]], np.float32)
    w2 = np.array([[3.0], [0.0], [-1.0]], np.float32)
    params = {"layers": [{"weight": jnp.asarray(w1), "bias": jnp.array([1.0, 0.0, -2.0])},
                         {"weight": jnp.asarray(w2), "bias": jnp.array([0.5])}]}
    by_hand = (1 * (0.25 + 1) + 2 * (0.75 + 1) + 0.5 * (1.75 + 1) + 1 * (0.25 + 1)  # layer 1
               + 3 * (1.0 + 1) + 1 * (1.0 + 1)  # layer 2
               + 1.0 * (1 + 2 + 0.5))  # biases times y*
    cost = lambda **kw: float(bimt.connection_cost(layout, params, distances, layer_gap=1.0, **kw))  # noqa: E731
    assert cost() == pytest.approx(by_hand, rel=1e-6)
    assert cost(penalize_bias=False) == pytest.approx(by_hand - 3.5, rel=1e-6)
    mean = (1.25 + 3.5 + 1.375 + 1.25) / 6 + (6 + 2) / 3 + (3 / 3 + 0.5 / 1)
    assert cost(normalization="mean") == pytest.approx(mean, rel=1e-6)
    # A = 0 is plain L1 times y*
    flat = bimt.network_distances(layout, extent=0.0, layer_gap=1.0)
    l1 = np.abs(w1).sum() + np.abs(w2).sum() + 3.5
    assert float(bimt.connection_cost(layout, params, flat, layer_gap=1.0)) == pytest.approx(l1, rel=1e-6)
    with pytest.raises(ValueError, match="distances"):
        bimt.connection_cost(layout, params, {("layers", 0): distances[("layers", 0)]}, layer_gap=1.0)
    with pytest.raises(ValueError, match="distances"):
        bimt.connection_cost(layout, params, {**distances, ("layers", 1): np.ones((2, 1))}, layer_gap=1.0)
    with pytest.raises(ValueError, match="normalization"):
        bimt.connection_cost(layout, params, distances, layer_gap=1.0, normalization="max")


@pytest.mark.parametrize("network", ["mlp", "mlp-tokens", "transformer"])
@pytest.mark.parametrize("normalization", ["sum", "mean"])
def test_cost_equals_its_definition_for_every_architecture(network, normalization):
    if network == "transformer":
        _, layout, params, _, distances = transformer(1)
        expected = plain_transformer_cost(params, normalization)
    else:
        _, layout, params, _, distances = mlp(network == "mlp-tokens")
        expected = plain_mlp_cost(params, normalization)
    cost = jax.jit(lambda p: bimt.connection_cost(layout, p, distances, layer_gap=LAYER_GAP,
                                                  normalization=normalization))(params)
    assert float(cost) == pytest.approx(expected, rel=1e-5)
    # the two parts: weights (and charged leaves) and biases; the biases' part is what zeroing them removes
    terms = jax.jit(lambda p: bimt.connection_cost_terms(layout, p, distances, layer_gap=LAYER_GAP,
                                                         normalization=normalization))(params)
    no_bias = _without_biases(params)
    without = plain_transformer_cost(no_bias, normalization) if network == "transformer" else plain_mlp_cost(
        no_bias, normalization)
    assert terms.shape == (2,) and float(terms.sum()) == pytest.approx(expected, rel=1e-5)
    assert float(terms[0]) == pytest.approx(without, rel=1e-5)
    assert float(terms[1]) == pytest.approx(expected - without, rel=1e-4) and float(terms[1]) > 0


def _without_biases(tree):
    if isinstance(tree, dict):
        return {k: np.zeros_like(v) if k == "bias" else _without_biases(v) for k, v in tree.items()}
    if isinstance(tree, list):
        return [_without_biases(v) for v in tree]
    return tree
