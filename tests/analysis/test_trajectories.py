"""Trajectory point clouds: flattening equals a loop over snapshots, the plane is the top-2 PCA."""

from __future__ import annotations

import jax
import numpy as np

from toyscope import analysis, nets


def test_flat_snapshots_equal_flattening_each_snapshot_and_member():
    spec = nets.mlp([2, 3, 1], "sigmoid")
    params = nets.init(spec, key=jax.random.key(0), n_networks=4)
    stacked = jax.tree_util.tree_map(lambda a: np.stack([a, 2 * a, -a]), params)  # (T=3, E=4, ...)
    flat = analysis.flat_snapshots(stacked, 3)
    assert flat.shape == (3, 4, 13)
    for t, factor in enumerate((1, 2, -1)):
        for e in range(4):
            member = [{k: factor * np.asarray(v)[e] for k, v in layer.items()} for layer in params]
            np.testing.assert_allclose(flat[t, e], np.asarray(nets.flatten_params(member)), rtol=1e-6)


def test_trajectory_plane_is_the_projection_on_the_top_two_principal_axes():
    rng = np.random.default_rng(0)
    # points spread mostly along two known directions, plus small noise
    directions = np.linalg.qr(rng.normal(size=(6, 2)))[0].T  # (2, 6) orthonormal
    coefficients = rng.normal(size=(5, 7, 2)) * np.array([10.0, 3.0])
    flat = coefficients @ directions + 1e-3 * rng.normal(size=(5, 7, 6)) + 4.0
    plane = analysis.trajectory_plane(flat)
    assert plane.shape == (5, 7, 2)
    points = flat.reshape(-1, 6)
    centred = points - points.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    expected = (centred @ vt[:2].T).reshape(5, 7, 2)
    for axis in range(2):  # principal axes are defined up to sign
        sign = np.sign(np.dot(plane[..., axis].ravel(), expected[..., axis].ravel()))
        np.testing.assert_allclose(plane[..., axis], sign * expected[..., axis], atol=1e-8)


def test_trajectory_tsne_is_one_seeded_embedding_of_all_points():
    flat = np.random.default_rng(1).normal(size=(6, 5, 4))
    got = analysis.trajectory_tsne(flat, seed=3, perplexity=5.0, iterations=250)
    assert got.shape == (6, 5, 2)
    direct = analysis.tsne_embedding(flat.reshape(30, 4), seed=3, perplexity=5.0, iterations=250)
    np.testing.assert_array_equal(got.reshape(30, 2), direct)  # point (t, m) is row t * M + m
