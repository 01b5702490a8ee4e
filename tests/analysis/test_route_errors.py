"""Route errors against plain loops over routes, items and members (the network applied by hand
as x W_in W_h W_out, independent of the gated-network code)."""

import doctest

import jax
import numpy as np
import pytest

from toyscope import analysis, nets, tasks
from toyscope.analysis import _route_errors

M = 3


@pytest.fixture(scope="module")
def routing():
    spec = nets.pathway_net(M, M, 4, 5, 7)
    params = jax.tree_util.tree_map(np.asarray, nets.init(spec, key=jax.random.key(0), n_networks=2,
                                                                       scale=0.7))
    return spec, params, tasks.orthogonal_encodings(M, 4, 4, seed=1), tasks.hierarchical_targets()


def _by_hand(params, e, i, o, x):
    return x @ params[f"in{i}->h1_0_0"][e] @ params["h1_0_0->h2_0_0"][e] @ params[f"h2_0_0->out{o}"][e]


def test_route_errors_match_a_loop(routing):
    spec, params, encodings, targets = routing
    errors = analysis.route_errors(spec, params, encodings, targets)
    assert errors.shape == (2, M, M)
    for e in range(2):
        for i in range(M):
            for o in range(M):
                y_hat = _by_hand(params, e, i, o, encodings[i].astype(np.float64))
                expected = np.sum((y_hat - targets) ** 2) / np.sum(targets ** 2)
                assert errors[e, i, o] == pytest.approx(expected, rel=1e-4)


def test_route_error_means_split_trained_and_untrained():
    errors = np.random.default_rng(0).uniform(size=(2, M, M))
    routes = tasks.band_routes(M, 2)
    trained, untrained = analysis.route_error_means(errors, routes)
    for e in range(2):
        assert trained[e] == pytest.approx(np.mean([errors[e, i, o] for i in range(M) for o in range(M) if routes[i, o]]))
        assert untrained[e] == pytest.approx(np.mean([errors[e, i, o] for i in range(M) for o in range(M)
                                                      if not routes[i, o]]))
    assert np.isnan(analysis.route_error_means(errors, np.ones((M, M), bool))[1]).all()


def test_route_output_grid_places_each_route_in_its_block(routing):
    spec, params, encodings, targets = routing
    one = nets.ensemble_member(params, 1)
    grid = analysis.route_output_grid(spec, one, encodings, targets)
    assert grid.shape == (M * 4, M * 7)
    for i in range(M):
        for o in range(M):
            np.testing.assert_allclose(grid[4 * i:4 * i + 4, 7 * o:7 * o + 7],
                                       _by_hand(params, 1, i, o, encodings[i].astype(np.float64)), rtol=1e-4, atol=1e-5)


def test_classification_errors_match_a_loop():
    rng = np.random.default_rng(2)
    features, labels = rng.normal(size=(M, 40, 6)), rng.integers(0, 4, 40)
    perms = tasks.label_permutations(M, 4, seed=3)
    evaluation = tasks.transformed_routing_task(features, labels, perms, np.ones((M, M), bool), 10, seed=0)
    spec = nets.pathway_net(M, M, 6, 5, 4)
    params = jax.tree_util.tree_map(np.asarray, nets.init(spec, key=jax.random.key(4), n_networks=3))
    routes = tasks.band_routes(M, 1)
    trained, untrained = analysis.route_classification_errors(spec, params, evaluation, perms, routes)
    for e in range(3):
        wrong = {True: [], False: []}
        for n in range(len(evaluation["label"])):
            i, o = evaluation["input_domain"][n], evaluation["output_domain"][n]
            y_hat = _by_hand(params, e, i, o, evaluation["x"][f"in{i}"][n].astype(np.float64))
            wrong[bool(routes[i, o])].append(np.argmax(y_hat) != perms[o][evaluation["label"][n]])
        assert trained[e] == pytest.approx(np.mean(wrong[True]))
        assert untrained[e] == pytest.approx(np.mean(wrong[False]))
    # the compact layout of the same examples gives the same errors
    compact = tasks.transformed_route_examples(features, labels, perms, np.ones((M, M), bool), 10, seed=0)
    same = analysis.route_classification_errors(spec, params, compact, perms, routes)
    np.testing.assert_allclose(same, (trained, untrained))


def test_first_zero_shot_applies_factor_floor_and_ceiling():
    trained, untrained = [[0.0], [0.0], [0.0]], [[0.5], [0.002], [0.0]]
    assert analysis.first_zero_shot([1, 2, 3], trained, untrained) == 3  # 2 x 0 allows only 0
    assert analysis.first_zero_shot([1, 2, 3], trained, untrained, floor=1e-3) == 2
    assert analysis.first_zero_shot([1, 2], [[0.5], [0.5]], [[0.6], [0.6]], ceiling=0.45) is None
    assert analysis.first_zero_shot([1, 2], [[0.1], [0.1]], [[np.nan], [0.1]]) == 2


def test_examples_run():
    assert doctest.testmod(_route_errors).failed == 0


def test_routes_reproduced_counts_routes_below_the_threshold_like_a_loop():
    errors = np.random.default_rng(5).uniform(0, 0.3, size=(3, M, M))
    routes = tasks.band_routes(M, 2)
    trained, untrained = analysis.routes_reproduced(errors, routes, 0.1)
    for e in range(3):
        counts = {True: [0, 0], False: [0, 0]}
        for i in range(M):
            for o in range(M):
                counts[bool(routes[i, o])][0] += errors[e, i, o] <= 0.1
                counts[bool(routes[i, o])][1] += 1
        assert trained[e] == counts[True][0] / counts[True][1]
        assert untrained[e] == counts[False][0] / counts[False][1]
    assert np.isnan(analysis.routes_reproduced(errors, np.ones((M, M), bool), 0.1)[1]).all()
    with pytest.raises(ValueError, match="threshold must be >= 0"):
        analysis.routes_reproduced(errors, routes, -1.0)
