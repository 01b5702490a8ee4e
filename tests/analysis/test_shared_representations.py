"""Hidden codes, similarity and spectra of routing nets against plain loops and known matrices."""

import doctest

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from toyscope import analysis
from toyscope.analysis import _shared_representations


def test_domain_codes_and_similarity_match_loops():
    rng = np.random.default_rng(0)
    m, items, d, n_h = 3, 2, 4, 5
    encodings = rng.normal(size=(m, items, d))
    params = {f"in{i}->h1_0_0": rng.normal(size=(2, d, n_h)) for i in range(m)}
    codes = analysis.domain_codes(params, encodings)
    sim = analysis.cosine_similarity(codes)
    assert codes.shape == (2, m * items, n_h) and sim.shape == (2, m * items, m * items)
    for e in range(2):
        for i in range(m):
            for n in range(items):
                np.testing.assert_allclose(codes[e, i * items + n], encodings[i, n] @ params[f"in{i}->h1_0_0"][e])
        for r in range(m * items):
            for s in range(m * items):
                a, b = codes[e, r], codes[e, s]
                assert sim[e, r, s] == pytest.approx(a @ b / np.linalg.norm(a) / np.linalg.norm(b))


def test_cross_domain_similarity_averages_the_right_pairs():
    rng = np.random.default_rng(1)
    m, items = 3, 2
    sim = rng.uniform(-1, 1, size=(2, m * items, m * items))
    same, diff = analysis.cross_domain_similarity(sim, m, items)
    for e in range(2):
        pairs = [(i, n, j, k) for i in range(m) for n in range(items) for j in range(m) for k in range(items) if i != j]
        assert same[e] == pytest.approx(np.mean([sim[e, i * items + n, j * items + k] for i, n, j, k in pairs if n == k]))
        assert diff[e] == pytest.approx(np.mean([sim[e, i * items + n, j * items + k] for i, n, j, k in pairs if n != k]))


def test_zero_codes_have_similarity_zero():
    assert analysis.cosine_similarity(np.zeros((1, 2, 3))).tolist() == [[[0.0, 0.0], [0.0, 0.0]]]


def test_routing_spectra_of_rotated_diagonal_weights():
    rng = np.random.default_rng(2)

    def rotated(values):  # U diag(values) V^T with random orthogonal U, V
        u, _ = np.linalg.qr(rng.normal(size=(4, 4)))
        v, _ = np.linalg.qr(rng.normal(size=(4, 4)))
        return u @ np.diag(values) @ v.T

    params = {"h1_0_0->h2_0_0": rotated([4.0, 3.0, 2.0, 1.0]), "in0->h1_0_0": rotated([2.0, 1, 1, 1]),
              "in1->h1_0_0": rotated([1.0, 0.5, 0.5, 0.5]), "h2_0_0->out0": rotated([1.0, 1, 1, 1]),
              "h2_0_0->out1": rotated([3.0, 1, 1, 1])}
    spectra = analysis.routing_spectra(params, 2, n=2)
    np.testing.assert_allclose(spectra.hidden, [4.0, 3.0])
    np.testing.assert_allclose(spectra.input, [1.5, 0.75])
    np.testing.assert_allclose(spectra.output, [2.0, 1.0])
    assert spectra.hidden_to_input_ratio() == pytest.approx(4 / 1.5)
    assert spectra.hidden_to_output_ratio() == pytest.approx(2.0)


def test_top_singular_value_metric_under_jit_matches_numpy():
    rng = np.random.default_rng(3)
    params = {name: jnp.asarray(rng.normal(size=(5, 5)), jnp.float32) for name in ("a", "b", "c")}
    metric = jax.jit(analysis.top_singular_value_metric(["a", "c"]))
    expected = max(np.linalg.svd(np.asarray(params[n]), compute_uv=False)[0] for n in ("a", "c"))
    assert float(metric(params)) == pytest.approx(expected, rel=1e-5)


def test_examples_run():
    assert doctest.testmod(_shared_representations).failed == 0
