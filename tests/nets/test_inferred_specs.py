"""Specs read from tensor names and shapes (files written before specs were saved): every type is
recognised with its exact widths, biases, tokens, nodes and edges; the rest is left alone."""

import jax
import numpy as np
import pytest

from toyscope import nets

SPECS = {
    "mlp": nets.mlp([3, 5, 4, 2], bias=[True, False, True]),
    "layered": nets.layered_network([4, 6, 2]),
    "tokens": nets.layered_network([4, 6, 5], n_tokens=2, vocab_size=7),
    "paths": nets.xor_path_net(3),
    "routing": nets.pathway_net(2, 3, 3, 4, 2, group_size=1),
    "transformer": nets.tiny_transformer(3, 2, d_model=4, n_layers=2, n_heads=2, d_mlp=3),
}


def _zeros(spec, prefix, lead=(2,)):
    """Zero tensors named as toyscope saves ``spec`` under ``prefix`` (values do not matter here)."""
    leaves = jax.tree_util.tree_leaves(nets.param_shapes(spec))
    return {f"{prefix}.{name}": np.zeros((*lead, *leaf.shape), np.float32)
            for name, leaf in zip(nets.tensor_names(spec), leaves)}


def test_every_type_is_recognised_among_other_tensors_with_its_exact_shapes():
    tensors = {"trajectory.flat": np.zeros((3, 4, 9)), "tally.counts": np.zeros(5)}
    for prefix, spec in SPECS.items():
        tensors.update(_zeros(spec, prefix, lead=(2,) if prefix != "mlp" else (4, 2)))
    found = nets.infer_networks(tensors)
    assert set(found) == set(SPECS)
    for prefix, spec in SPECS.items():
        inferred, assumed = found[prefix]
        assert type(inferred) is type(spec)
        assert nets.param_shapes(inferred) == nets.param_shapes(spec), prefix
        assert ("activation" in assumed or "head" in assumed) != isinstance(spec, nets.GatedLinearNet)
    routing = found["routing"][0]
    assert set(routing.edges) == set(SPECS["routing"].edges) and dict(routing.nodes) == dict(SPECS["routing"].nodes)
    assert found["tokens"][0].n_tokens == 2 and found["tokens"][0].vocab_size == 7
    assert found["mlp"][0].biases == (True, False, True)


@pytest.mark.parametrize("tensors", [
    {"layer0.weight": np.zeros((2, 3)), "layer2.weight": np.zeros((3, 1))},  # a missing layer
    {"layer0.weight": np.zeros((2, 3)), "layer1.weight": np.zeros((4, 1))},  # widths that do not chain
    {"layer0.bias": np.zeros(3)},  # no weight
    {"a->b": np.zeros((2, 3)), "b->a": np.zeros((3, 2))},  # a cycle is not a gated linear net
])
def test_tensors_that_are_no_network_are_left_alone(tensors):
    assert nets.infer_networks(tensors) == {}
