"""Routing tasks of the neural-race study: route patterns, hierarchical targets, transformed MNIST-like routes."""

import numpy as np
import pytest

from toyscope import tasks


def test_band_routes_and_validation():
    assert tasks.band_routes(7, 4)[0].nonzero()[0].tolist() == [0, 1, 2, 6]  # i-1, i, i+1, i+2 mod M
    assert (tasks.band_routes(5, 3).sum(0) == 3).all() and (tasks.band_routes(5, 3).sum(1) == 3).all()
    with pytest.raises(ValueError, match="n_trained"):
        tasks.band_routes(3, 4)
    routes = np.eye(3, dtype=bool)
    routes[1, 1] = False
    routes[0, 1] = True
    with pytest.raises(ValueError, match="input domain 1 has no trained route"):
        tasks.check_routes(routes)


def test_hierarchical_targets_and_orthogonal_codes():
    y = tasks.hierarchical_targets()
    np.testing.assert_allclose(np.linalg.svd(y, compute_uv=False), [np.sqrt(185), np.sqrt(41), 3, 3], rtol=1e-6)
    enc = tasks.orthogonal_encodings(3, 4, 5, seed=1)
    for codes in enc:
        np.testing.assert_allclose(codes @ codes.T, np.eye(4), atol=1e-5)
    assert not np.allclose(enc[0], enc[1])


def test_rotated_copies_half_turn_is_a_flip():
    images = np.random.default_rng(0).random((3, 6, 6)).astype(np.float32)
    rotated = tasks.rotated_copies(images, 2)  # 0 and 180 degrees
    np.testing.assert_allclose(rotated[0], images.reshape(3, -1))
    np.testing.assert_allclose(rotated[1], images[:, ::-1, ::-1].reshape(3, -1), atol=1e-5)


def test_transformed_routes_target_the_permuted_label_of_the_active_output():
    rng = np.random.default_rng(1)
    features = rng.standard_normal((3, 20, 5)).astype(np.float32)
    labels = rng.integers(0, 4, 20)
    perms = tasks.label_permutations(3, 4, seed=2)
    assert (perms[0] == np.arange(4)).all() and all(sorted(p) == [0, 1, 2, 3] for p in perms)
    routes = tasks.band_routes(3, 2)
    data = tasks.transformed_routing_task(features, labels, perms, routes, 5, seed=0)
    assert len(data["label"]) == routes.sum() * 5
    for n in range(len(data["label"])):
        i, o = data["input_domain"][n], data["output_domain"][n]
        assert routes[i, o]
        assert data["y"][f"out{o}"][n].argmax() == perms[o][data["label"][n]]
        assert data["gates"][f"in{i}"][n] == 1 and sum(data["gates"][f"in{j}"][n] for j in range(3)) == 1
        assert any(np.allclose(data["x"][f"in{i}"][n], features[i][m]) for m in np.flatnonzero(labels == data["label"][n]))
    with pytest.raises(ValueError, match="n_per_route"):
        tasks.transformed_routing_task(features, labels, perms, routes, 21, seed=0)
