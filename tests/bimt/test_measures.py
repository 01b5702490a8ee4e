"""Module knock-outs and active embedding neurons on hand-built networks: two disconnected
modules (knocking one out equals zeroing its hidden neurons by hand), and an embedding with one
sign neuron."""

from __future__ import annotations

import numpy as np
import pytest

from toyscope import analysis, bimt, nets


def test_module_knockouts_equal_zeroing_the_modules_hidden_neurons_by_hand():
    rng = np.random.default_rng(0)
    spec = nets.layered_network([2, 4, 2], "silu")
    w1 = np.zeros((2, 4), np.float32)
    w2 = np.zeros((4, 2), np.float32)
    w1[0, :2], w2[:2, 0] = rng.uniform(1, 2, 2), rng.uniform(1, 2, 2)  # module: input 0 -> h0, h1 -> output 0
    w1[1, 2:], w2[2:, 1] = rng.uniform(1, 2, 2), rng.uniform(1, 2, 2)  # module: input 1 -> h2, h3 -> output 1
    params = {"layers": [{"weight": w1, "bias": np.zeros(4, np.float32)}, {"weight": w2, "bias": np.zeros(2, np.float32)}],
              "input_order": np.arange(2, dtype=np.float32), "output_order": np.arange(2, dtype=np.float32)}
    x = rng.uniform(0, 1, size=(200, 2)).astype(np.float32)
    labels = (x[:, 1] > x[:, 0]).astype(np.int32)
    _, communities = analysis.modularity([w1, w2], return_communities=True)
    rows = bimt.module_knockouts(spec, params, communities, x, labels)

    def accuracy_by_hand(dead):
        z = x @ w1
        h = z / (1 + np.exp(-z))
        h[:, dead] = 0.0
        return float(np.mean(np.argmax(h @ w2, -1) == labels))

    assert rows[0] == ("none", 0, pytest.approx(accuracy_by_hand([])))
    assert len(rows) == 3
    for (name, n_neurons, value), community in zip(rows[1:], communities):
        hidden = [slot for layer, slot in community if layer == 1]
        assert n_neurons == len([n for n in community if n[0] < 2])
        assert value == pytest.approx(accuracy_by_hand(hidden))


def test_active_embedding_neurons_find_the_sign_neuron():
    signs = np.array([1, -1, 1, -1, 1, -1])
    embedding = np.zeros((6, 3), np.float32)
    embedding[:, 1] = 0.5 * signs  # the sign neuron
    embedding[:, 2] = [0.3, 0.1, 0.2, 0.4, 0.5, 0.6]  # active, uncorrelated-ish
    weight = np.zeros((6, 4), np.float32)
    weight[[1, 2, 3 + 0], 0] = 1.0  # slots 1 and 2 of token 0, slot 0 of token 1 feed forward
    rows = bimt.active_embedding_neurons({"embedding": embedding, "layers": [{"weight": weight}]}, signs, 0.01)
    assert [r[0] for r in rows] == [1, 2]  # slot 0 has outgoing weights but a zero embedding column
    assert rows[0][1] == pytest.approx(0.5) and rows[0][2] == pytest.approx(1.0)
    assert rows[1][2] == pytest.approx(np.corrcoef(embedding[:, 2], signs)[0, 1])


def test_feature_neurons_finds_the_planted_feature_neurons_and_their_correlations():
    """A 3-5-5-1 net whose layer-2 neurons 1 and 3 carry silu(x1) and silu(-x3) (others below the
    threshold): exactly those are active, and r equals np.corrcoef of the hand-computed activations."""
    rng = np.random.default_rng(0)
    spec = nets.layered_network([3, 5, 5, 1], "silu")
    w1 = np.eye(3, 5) * 2.0 + rng.normal(size=(3, 5)) * 0.01
    w2 = rng.normal(size=(5, 5)) * 0.01
    w2[0, 1], w2[2, 3] = 1.5, -1.5
    w3 = rng.normal(size=(5, 1)) * 0.01
    w3[1, 0], w3[3, 0] = 1.0, 1.0
    params = {"layers": [{"weight": w, "bias": np.zeros(w.shape[1])} for w in (w1, w2, w3)],
              "input_order": np.arange(3.0), "output_order": np.zeros(1)}
    x = rng.uniform(-1, 1, size=(300, 3))
    features = np.stack([x[:, 0] ** 2, x[:, 0], x[:, 2]], axis=1)
    slots, r = bimt.feature_neurons(spec, params, x, features, 2)
    assert slots == [1, 3]
    silu = lambda z: z / (1 + np.exp(-z))  # noqa: E731
    h2 = silu(silu(x @ w1) @ w2)
    for row, slot in zip(r, slots):
        np.testing.assert_allclose(row, [np.corrcoef(h2[:, slot], f)[0, 1] for f in features.T], rtol=1e-4)
    assert r[0, 1] > 0.8 and r[1, 2] < -0.8
    with pytest.raises(ValueError, match="hidden neuron layer"):
        bimt.feature_neurons(spec, params, x, features, 3)
