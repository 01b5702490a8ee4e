"""Gate labels of any depth against circuit_labels (one hidden layer) and hand-built deep circuits."""

from __future__ import annotations

import itertools

import jax
import numpy as np
import pytest

from toyscope import analysis, nets, tasks


@pytest.mark.parametrize("width", [2, 3])
def test_one_hidden_layer_matches_circuit_labels(width):
    spec = nets.mlp([2, width, 1], "sigmoid")
    params = nets.init(spec, key=jax.random.key(width), n_networks=200, scheme="normal", scale=3.0)
    old = analysis.circuit_labels(spec, params, tasks.binary_inputs(2))
    new = analysis.gate_labels(spec, params)
    assert (new.signatures == old.signatures).all()
    assert (new.unordered_signatures == old.unordered_signatures).all()
    assert (new.composition_consistent == old.composition_consistent).all()
    assert (new.names[0] == old.hidden_names()).all()


def _layer(weight, bias):
    return {"weight": np.array(weight, np.float32), "bias": np.array(bias, np.float32)}


def test_a_hand_built_deep_three_input_circuit():
    # layer 0: OR(x1,x2), NAND(x1,x2) and x3 passed through; layers 1 and 2 threshold their sums.
    big = 20.0
    spec = nets.mlp([3, 3, 2, 1], "sigmoid")
    params = [
        _layer([[big, -big, 0], [big, -big, 0], [0, 0, big]], [-big / 2, 1.5 * big, -big / 2]),  # OR12, NAND12, x3
        _layer([[big, big], [big, big], [0, 0]], [-1.5 * big, -1.5 * big]),  # both AND(OR, NAND) = XOR(x1,x2)
        _layer([[big], [0]], [-big / 2]),
    ]
    params[1]["weight"][2] = [big, -big]
    labels = analysis.gate_labels(spec, params)
    # independent truth: the on/off of every unit from a plain loop over the 8 inputs
    for row, bits in enumerate(itertools.product((0, 1), repeat=3)):
        h = np.asarray(bits, np.float32)
        for layer, p in enumerate(params):
            z = h @ p["weight"] + p["bias"]
            assert (labels.tables[layer][0, row] == (z > 0)).all()
            h = 1 / (1 + np.exp(-z))
    assert labels.names[0].tolist() == [["OR(x1,x2)", "NAND(x1,x2)", "x3"]]
    assert labels.composition_consistent.tolist() == [True]
    assert labels.signatures[0].startswith("OR(x1,x2),NAND(x1,x2),x3 -> ")
    assert labels.signatures[0].count(" -> ") == 2


def test_permuted_hidden_units_of_a_deep_net_share_the_unordered_signature():
    spec = nets.mlp([3, 4, 3, 1], "sigmoid")
    one = nets.init(spec, key=jax.random.key(1), scheme="normal", scale=4.0)
    twin = nets.permute_hidden_units(spec, one, np.array([2, 0, 3, 1]), 0)
    twin = nets.permute_hidden_units(spec, twin, np.array([1, 2, 0]), 1)
    both = jax.tree_util.tree_map(lambda a, b: np.stack([a, b]), one, twin)
    labels = analysis.gate_labels(spec, both)
    assert labels.unordered_signatures[0] == labels.unordered_signatures[1]
    assert (labels.tables[-1][0] == labels.tables[-1][1]).all()


def test_more_than_sixteen_inputs_is_refused_with_the_limit():
    spec = nets.mlp([17, 2, 1], "sigmoid")
    with pytest.raises(ValueError, match="at most 16 inputs"):
        analysis.gate_labels(spec, nets.init(spec, key=jax.random.key(0)))
