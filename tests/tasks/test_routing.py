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




