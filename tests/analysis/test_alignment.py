"""Hidden-unit alignment: recovering known permutations, sort keys against argsort loops, invariance."""

from __future__ import annotations

import itertools

import jax
import numpy as np
import pytest

from toyscope import analysis, nets, tasks

X = np.random.default_rng(9).normal(size=(10, 3)).astype(np.float32)


def _ensemble(widths, n, seed=0, bias=True):
    """An ensemble drawn with numpy (no compilation): N(0, 1) weights and, when present, biases."""
    spec = nets.mlp(widths, "tanh", bias=bias)
    rng = np.random.default_rng(seed)
    params = []
    for d_in, d_out in itertools.pairwise(widths):
        layer = {"weight": rng.normal(size=(n, d_in, d_out)).astype(np.float32)}
        if bias:
            layer["bias"] = rng.normal(size=(n, d_out)).astype(np.float32)
        params.append(layer)
    return spec, params


def test_unit_features_layout_against_a_loop():
    spec, params = _ensemble([3, 4, 2], 2)
    feats = analysis.unit_features(spec, params)
    assert feats.shape == (2, 4, 3 + 1 + 2)
    for e in range(2):
        for j in range(4):
            expected = [*np.asarray(params[0]["weight"])[e, :, j], np.asarray(params[0]["bias"])[e, j],
                        *np.asarray(params[1]["weight"])[e, j, :]]
            np.testing.assert_array_equal(feats[e, j], expected)
    spec_nb, params_nb = _ensemble([3, 4, 2], 2, bias=False)
    assert analysis.unit_features(spec_nb, params_nb).shape == (2, 4, 3 + 2)


@pytest.mark.parametrize("key", ["outgoing", "incoming_norm", "bias"])
def test_canonical_permutation_sorts_by_key_descending(key):
    spec, params = _ensemble([3, 5, 2], 3, seed=1)
    perms = analysis.canonical_permutation(spec, params, key=key)
    for e in range(3):
        w_in, b = np.asarray(params[0]["weight"])[e], np.asarray(params[0]["bias"])[e]
        w_out = np.asarray(params[1]["weight"])[e]
        score = [{"outgoing": w_out[j].sum(), "incoming_norm": np.linalg.norm(w_in[:, j]), "bias": b[j]}[key]
                 for j in range(5)]
        assert perms[e].tolist() == sorted(range(5), key=lambda j: -score[j])


def test_canonical_form_is_invariant_and_keeps_the_function():
    spec, params = _ensemble([3, 5, 2], 4, seed=2)
    rng = np.random.default_rng(0)
    shuffled = nets.permute_hidden_units(spec, params, np.stack([rng.permutation(5) for _ in range(4)]))
    for key in ("outgoing", "incoming_norm", "bias"):
        a = analysis.canonicalize_hidden_units(spec, params, key=key)
        b = analysis.canonicalize_hidden_units(spec, shuffled, key=key)
        np.testing.assert_allclose(nets.flatten_params(a), nets.flatten_params(b), atol=1e-6)
        np.testing.assert_allclose(nets.apply(spec, a, X), nets.apply(spec, params, X), atol=1e-5)


def test_alignment_recovers_a_known_permutation_in_the_second_hidden_layer():
    spec, params = _ensemble([3, 4, 5, 2], 3, seed=3)
    rng = np.random.default_rng(1)
    perms = np.stack([rng.permutation(5) for _ in range(3)])
    shuffled = nets.permute_hidden_units(spec, params, perms, layer=1)
    found = analysis.alignment_permutation(spec, shuffled, params, layer=1)
    # new unit i = old unit found[i]: shuffled unit perms^{-1}[i] is the reference's unit i
    np.testing.assert_array_equal(found, np.argsort(perms, axis=1))
    aligned = analysis.align_hidden_units(spec, shuffled, params, layer=1)
    np.testing.assert_allclose(nets.flatten_params(aligned), nets.flatten_params(params), atol=1e-6)
    np.testing.assert_allclose(nets.apply(spec, aligned, X), nets.apply(spec, params, X), atol=1e-5)


def test_alignment_of_wide_layers_uses_the_exact_assignment():
    """k = 9 > 7 takes the Hungarian path: still recovers a known permutation, and is optimal."""
    spec, params = _ensemble([3, 9, 2], 2, seed=4)
    rng = np.random.default_rng(2)
    perms = np.stack([rng.permutation(9) for _ in range(2)])
    shuffled = nets.permute_hidden_units(spec, params, perms)
    reference = [{k: np.asarray(v)[0] for k, v in layer.items()} for layer in params]  # one network
    found = analysis.alignment_permutation(spec, shuffled, reference)
    np.testing.assert_array_equal(found[0], np.argsort(perms[0]))
    ref, feats = analysis.unit_features(spec, params)[0], analysis.unit_features(spec, shuffled)[1]
    best = ((ref - feats[found[1]]) ** 2).sum()
    for _ in range(200):  # no random permutation does better
        assert ((ref - feats[rng.permutation(9)]) ** 2).sum() >= best - 1e-9


def test_bad_input_gives_one_line_value_error():
    spec, params = _ensemble([3, 4, 2], 2)
    one = [{k: np.asarray(v)[0] for k, v in layer.items()} for layer in params]
    spec_nb, params_nb = _ensemble([3, 4, 2], 2, bias=False)
    _, other = _ensemble([3, 4, 2], 3)
    cases = [
        (lambda: analysis.unit_features(spec, params, layer=1), "layer must index a hidden layer"),
        (lambda: analysis.unit_features(spec, one), "ensemble"),
        (lambda: analysis.canonical_permutation(spec, params, key="size"), "unknown sort key 'size'"),
        (lambda: analysis.canonical_permutation(spec_nb, params_nb, key="bias"), "needs a layer with biases"),
        (lambda: analysis.alignment_permutation(spec, params, other), "reference ensemble has 3 members"),
    ]
    for call, match in cases:
        with pytest.raises(ValueError, match=match) as info:
            call()
        assert "\n" not in str(info.value)


SPEC = nets.mlp([2, 3, 1], "sigmoid")
XOR_X = tasks.binary_inputs(2)


def _sigmoid_ensemble(n=6, spec=SPEC, seed=0):
    return nets.init(spec, key=jax.random.key(seed), n_networks=n, scheme="normal", scale=2.0)


def test_alignment_undoes_a_random_permutation_and_canonical_form_is_permutation_invariant():
    params = _sigmoid_ensemble()
    rng = np.random.default_rng(0)
    perms = np.stack([rng.permutation(3) for _ in range(6)])
    shuffled = nets.permute_hidden_units(SPEC, params, perms)
    aligned = analysis.align_hidden_units(SPEC, shuffled, params)  # member e to reference member e
    np.testing.assert_allclose(nets.flatten_params(aligned), nets.flatten_params(params), atol=1e-6)
    a = analysis.canonicalize_hidden_units(SPEC, params)
    b = analysis.canonicalize_hidden_units(SPEC, shuffled)
    np.testing.assert_allclose(nets.flatten_params(a), nets.flatten_params(b), atol=1e-6)
    np.testing.assert_allclose(nets.apply(SPEC, a, XOR_X), nets.apply(SPEC, params, XOR_X), atol=1e-5)


def test_alignment_to_one_reference_is_the_brute_force_optimum():
    params = _sigmoid_ensemble(n=4)
    reference = [{k: np.asarray(v)[0] for k, v in layer.items()} for layer in params]
    perms = analysis.alignment_permutation(SPEC, params, reference)
    feats = analysis.unit_features(SPEC, params)
    ref = feats[0]
    for e in range(4):
        costs = {p: ((ref - feats[e][list(p)]) ** 2).sum() for p in itertools.permutations(range(3))}
        assert np.isclose(((ref - feats[e][perms[e]]) ** 2).sum(), min(costs.values()))
