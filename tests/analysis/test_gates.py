"""Gate labels against hand-built circuits with known truth tables."""

from __future__ import annotations

import numpy as np
import pytest

from toyscope import analysis, nets, tasks

SPEC = nets.mlp([2, 2, 1], "sigmoid")
X = tasks.binary_inputs(2)


def _net(w0, b0, w1, b1):
    return [{"weight": np.array(w0, np.float32)[None], "bias": np.array(b0, np.float32)[None]},
            {"weight": np.array(w1, np.float32)[None], "bias": np.array(b1, np.float32)[None]}]


# hidden 0 = NAND (on unless both), hidden 1 = NOR (on only at (0,0)); output = h0 AND NOT h1
NAND_NOR = _net([[-10, -10], [-10, -10]], [15, 5], [[10], [-10]], [-5])


def _concat(*nets_):
    return [{k: np.concatenate([n[i][k] for n in nets_]) for k in ("weight", "bias")} for i in range(2)]


def test_the_papers_xor_circuit_is_labelled_nand_nor_nimply():
    labels = analysis.circuit_labels(SPEC, NAND_NOR, X)
    assert labels.hidden_names().tolist() == [["NAND", "NOR"]]
    assert labels.output_tables.tolist() == [["0110"]]
    # hidden patterns (NAND, NOR): (0,0)->(1,1), (0,1)->(1,0), (1,0)->(1,0), (1,1)->(0,0); (0,1) never occurs
    assert labels.output_of_hidden.tolist() == [["0-10"]]
    assert labels.signatures.tolist() == ["NAND,NOR -> A_NIMPLY_B|XOR"]
    assert labels.composition_consistent.tolist() == [True]


def test_permuted_twin_shares_the_unordered_signature():
    twin = nets.permute_hidden_units(SPEC, NAND_NOR, np.array([1, 0]))
    twin = [{k: np.asarray(v) for k, v in layer.items()} for layer in twin]
    labels = analysis.circuit_labels(SPEC, _concat(NAND_NOR, twin, NAND_NOR), X)
    assert labels.signatures[0] != labels.signatures[1]
    assert labels.unordered_signatures[0] == labels.unordered_signatures[1]
    counts = labels.twin_counts()
    assert list(counts.values()) == [{labels.signatures[0]: 2, labels.signatures[1]: 1}]


def test_every_table_named_and_dont_cares_expand():
    assert len(set(analysis.GATE_NAMES.values())) == 16
    assert analysis.consistent_gates("0110") == ["XOR"]
    assert sorted(analysis.consistent_gates("0-10")) == ["A_NIMPLY_B", "XOR"]
    assert len(analysis.consistent_gates("----")) == 16
    # each named table is what the name says
    a, b = X[:, 0].astype(bool), X[:, 1].astype(bool)
    truth = {"AND": a & b, "OR": a | b, "NAND": ~(a & b), "NOR": ~(a | b), "XOR": a ^ b, "A_NIMPLY_B": a & ~b,
             "A_IMPLIES_B": ~a | b, "B_IMPLIES_A": a | ~b, "NOT_A": ~a, "B": b}
    for name, values in truth.items():
        assert analysis.GATE_TABLES[name] == "".join("1" if v else "0" for v in values)


def test_composition_flags_a_unit_near_its_threshold():
    # hidden unit 1 sits at pre-activation +0.01 for input (0,0): labelled on, but the output
    # reads its sigmoid ~0.5, so composing the binary labels disagrees with the network.
    net = _net([[10, 0], [10, 0]], [-5, 0.01], [[10], [-40]], [30])
    labels = analysis.circuit_labels(SPEC, net, X)
    logits = np.asarray(nets.apply(SPEC, net, X))[0, :, 0]
    composed_on = np.array([c == "1" for c in labels.output_tables[0, 0]])
    assert (composed_on == (logits > 0)).all()  # the output table itself is the network's
    assert labels.composition_consistent.tolist() == [False]


def test_non_binary_inputs_are_rejected():
    with pytest.raises(ValueError, match="binary inputs"):
        analysis.circuit_labels(SPEC, NAND_NOR, X + 0.5)
    with pytest.raises(ValueError, match="one hidden layer"):
        analysis.circuit_labels(nets.mlp([2, 2, 2, 1], "sigmoid"), NAND_NOR, X)
