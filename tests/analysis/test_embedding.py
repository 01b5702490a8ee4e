"""Embeddings and clusters: PCA against an SVD by hand, t-SNE and k-means on separated clusters."""

from __future__ import annotations

import numpy as np
import pytest

from toyscope import analysis


def _clusters(seed=0, n_per=30, spread=1.0):
    rng = np.random.default_rng(seed)
    centres = np.array([[0.0] * 4, [12.0] * 4, [-12.0, 12.0, 0, 0]])
    truth = np.repeat(np.arange(3), n_per)
    return centres[truth] + spread * rng.normal(size=(3 * n_per, 4)), truth


def test_pca_embedding_equals_projection_on_svd_axes():
    rng = np.random.default_rng(0)
    points = rng.normal(size=(50, 5)) * np.array([5.0, 3.0, 1.0, 0.5, 0.1])
    embedding, ratios = analysis.pca_embedding(points, 2)
    centred = points - points.mean(0)
    _, s, vt = np.linalg.svd(centred, full_matrices=False)
    expected = centred @ vt[:2].T
    signs = np.sign((embedding * expected).sum(0))  # axes are defined up to sign
    np.testing.assert_allclose(embedding * signs, expected, atol=1e-9)
    np.testing.assert_allclose(ratios, s[:2] ** 2 / (s**2).sum())


def test_pca_embedding_fit_points_set_the_axes():
    rng = np.random.default_rng(1)
    fit = np.stack([np.linspace(-5, 5, 40), np.zeros(40)], 1) + 0.01 * rng.normal(size=(40, 2))  # along x
    other = np.array([[1.0, 7.0], [3.0, -2.0]])
    embedding, ratios = analysis.pca_embedding(other, 1, fit_points=fit)
    assert ratios[0] > 0.999
    sign = np.sign(embedding[1, 0])  # the axis is defined up to sign; other[1] lies on its + side
    # the fit axis is x, so the large y of other[0] does not enter its coordinate
    np.testing.assert_allclose(sign * embedding[:, 0], other[:, 0] - fit[:, 0].mean(), atol=0.05)


def test_tsne_is_seeded_and_keeps_separated_clusters_apart():
    points, truth = _clusters()
    a = analysis.tsne_embedding(points, seed=0, perplexity=10, iterations=250)
    b = analysis.tsne_embedding(points, seed=0, perplexity=10, iterations=250)
    assert a.shape == (90, 2)
    np.testing.assert_array_equal(a, b)
    labels, k = analysis.kmeans_clusters(a, 3, seed=0)
    assert k == 3 and analysis.adjusted_rand(labels, truth) == 1.0


def test_tsne_on_few_points_lowers_the_perplexity():
    points = np.random.default_rng(2).normal(size=(8, 3))
    assert analysis.tsne_embedding(points, seed=0, iterations=250).shape == (8, 2)


def test_kmeans_with_fixed_k_and_subsampled_fit():
    points, truth = _clusters(n_per=40)
    labels, k = analysis.kmeans_clusters(points, 3, seed=1, fit_sample=30)  # centres from 30 points
    assert k == 3 and labels.shape == (120,)
    assert analysis.adjusted_rand(labels, truth) == 1.0
    labels2, k2 = analysis.kmeans_clusters(points, 2, seed=1)
    assert k2 == 2 and len(set(labels2)) == 2


def test_kmeans_auto_picks_the_number_of_clusters():
    rng = np.random.default_rng(3)
    centres = rng.normal(scale=20, size=(5, 3))
    truth = np.repeat(np.arange(5), 25)
    points = centres[truth] + rng.normal(size=(125, 3))
    labels, k = analysis.kmeans_clusters(points, "auto", seed=0, selection_sample=60)
    assert k == 5 and analysis.adjusted_rand(labels, truth) == 1.0


def test_adjusted_rand_known_values():
    assert analysis.adjusted_rand([0, 0, 1, 1], [1, 1, 0, 0]) == 1.0  # relabelling does not matter
    # contingency [[1,1],[1,1]]: index 0, expected (2*2)/6 = 2/3, max 2 -> ARI = (0 - 2/3)/(2 - 2/3) = -0.5
    assert analysis.adjusted_rand([0, 0, 1, 1], [0, 1, 0, 1]) == pytest.approx(-0.5)


def test_distance_rank_correlation_against_pairwise_loop():
    rng = np.random.default_rng(4)
    a, b = rng.normal(size=(9, 3)), rng.normal(size=(9, 3))
    da = [np.linalg.norm(a[i] - a[j]) for i in range(9) for j in range(i + 1, 9)]
    db = [np.linalg.norm(b[i] - b[j]) for i in range(9) for j in range(i + 1, 9)]
    rank = lambda v: np.argsort(np.argsort(v)).astype(float)  # (no ties in random distances)
    expected = np.corrcoef(rank(da), rank(db))[0, 1]
    rho, n_pairs = analysis.distance_rank_correlation(a, b)
    assert n_pairs == 36 and rho == pytest.approx(expected)
    # rotations and translations keep every distance: rho = 1
    q, _ = np.linalg.qr(rng.normal(size=(3, 3)))
    assert analysis.distance_rank_correlation(a, a @ q + 5)[0] == pytest.approx(1.0)


def test_success_auc_learns_a_radius_and_refuses_tiny_classes():
    rng = np.random.default_rng(5)
    features = rng.normal(size=(200, 2))
    success = np.linalg.norm(features, axis=1) < 1.0  # not linearly separable; the squared features make it so
    mean, std = analysis.success_auc(features, success, seed=0)
    assert mean > 0.95 and 0 <= std < 0.1
    noise_auc, _ = analysis.success_auc(features, rng.random(200) < 0.5, seed=0)
    assert abs(noise_auc - 0.5) < 0.15
    few = np.zeros(200, bool)
    few[:4] = True  # 4 successes < 5 folds
    assert analysis.success_auc(features, few, seed=0) is None


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
