"""Ablations: masks against itertools, masked outputs against numpy, minimal circuits against brute force."""

from __future__ import annotations

import itertools

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
    deep, deep_params = _ensemble(n=2, widths=[2, 3, 3, 1])
    cases = [
        (lambda: analysis.minimal_circuits(spec, params, X, target_units=0), "target_units must be in 1..3"),
        (lambda: analysis.minimal_circuits(spec, params, X, target_units=4), "target_units must be in 1..3"),
        (lambda: analysis.minimal_circuits(spec, params, X + 0.5), "binary inputs"),
        (lambda: analysis.minimal_circuits(deep, deep_params, X), "one hidden layer"),
        (lambda: analysis.masked_predictions(deep, deep_params, X, analysis.unit_masks(3)), "one hidden layer"),
    ]
    for call, match in cases:
        with pytest.raises(ValueError, match=match) as info:
            call()
        assert "\n" not in str(info.value)
