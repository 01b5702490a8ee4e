"""Route patterns: parsing, one-line errors, and the routing problem they build."""

import doctest

import numpy as np
import pytest

from toyscope import tasks
from toyscope.tasks import _route_patterns


def test_band_and_explicit_patterns():
    np.testing.assert_array_equal(tasks.parse_routes("band", 5, 2), tasks.band_routes(5, 2))
    routes = tasks.parse_routes("0:1,1:0,2:2", 3, 1)
    assert routes.dtype == bool and sorted(zip(*np.nonzero(routes))) == [(0, 1), (1, 0), (2, 2)]


@pytest.mark.parametrize("text, message", [
    ("0:1,x", "routes must be 'band' or 'i:o,i:o,...' with 0 <= i, o < 3, got '0:1,x'"),
    ("0:3", "with 0 <= i, o < 3"),
    ("0:0,0:1,2:2", "routes '0:0,0:1,2:2': input domain 1 has no trained route"),
    ("0:0,1:0,2:0", "output domain 1 has no trained route"),
])
def test_bad_patterns_are_one_line(text, message):
    with pytest.raises(ValueError) as err:
        tasks.parse_routes(text, 3, 1)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_routing_problem_holds_the_trained_routes_only():
    routes = tasks.band_routes(4, 2)
    problem = tasks.routing_problem(routes, seed=3, group_size=2)
    np.testing.assert_array_equal(problem.encodings, tasks.orthogonal_encodings(4, 4, 4, seed=3))
    np.testing.assert_array_equal(problem.targets, tasks.hierarchical_targets())
    pairs = set(zip(problem.data["input_domain"].tolist(), problem.data["output_domain"].tolist()))
    assert pairs == set(zip(*np.nonzero(routes)))
    assert "h1_1_0" in problem.data["gates"]  # the grouping reaches the gates


def test_gated_batch_keeps_the_training_entries_as_jax_arrays():
    import jax

    batch = tasks.gated_batch(tasks.routing_problem(tasks.band_routes(2, 1), seed=0).data)
    assert sorted(batch) == ["gates", "weight", "x", "y"]
    assert all(isinstance(leaf, jax.Array) for leaf in jax.tree_util.tree_leaves(batch))


def test_examples_run():
    assert doctest.testmod(_route_patterns).failed == 0
