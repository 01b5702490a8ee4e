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






def test_routing_task_gates_every_grouping_of_a_parallel_net():
    codes, y = tasks.orthogonal_encodings(4, 4, 4, seed=0), tasks.hierarchical_targets()
    data = tasks.routing_task(tasks.band_routes(4, 2), codes, y, group_size=(1, 2))
    for n in range(len(data["item"])):
        i, o = data["input_domain"][n], data["output_domain"][n]
        on = {name for name, g in data["gates"].items() if g[n] == 1 and name.startswith("h1_")}
        assert on == {f"h1_g1_{i}_{o}", f"h1_g2_{i // 2}_{o // 2}"}
    with pytest.raises(ValueError, match="group_size must divide M=4"):
        tasks.routing_task(tasks.band_routes(4, 2), codes, y, group_size=(1, 3))
