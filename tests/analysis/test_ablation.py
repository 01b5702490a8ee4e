"""Ablations: masks against itertools, masked outputs against numpy, minimal circuits against brute force."""

from __future__ import annotations

import itertools

import jax
import numpy as np
import pytest

from toyscope import analysis, nets, tasks

X = tasks.binary_inputs(2)


@pytest.mark.parametrize("k, max_removed", [(1, None), (3, None), (4, 1), (4, 2), (3, 5)])
def test_unit_masks_are_every_allowed_subset(k, max_removed):
    masks = analysis.unit_masks(k, max_removed)
    limit = k - 1 if max_removed is None else min(max_removed, k - 1)
    expected = {m for m in itertools.product((0, 1), repeat=k) if 1 <= sum(m) and k - sum(m) <= limit}
    rows = [tuple(int(v) for v in r) for r in masks]
    assert masks.dtype == bool and set(rows) == expected and len(rows) == len(expected)
    assert rows[0] == (1,) * k  # the full network first


def _ensemble(k=3, n=6, seed=0, widths=None):
    """A sigmoid ensemble drawn with numpy (no compilation): N(0, 9) weights and biases."""
    widths = widths or [2, k, 1]
    spec = nets.mlp(widths, "sigmoid")
    rng = np.random.default_rng(seed)
    return spec, [{"weight": 3 * rng.normal(size=(n, a, b)).astype(np.float32),
                   "bias": 3 * rng.normal(size=(n, b)).astype(np.float32)} for a, b in itertools.pairwise(widths)]


def test_masked_predictions_equal_a_numpy_forward_pass():
    spec, params = _ensemble(k=4, n=3)
    masks = analysis.unit_masks(4, 2)
    preds = analysis.masked_predictions(spec, params, X, masks)
    assert preds.shape == (3, len(masks), 4, 1) and preds.dtype == bool
    w0, b0 = np.asarray(params[0]["weight"], np.float64), np.asarray(params[0]["bias"], np.float64)
    w1, b1 = np.asarray(params[1]["weight"], np.float64), np.asarray(params[1]["bias"], np.float64)
    for e in range(3):
        hidden = 1 / (1 + np.exp(-(X @ w0[e] + b0[e])))
        for m, mask in enumerate(masks):
            z = hidden @ (w1[e] * mask[:, None]) + b1[e]
            np.testing.assert_array_equal(preds[e, m], z > 0)


def test_minimal_circuits_against_brute_force():
    spec, params = _ensemble(k=3, n=12, seed=1)
    result = analysis.minimal_circuits(spec, params, X, target_units=2)
    full = np.asarray(nets.apply(spec, params, X)) > 0
    w0, b0 = np.asarray(params[0]["weight"], np.float64), np.asarray(params[0]["bias"], np.float64)
    w1, b1 = np.asarray(params[1]["weight"], np.float64), np.asarray(params[1]["bias"], np.float64)
    for e in range(12):
        smallest = 3
        for size in (1, 2, 3):
            for kept in itertools.combinations(range(3), size):
                # the sub-network of the kept units only, by a numpy forward pass
                hidden = 1 / (1 + np.exp(-(X @ w0[e][:, list(kept)] + b0[e][list(kept)])))
                out = hidden @ w1[e][list(kept)] + b1[e] > 0
                same = (out == full[e]).all()
                m = next(i for i, row in enumerate(result.masks) if tuple(np.flatnonzero(row)) == kept)
                assert result.keeps_classification[e, m] == same
                if same:
                    smallest = min(smallest, size)
        assert result.smallest_kept[e] == smallest
        assert result.has_minimal_subnetwork[e] == (smallest <= 2)
    assert not (result.merge_repaired & result.has_minimal_subnetwork).any()
    # duplicate pairs: hidden units with the same on/off pattern over the inputs, counted by a loop
    pre = np.asarray(nets.activations(spec, params, X)[0][0]) > 0
    for e in range(12):
        pairs = sum((pre[e, :, i] == pre[e, :, j]).all() for i, j in itertools.combinations(range(3), 2))
        assert result.duplicate_pairs[e] == pairs


def test_minimal_circuits_are_invariant_to_permuting_hidden_units():
    spec, params = _ensemble(k=3, n=8, seed=2)
    shuffled = nets.permute_hidden_units(spec, params, [2, 0, 1])
    a, b = analysis.minimal_circuits(spec, params, X), analysis.minimal_circuits(spec, shuffled, X)
    for field in ("smallest_kept", "has_minimal_subnetwork", "merge_repaired", "duplicate_pairs"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))


def test_bad_input_gives_one_line_value_error():
    spec, params = _ensemble()
    flat, flat_params = _ensemble(n=2, widths=[2, 1])
    wide, wide_params = _ensemble(n=2, widths=[2, 7, 6, 1])
    cases = [
        (lambda: analysis.minimal_circuits(spec, params, X, target_units=0), "target_units must be in 1..3"),
        (lambda: analysis.minimal_circuits(spec, params, X, target_units=4), "target_units must be in 1..3"),
        (lambda: analysis.minimal_circuits(spec, params, X + 0.5), "binary inputs"),
        (lambda: analysis.minimal_circuits(flat, flat_params, X), "at least one hidden layer"),
        (lambda: analysis.minimal_circuits(wide, wide_params, X), "at most 12 hidden units in all, the model has 13"),
        (lambda: analysis.masked_predictions(spec, params, X, analysis.unit_masks(2)), "masks must be"),
    ]
    for call, match in cases:
        with pytest.raises(ValueError, match=match) as info:
            call()
        assert "\n" not in str(info.value)


SPEC = nets.mlp([2, 3, 1], "sigmoid")
XOR_X = tasks.binary_inputs(2)


def _sigmoid_ensemble(n=6, spec=SPEC, seed=0):
    return nets.init(spec, key=jax.random.key(seed), n_networks=n, scheme="normal", scale=2.0)


def _xor_net(extra):
    """NAND/NOR/NIMPLY XOR net with a third hidden unit ``extra`` = (w_in (2,), b, w_out)."""
    w0 = np.array([[-10, -10, extra[0][0]], [-10, -10, extra[0][1]]], np.float32)
    b0 = np.array([15, 5, extra[1]], np.float32)
    w1 = np.array([[10], [-10], [extra[2]]], np.float32)
    return [{"weight": w0[None], "bias": b0[None]}, {"weight": w1[None], "bias": np.array([[-5]], np.float32)}]


def test_masked_predictions_equal_removing_units_one_subset_at_a_time():
    params = _sigmoid_ensemble(n=5)
    masks = analysis.unit_masks(3)
    assert len(masks) == 7  # every non-empty subset of 3 units
    fast = analysis.masked_predictions(SPEC, params, XOR_X, masks)
    for m, mask in enumerate(masks):
        removed = [u for u in range(3) if not mask[u]]
        if removed:
            small_spec, small = nets.remove_hidden_units(SPEC, params, removed)
            slow = np.asarray(nets.apply(small_spec, small, XOR_X)) > 0
        else:
            slow = np.asarray(nets.apply(SPEC, params, XOR_X)) > 0
        np.testing.assert_array_equal(fast[:, m], slow)


def test_minimal_circuits_find_the_removable_unit_and_the_split_computation():
    # (a) third unit is dead weight: removing it keeps XOR -> a minimal 2-unit sub-network exists
    useless = _xor_net(([0.0, 0.0], 0.0, 0.5))
    # (b) split computation: the NOR unit is duplicated and each copy carries half its output weight
    split = [{k: np.asarray(v) for k, v in layer.items()} for layer in _xor_net(([-10, -10], 5.0, -5.0))]
    split[1]["weight"][0, 1, 0] = -5.0
    params = [{k: np.concatenate([u[k], s[k]]) for k in ("weight", "bias")} for u, s in zip(useless, split)]
    assert (np.asarray(nets.apply(SPEC, params, XOR_X)) > 0)[:, :, 0].tolist() == [[False, True, True, False]] * 2
    result = analysis.minimal_circuits(SPEC, params, XOR_X)
    assert result.has_minimal_subnetwork.tolist() == [True, False]
    assert result.merge_repaired.tolist() == [False, True]
    assert result.duplicate_pairs.tolist() == [0, 1]


def test_minimal_circuit_counts_equal_a_loop_over_networks():
    useless = _xor_net(([0.0, 0.0], 0.0, 0.5))  # minimal, one removable unit
    split = [{k: np.asarray(v) for k, v in layer.items()} for layer in _xor_net(([-10, -10], 5.0, -5.0))]
    split[1]["weight"][0, 1, 0] = -5.0  # split computation, no removable unit
    random = _sigmoid_ensemble(n=4, seed=3)
    params = [{k: np.concatenate([np.asarray(n[i][k]) for n in (useless, split, random)]) for k in ("weight", "bias")}
              for i in range(2)]
    result = analysis.minimal_circuits(SPEC, params, XOR_X)
    solved = np.array([True, True, True, False, True, False])
    counts = analysis.count_minimal_circuits(result, solved)
    single = analysis.unit_masks(3).sum(1) == 2
    removable = [int(result.keeps_classification[e, single].sum()) for e in range(6) if solved[e]]
    assert counts.solved == 4
    assert counts.minimal == sum(bool(result.has_minimal_subnetwork[e]) for e in range(6) if solved[e])
    assert counts.split == sum(bool(result.merge_repaired[e]) for e in range(6) if solved[e]) >= 1
    assert counts.neither == counts.solved - counts.minimal - counts.split
    assert counts.mean_removable == pytest.approx(sum(removable) / len(removable))
    assert removable[:2] == [1, 0]
    assert analysis.count_minimal_circuits(result, np.zeros(6, bool)).mean_removable is None


def _numpy_logits(layers, x):
    """A plain numpy forward pass of ONE sigmoid net (no compilation)."""
    h = np.asarray(x, np.float64)
    for index, layer in enumerate(layers):
        z = h @ np.asarray(layer["weight"], np.float64) + np.asarray(layer["bias"], np.float64)
        h = z if index == len(layers) - 1 else 1 / (1 + np.exp(-z))
    return h


def _without(layers, gone):
    """ONE net's layers with the hidden units ``gone[l]`` of each hidden layer l deleted."""
    out = [dict(layer) for layer in layers]
    for layer, units in enumerate(gone):
        keep = [u for u in range(out[layer]["weight"].shape[1]) if u not in units]
        out[layer] = {"weight": out[layer]["weight"][:, keep], "bias": out[layer]["bias"][keep]}
        out[layer + 1] = {"weight": out[layer + 1]["weight"][keep], "bias": out[layer + 1]["bias"]}
    return out


def _subsets(n):
    return list(itertools.chain.from_iterable(itertools.combinations(range(n), r) for r in range(n)))


def test_deep_masked_predictions_equal_removing_units_layer_by_layer():
    spec, params = _ensemble(n=4, widths=[3, 3, 2, 1], seed=5)
    x = tasks.binary_inputs(3)
    masks = analysis.unit_masks(5, layer_widths=[3, 2])
    assert len(masks) == 7 * 3  # a non-empty subset of each layer
    fast = analysis.masked_predictions(spec, params, x, masks)
    for e in range(4):
        member = [{k: v[e] for k, v in layer.items()} for layer in params]
        for m, mask in enumerate(masks):
            gone = [[u for u in range(3) if not mask[u]], [u for u in range(2) if not mask[3 + u]]]
            np.testing.assert_array_equal(fast[e, m], _numpy_logits(_without(member, gone), x) > 0)


def test_deep_minimal_circuits_against_brute_force_and_merge():
    spec, params = _ensemble(n=8, widths=[2, 3, 2, 1], seed=2)
    result = analysis.minimal_circuits(spec, params, X, target_units=3)
    for e in range(8):
        member = [{k: v[e] for k, v in layer.items()} for layer in params]
        full = _numpy_logits(member, X) > 0
        smallest = min(5 - len(g0) - len(g1) for g0 in _subsets(3) for g1 in _subsets(2)
                       if ((_numpy_logits(_without(member, [g0, g1]), X) > 0) == full).all())
        assert result.smallest_kept[e] == smallest
        assert result.has_minimal_subnetwork[e] == (smallest <= 3)
    # a copy of a unit of the second hidden layer (each with half the outgoing weight) is found and merged
    twin = [{k: np.array(v[:1]) for k, v in layer.items()} for layer in params]
    twin[1]["weight"][0, :, 1] = twin[1]["weight"][0, :, 0]
    twin[1]["bias"][0, 1] = twin[1]["bias"][0, 0]
    twin[2]["weight"][0, :, 0] = twin[2]["weight"][0, 0, 0] / 2
    assert analysis.minimal_circuits(spec, twin, X, target_units=2).duplicate_pairs[0] >= 1
