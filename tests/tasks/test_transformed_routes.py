"""The naturalistic routing task: rotations against np.rot90, examples against a loop over routes."""

from __future__ import annotations

import numpy as np
import pytest

from toyscope import tasks


def test_quarter_turns_equal_rot90():
    images = np.random.default_rng(0).random((2, 5, 5)).astype(np.float32)
    rotated = tasks.rotated_copies(images, 4)  # 0, 90, 180, 270 degrees
    assert rotated.shape == (4, 2, 25) and rotated.dtype == np.float32
    np.testing.assert_array_equal(rotated[0], images.reshape(2, -1))
    # scipy's positive angle turns counter-clockwise in the (row, column) plane as np.rot90 does
    for k in (1, 2, 3):
        np.testing.assert_allclose(rotated[k], np.rot90(images, k, axes=(1, 2)).reshape(2, -1), atol=1e-5)


def test_rotated_copies_rejects_non_image_stacks():
    with pytest.raises(ValueError, match="images must be"):
        tasks.rotated_copies(np.zeros((4, 4)), 2)


def test_label_permutations():
    perms = tasks.label_permutations(4, 6, seed=0)
    assert perms.shape == (4, 6)
    assert perms[0].tolist() == list(range(6))
    assert all(sorted(p) == list(range(6)) for p in perms.tolist())
    np.testing.assert_array_equal(perms, tasks.label_permutations(4, 6, seed=0))
    assert not np.array_equal(perms, tasks.label_permutations(4, 6, seed=1))


def _data(seed=0, n_per_route=4):
    rng = np.random.default_rng(seed)
    features = rng.standard_normal((3, 12, 4)).astype(np.float32)
    labels = rng.integers(0, 5, 12)
    perms = tasks.label_permutations(3, 5, seed=1)
    routes = np.array([[1, 1, 0], [0, 1, 0], [1, 0, 1]], bool)
    return features, labels, perms, routes, tasks.transformed_routing_task(features, labels, perms, routes,
                                                                           n_per_route, seed=seed)


def test_examples_against_a_loop_over_routes():
    features, labels, perms, routes, data = _data()
    n = routes.sum() * 4
    np.testing.assert_allclose(data["weight"], np.full(n, 1 / n))
    pairs = [tuple(p) for p in np.argwhere(routes).tolist()]
    # routes in row-major order, n_per_route consecutive examples each, distinct images within a route
    for r, (i, o) in enumerate(pairs):
        block = slice(4 * r, 4 * r + 4)
        assert (data["input_domain"][block] == i).all() and (data["output_domain"][block] == o).all()
    for n_ in range(n):
        i, o = data["input_domain"][n_], data["output_domain"][n_]
        matches = [m for m in range(12) if np.array_equal(data["x"][f"in{i}"][n_], features[i][m])]
        assert matches and labels[matches[0]] == data["label"][n_]
        for j in range(3):
            assert data["gates"][f"in{j}"][n_] == (j == i) and data["gates"][f"out{j}"][n_] == (j == o)
            if j != i:
                assert (data["x"][f"in{j}"][n_] == 0).all()
            expected = np.zeros(5)
            if j == o:
                expected[perms[o][data["label"][n_]]] = 1.0
            np.testing.assert_array_equal(data["y"][f"out{j}"][n_], expected)
    for r in range(len(pairs)):
        block = data["x"][f"in{pairs[r][0]}"][4 * r:4 * r + 4]
        assert len({b.tobytes() for b in block}) == 4  # drawn without replacement


def test_all_images_when_n_per_route_is_n():
    _, labels, _, _, data = _data(n_per_route=12)
    first = data["label"][:12]
    assert sorted(first.tolist()) == sorted(labels.tolist())


@pytest.mark.parametrize("change, match", [
    ({"n_per_route": 0}, "n_per_route"), ({"n_per_route": 13}, "n_per_route"),
    ({"routes": np.ones((2, 2), bool)}, "disagree"), ({"labels": np.zeros(11, int)}, "disagree"),
    ({"permutations": np.zeros((2, 5), int)}, "disagree"),
])
def test_bad_input_gives_one_line_value_error(change, match):
    features, labels, perms, routes, _ = _data()
    args = {"features": features, "labels": labels, "permutations": perms, "routes": routes, "n_per_route": 4}
    with pytest.raises(ValueError, match=match) as info:
        tasks.transformed_routing_task(**{**args, **change}, seed=0)
    assert "\n" not in str(info.value)


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


def test_compact_examples_are_the_dense_tasks_examples():
    rng = np.random.default_rng(7)
    features, labels = rng.normal(size=(3, 10, 4)), rng.integers(0, 5, 10)
    args = (features, labels, tasks.label_permutations(3, 5, seed=0), tasks.band_routes(3, 2), 4)
    compact, dense = tasks.transformed_route_examples(*args, seed=2), tasks.transformed_routing_task(*args, seed=2)
    for name in ("input_domain", "output_domain", "label", "weight"):
        np.testing.assert_array_equal(compact[name], dense[name])
    for n, (i, o) in enumerate(zip(dense["input_domain"], dense["output_domain"])):
        np.testing.assert_array_equal(compact["x"][n], dense["x"][f"in{i}"][n])
        np.testing.assert_array_equal(compact["y"][n], dense["y"][f"out{o}"][n])
        np.testing.assert_array_equal(compact["x"][n], features[i, compact["image"][n]].astype(np.float32))
