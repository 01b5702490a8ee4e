"""The ``online-sgd`` benchmark at a tiny size: its records' structure and meaning, and that the plain
baseline loop computes the same params and tallies as the blocked path (no assertion about speed)."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np

from toyscope import nets, train
from toyscope.bench import _online

NAMES = ["online-sgd", "online-sgd-engine", "online-sgd-sparse", "online-sgd-general-engine"]


def test_records_name_units_and_ratios():
    records = _online.bench_online_sgd(n_samples=250, block_size=64)
    assert [r["name"] for r in records] == NAMES
    blocked = records[0]["value"]
    for record in records:
        assert record["unit"] == "samples/s" and record["n_samples"] == 250 and record["target"] == 1e5
        assert all(math.isfinite(record[k]) and record[k] > 0 for k in ("value", "baseline", "ratio", "ratio_to_blocked"))
        assert math.isclose(record["ratio"], record["value"] / record["baseline"], rel_tol=1e-9)
        assert math.isclose(record["ratio_to_blocked"], record["value"] / blocked, rel_tol=1e-9)
        assert record["baseline"] == records[0]["baseline"]  # one baseline timing
        assert record["data"] == "MNIST test split" or record["data"].startswith("random inputs (MNIST unavailable: ")
    assert records[0]["ratio_to_blocked"] == 1.0 and "dispatched_to" not in records[0]
    assert records[1]["dispatched_to"] == records[2]["dispatched_to"] == "blocked_online"
    assert records[3]["dispatched_to"] == "engine"


def test_the_plain_baseline_computes_the_blocked_paths_params_and_tallies():
    spec = nets.mlp([784, 100, 2], "softplus", "softplus")
    x, y, group, _ = _online._data(60)
    assert x.shape == (60, 784) and y.shape == (60, 2) and np.array_equal(np.asarray(y).argmax(1), np.asarray(group))
    params = nets.init(spec, key=jax.random.key(0), bias_scheme="same")
    plain_params, plain_tallies = _online._plain_loop(spec, params, x, y, group, 0.01)()
    ensemble = jax.tree_util.tree_map(lambda p: p[None], params)
    aux = jax.tree_util.tree_map(lambda p: jnp.zeros((1, 2, *p.shape)), params)
    result = train.train(train.mlp_objective(spec, "mse"), ensemble, {"x": x, "y": y, "group": group},
                         optimizer=train.Optimizer("sgd", 0.01), n_steps=60, batching=train.Online(np.arange(60)),
                         observer=train.group_tally_observer(), aux=aux, progress=None)
    assert result.path == "blocked_online"
    for a, b in zip(jax.tree_util.tree_leaves((plain_params, plain_tallies)),
                    jax.tree_util.tree_leaves(jax.tree_util.tree_map(lambda p: p[0], (result.params, result.aux)))):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-4, atol=1e-6)
    assert float(jnp.sum(plain_tallies[0]["weight"][0])) > 0 and float(jnp.sum(plain_tallies[0]["weight"][1])) > 0


def test_sample_counts_that_cannot_be_recorded_five_times_are_refused_up_front():
    import pytest

    for n in (0, 4, 256):
        with pytest.raises(ValueError, match=f"n_samples must be a positive multiple of 5 .*got {n}$"):
            _online.bench_online_sgd(n_samples=n)
