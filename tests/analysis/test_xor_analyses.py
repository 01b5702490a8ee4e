"""Alignment, landscape, ablation, covariance and embedding analyses against independent truth."""

from __future__ import annotations

import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from toyscope import analysis, nets, tasks

SPEC = nets.mlp([2, 3, 1], "sigmoid")
X = tasks.binary_inputs(2)


def _ensemble(n=6, spec=SPEC, seed=0):
    return nets.init(spec, key=jax.random.key(seed), n_networks=n, scheme="normal", scale=2.0)


def test_alignment_undoes_a_random_permutation_and_canonical_form_is_permutation_invariant():
    params = _ensemble()
    rng = np.random.default_rng(0)
    perms = np.stack([rng.permutation(3) for _ in range(6)])
    shuffled = nets.permute_hidden_units(SPEC, params, perms)
    aligned = analysis.align_hidden_units(SPEC, shuffled, params)  # member e to reference member e
    np.testing.assert_allclose(nets.flatten_params(aligned), nets.flatten_params(params), atol=1e-6)
    a = analysis.canonicalize_hidden_units(SPEC, params)
    b = analysis.canonicalize_hidden_units(SPEC, shuffled)
    np.testing.assert_allclose(nets.flatten_params(a), nets.flatten_params(b), atol=1e-6)
    np.testing.assert_allclose(nets.apply(SPEC, a, X), nets.apply(SPEC, params, X), atol=1e-5)


def test_alignment_to_one_reference_is_the_brute_force_optimum():
    params = _ensemble(n=4)
    reference = [{k: np.asarray(v)[0] for k, v in layer.items()} for layer in params]
    perms = analysis.alignment_permutation(SPEC, params, reference)
    feats = analysis.unit_features(SPEC, params)
    ref = feats[0]
    for e in range(4):
        costs = {p: ((ref - feats[e][list(p)]) ** 2).sum() for p in itertools.permutations(range(3))}
        assert np.isclose(((ref - feats[e][perms[e]]) ** 2).sum(), min(costs.values()))


def test_gradient_norm_and_hessian_match_finite_differences():
    with jax.enable_x64(True):
        params = jax.tree_util.tree_map(lambda a: jnp.asarray(a, jnp.float64), _ensemble(n=2))
        data = tasks.xor_task(np.float64)
        loss = analysis.flat_mlp_loss(SPEC, data, "bce")
        theta = np.asarray(nets.flatten_params(params))
        eps = 1e-5
        for e in range(2):
            t = theta[e]
            grad_fd = np.array([(loss(t + eps * d) - loss(t - eps * d)) / (2 * eps) for d in np.eye(len(t))])
            hess_fd = np.array([[(loss(t + eps * (di + dj)) - loss(t + eps * (di - dj)) - loss(t - eps * (di - dj))
                                  + loss(t - eps * (di + dj))) / (4 * eps**2) for dj in np.eye(len(t))]
                                for di in np.eye(len(t))])
            assert np.isclose(analysis.gradient_norms(loss, theta)[e], np.linalg.norm(grad_fd), rtol=1e-5)
            np.testing.assert_allclose(analysis.hessian_eigenvalues(loss, theta)[e],
                                       np.linalg.eigvalsh(0.5 * (hess_fd + hess_fd.T)), atol=1e-4)


def test_loss_barrier_of_a_double_well_and_of_a_convex_path():
    double_well = lambda t: (t[0] ** 2 - 1.0) ** 2  # minima at -1 and +1, value 1 at 0
    barrier = analysis.loss_barriers(double_well, np.array([[-1.0], [0.5]]), np.array([[1.0], [0.5]]), n_points=21)
    np.testing.assert_allclose(barrier, [1.0, 0.0], atol=1e-6)
    convex = lambda t: (t**2).sum()
    assert analysis.loss_barriers(convex, np.array([[-1.0, 2.0]]), np.array([[3.0, 1.0]]))[0] <= 1e-6


def test_masked_predictions_equal_removing_units_one_subset_at_a_time():
    params = _ensemble(n=5)
    masks = analysis.unit_masks(3)
    assert len(masks) == 7  # every non-empty subset of 3 units
    fast = analysis.masked_predictions(SPEC, params, X, masks)
    for m, mask in enumerate(masks):
        removed = [u for u in range(3) if not mask[u]]
        if removed:
            small_spec, small = nets.remove_hidden_units(SPEC, params, removed)
            slow = np.asarray(nets.apply(small_spec, small, X)) > 0
        else:
            slow = np.asarray(nets.apply(SPEC, params, X)) > 0
        np.testing.assert_array_equal(fast[:, m], slow)


def _xor_net(extra):
    """NAND/NOR/NIMPLY XOR net with a third hidden unit ``extra`` = (w_in (2,), b, w_out)."""
    w0 = np.array([[-10, -10, extra[0][0]], [-10, -10, extra[0][1]]], np.float32)
    b0 = np.array([15, 5, extra[1]], np.float32)
    w1 = np.array([[10], [-10], [extra[2]]], np.float32)
    return [{"weight": w0[None], "bias": b0[None]}, {"weight": w1[None], "bias": np.array([[-5]], np.float32)}]


def test_minimal_circuits_find_the_removable_unit_and_the_split_computation():
    # (a) third unit is dead weight: removing it keeps XOR -> a minimal 2-unit sub-network exists
    useless = _xor_net(([0.0, 0.0], 0.0, 0.5))
    # (b) split computation: the NOR unit is duplicated and each copy carries half its output weight
    split = [{k: np.asarray(v) for k, v in layer.items()} for layer in _xor_net(([-10, -10], 5.0, -5.0))]
    split[1]["weight"][0, 1, 0] = -5.0
    params = [{k: np.concatenate([u[k], s[k]]) for k in ("weight", "bias")} for u, s in zip(useless, split)]
    assert (np.asarray(nets.apply(SPEC, params, X)) > 0)[:, :, 0].tolist() == [[False, True, True, False]] * 2
    result = analysis.minimal_circuits(SPEC, params, X)
    assert result.has_minimal_subnetwork.tolist() == [True, False]
    assert result.merge_repaired.tolist() == [False, True]
    assert result.duplicate_pairs.tolist() == [0, 1]


def test_minimal_circuit_counts_equal_a_loop_over_networks():
    useless = _xor_net(([0.0, 0.0], 0.0, 0.5))  # minimal, one removable unit
    split = [{k: np.asarray(v) for k, v in layer.items()} for layer in _xor_net(([-10, -10], 5.0, -5.0))]
    split[1]["weight"][0, 1, 0] = -5.0  # split computation, no removable unit
    random = _ensemble(n=4, seed=3)
    params = [{k: np.concatenate([np.asarray(n[i][k]) for n in (useless, split, random)]) for k in ("weight", "bias")}
              for i in range(2)]
    result = analysis.minimal_circuits(SPEC, params, X)
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


def test_covariance_rank_and_block_score():
    rng = np.random.default_rng(0)
    acts = rng.normal(size=(16, 9))
    np.testing.assert_allclose(analysis.activation_covariance(acts), np.cov(acts.T, bias=True))
    low_rank = rng.normal(size=(16, 3)) @ rng.normal(size=(3, 9))
    s = np.linalg.svd(analysis.activation_covariance(low_rank), compute_uv=False)
    assert analysis.effective_rank(s) == 3
    blocks = [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
    block_diag = np.kron(np.eye(3), np.ones((3, 3)))
    assert analysis.block_structure_score(block_diag, blocks) == 1.0
    assert analysis.block_structure_score(np.ones((9, 9)), blocks) == pytest.approx(
        analysis.block_structure_baseline(9, blocks))


def test_embeddings_clusters_and_rank_correlation():
    rng = np.random.default_rng(0)
    centres = np.array([[0.0] * 5, [10.0] * 5, [-10.0, 10.0, 0, 0, 0]])
    truth = np.repeat(np.arange(3), 40)
    points = centres[truth] + rng.normal(size=(120, 5))
    labels, k = analysis.kmeans_clusters(points, "auto", seed=0)
    assert k == 3 and analysis.adjusted_rand(labels, truth) == 1.0
    assert analysis.tsne_embedding(points, seed=0, iterations=250).shape == (120, 2)
    rho, n_pairs = analysis.distance_rank_correlation(points, 2 * points + 1)
    assert rho == pytest.approx(1.0) and n_pairs == 120 * 119 // 2
    rho_random, _ = analysis.distance_rank_correlation(points, rng.normal(size=(120, 5)))
    assert abs(rho_random) < 0.1
    auc = analysis.success_auc(points, truth == 1, seed=0)
    assert auc[0] > 0.95
    assert analysis.success_auc(points, np.zeros(120, bool), seed=0) is None
