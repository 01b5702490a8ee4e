"""Network surgery: permutations keep the function, removal/merge equal hand computations, splicing."""

from __future__ import annotations

import jax
import numpy as np
import pytest

from toyscope import nets, tasks

X = np.random.default_rng(0).normal(size=(32, 3)).astype(np.float32)


def _ensemble(widths=(3, 4, 2), n=5, act="tanh"):
    spec = nets.mlp(list(widths), act)
    return spec, nets.init(spec, key=jax.random.key(1), n_networks=n, scheme="normal", scale=1.0)


def test_permuting_hidden_units_keeps_the_function_and_moves_the_weights():
    spec, params = _ensemble()
    perm = np.array([2, 0, 3, 1])
    permuted = nets.permute_hidden_units(spec, params, perm)
    np.testing.assert_allclose(nets.apply(spec, permuted, X), nets.apply(spec, params, X), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(np.asarray(permuted[0]["weight"])[:, :, 0], np.asarray(params[0]["weight"])[:, :, 2])
    np.testing.assert_array_equal(np.asarray(permuted[1]["weight"])[:, 1], np.asarray(params[1]["weight"])[:, 0])


def test_per_member_permutations_in_a_deeper_net():
    spec, params = _ensemble((3, 4, 5, 2), n=3)
    rng = np.random.default_rng(0)
    perms = np.stack([rng.permutation(5) for _ in range(3)])
    permuted = nets.permute_hidden_units(spec, params, perms, layer=1)
    np.testing.assert_allclose(nets.apply(spec, permuted, X), nets.apply(spec, params, X), rtol=1e-5, atol=1e-6)
    for e in range(3):
        np.testing.assert_array_equal(np.asarray(permuted[1]["bias"])[e], np.asarray(params[1]["bias"])[e][perms[e]])


def test_removing_units_equals_dropping_their_contribution_by_hand():
    spec, params = _ensemble()
    small_spec, small = nets.remove_hidden_units(spec, params, [1, 3])
    assert small_spec.widths == (3, 2, 2)
    _, post = nets.activations(spec, params, X)
    hidden = np.asarray(post[0])[:, :, [0, 2]]
    expected = hidden @ np.asarray(params[1]["weight"])[:, [0, 2]] + np.asarray(params[1]["bias"])[:, None]
    np.testing.assert_allclose(nets.apply(small_spec, small, X), expected, rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="every unit"):
        nets.remove_hidden_units(spec, params, [0, 1, 2, 3])
    with pytest.raises(ValueError, match="units must be in"):
        nets.remove_hidden_units(spec, params, [4])


def test_merging_two_identical_units_is_exact():
    spec, params = _ensemble(n=2)
    w0 = np.array(params[0]["weight"])
    b0 = np.array(params[0]["bias"])
    w0[:, :, 3], b0[:, 3] = w0[:, :, 1], b0[:, 1]  # unit 3 duplicates unit 1
    params = [{"weight": w0, "bias": b0}, {k: np.asarray(v) for k, v in params[1].items()}]
    merged_spec, merged = nets.merge_hidden_units(spec, params, keep=1, remove=3)
    assert merged_spec.widths == (3, 3, 2)
    np.testing.assert_allclose(nets.apply(merged_spec, merged, X), nets.apply(spec, params, X), rtol=1e-5, atol=1e-5)


def test_spliced_blocks_compute_their_own_functions_and_extract_back():
    spec = nets.mlp([2, 2, 1], "sigmoid")
    blocks = [nets.init(spec, key=jax.random.key(i), scheme="normal", scale=2.0) for i in range(3)]
    groups = [[0, 1], [1, 2], [2, 3]]
    big_spec, big = nets.splice_blocks(spec, blocks, groups, 4)
    assert big_spec.widths == (4, 6, 3)
    x = tasks.binary_inputs(4)
    out = np.asarray(nets.apply(big_spec, big, x))
    for b, (block, group) in enumerate(zip(blocks, groups)):
        np.testing.assert_allclose(out[:, b], np.asarray(nets.apply(spec, block, x[:, group]))[:, 0], rtol=1e-5, atol=1e-6)
        back = nets.extract_block(big_spec, big, groups, b)
        for layer, original in zip(back, block):
            for k in ("weight", "bias"):
                np.testing.assert_array_equal(np.asarray(layer[k]), np.asarray(original[k]))
    mask = nets.block_mask(big_spec, groups)
    assert mask[0]["weight"].sum() == 12 and mask[1]["weight"].sum() == 6
    assert np.all(np.asarray(big[0]["weight"])[~mask[0]["weight"]] == 0)
    _, noisy = nets.splice_blocks(spec, blocks, groups, 4, off_block=0.1, key=jax.random.key(0))
    assert np.abs(np.asarray(noisy[0]["weight"])[~mask[0]["weight"]]).max() > 0
    with pytest.raises(ValueError, match="distinct indices"):
        nets.splice_blocks(spec, blocks, [[0, 1], [1, 2], [3, 4]], 4)


def test_a_layered_network_with_swapped_slots_folds_into_the_same_mlp():
    spec = nets.layered_network([3, 4, 2], "tanh")
    params = nets.init(spec, key=jax.random.key(0), n_networks=2)
    params["input_order"] = np.array([[2, 0, 1], [1, 2, 0]], np.float32)
    params["output_order"] = np.array([[1, 0], [0, 1]], np.float32)
    x = np.random.default_rng(0).normal(size=(5, 3)).astype(np.float32)
    mlp_spec, mlp_params = nets.layered_as_mlp(spec, params)
    assert mlp_spec == spec.mlp
    np.testing.assert_allclose(nets.apply(mlp_spec, mlp_params, x), nets.apply(spec, params, x), atol=1e-6)
    # by hand for member 0: slot s reads feature order[s], so feature f's row is the slot holding it
    w0 = np.asarray(params["layers"][0]["weight"][0])
    np.testing.assert_allclose(np.asarray(mlp_params[0]["weight"][0])[[2, 0, 1]], w0)
    with pytest.raises(ValueError, match="token network"):
        nets.layered_as_mlp(nets.layered_network([2, 3, 4], n_tokens=2, vocab_size=5), None)
