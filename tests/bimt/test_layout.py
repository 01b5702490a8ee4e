"""Layouts: the MLP's groups are its neuron layers (the leaves each one moves, token rows), and every group of a layout moves exactly the leaves whose axes are its neurons."""

from __future__ import annotations

import jax
import numpy as np
import pytest

from toyscope import bimt, nets


def test_mlp_groups_are_neuron_layers():
    spec = nets.layered_network([3, 5, 2], n_tokens=2, vocab_size=4)
    layout = bimt.mlp_layout(spec)
    names = [g.name for g in layout.groups]
    assert names == ["input", "hidden1", "output"] and [g.size for g in layout.groups] == [3, 5, 2]
    inputs, hidden, outputs = layout.groups
    assert inputs.rows == (("layers", 0, "weight"),) and inputs.row_groups == 2
    assert inputs.unplaced_columns == (("embedding",),) and inputs.columns == ()
    assert hidden.columns == (("layers", 0, "weight"),) and hidden.vectors == (("layers", 0, "bias"),)
    assert outputs.vectors == (("layers", 1, "bias"), ("output_order",)) and layout.charged == (("embedding",),)
    assert [linear.row_groups for linear in layout.linear_layers] == [2, 1]
    vectors = bimt.mlp_layout(nets.layered_network([3, 4, 2])).groups[0].vectors
    assert vectors == (("input_order",),)  # vector inputs: the input order moves instead of an embedding


@pytest.mark.parametrize("network", ["mlp", "transformer"])
def test_every_group_moves_exactly_the_axes_of_its_neurons(network):
    """Permute a group by a random order: each leaf it names changes on the named axis exactly as
    indexing by the order (per token group for token rows); every other leaf is untouched."""
    if network == "mlp":
        spec = nets.layered_network([3, 5, 2], n_tokens=2, vocab_size=4)
        layout = bimt.mlp_layout(spec)
        params = nets.init(spec, key=jax.random.key(0))
    else:
        spec = nets.tiny_transformer(2, 2, d_model=4, n_layers=1, n_heads=2)
        layout = bimt.transformer_layout(spec)
        params = nets.init(spec, key=jax.random.key(0))
    params = jax.tree_util.tree_map(np.asarray, params)
    leaves = dict(jax.tree_util.tree_leaves_with_path(params))
    rng = np.random.default_rng(0)
    for group in layout.groups:
        order = rng.permutation(group.size)
        moved = dict(jax.tree_util.tree_leaves_with_path(bimt.permute_group(params, group, order)))
        named = {}
        for path in (*group.columns, *group.unplaced_columns):
            named[path] = lambda a: a[:, order]  # noqa: E731
        for path in group.rows:
            named[path] = lambda a: a.reshape(group.row_groups, -1, a.shape[-1])[:, order].reshape(a.shape)  # noqa: E731
        for path in group.vectors:
            named[path] = lambda a: a[order]  # noqa: E731
        for key_path, leaf in leaves.items():
            path = tuple(getattr(k, "key", getattr(k, "idx", None)) for k in key_path)
            expected = named[path](leaf) if path in named else leaf
            np.testing.assert_array_equal(moved[key_path], expected, err_msg=f"{group.name}: {path}")
