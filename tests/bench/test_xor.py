"""The ``xor-ensemble`` benchmark at a tiny size: its records' structure and meaning, and that the
plain baseline loop trains the same networks as toyscope's path (no assertion about speed)."""

from __future__ import annotations

import math

import jax
import numpy as np

from toyscope import nets, train
from toyscope.bench import _xor


def _positive(x):
    return isinstance(x, float) and math.isfinite(x) and x > 0


def test_records_name_units_and_ratios():
    records = _xor.bench_xor_ensemble(n_networks=train.MIN_SMALL_ENSEMBLE, n_steps=20)
    assert [r["name"] for r in records] == ["xor-ensemble", "xor-ensemble-exact", "xor-ensemble-engine"]
    fast, exact, engine = records
    for record in records:
        assert record["unit"] == "network-steps/s" and record["baseline_name"] == "jit(scan(vmap(grad)))"
        assert all(_positive(record[k]) for k in ("value", "baseline", "ratio"))
        # ratio = baseline time / path time = path rate / baseline rate
        assert math.isclose(record["ratio"], record["value"] / record["baseline"], rel_tol=1e-9)
        assert (record["n_networks"], record["n_steps"], record["devices"]) == (64, 20, jax.device_count())
    assert fast["baseline"] == exact["baseline"] == engine["baseline"]  # one baseline timing for all
    assert fast["dispatched_to"] == exact["dispatched_to"] == "small_ensemble" and engine["dispatched_to"] == "engine"
    assert [r["closed_form_gradient"] for r in records] == [True, False, False]
    assert (fast["target"], fast["target_ratio"]) == (1.5e8, 7.0) and "compile_s" not in engine


def test_the_plain_baseline_trains_the_same_networks_as_train():
    spec = nets.mlp([2, 2, 1], "sigmoid")
    params = nets.init(spec, key=jax.random.key(0), n_networks=train.MIN_SMALL_ENSEMBLE, scheme="normal", scale=1.0)
    plain = _xor._plain_vmap_scan(spec, params, 30, 1.0)()
    result = train.train(train.mlp_objective(spec, "bce"), params, {"x": _xor.XOR_X, "y": _xor.XOR_Y},
                         optimizer=train.Optimizer("sgd", 1.0), n_steps=30, record=train.Record(every=30), progress=None)
    assert result.path == "small_ensemble"
    for a, b in zip(jax.tree_util.tree_leaves(plain), jax.tree_util.tree_leaves(result.params)):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-4, atol=1e-5)
    moved = jax.tree_util.tree_leaves(jax.tree_util.tree_map(lambda a, b: np.abs(np.asarray(a) - b).max(), plain, params))
    assert max(moved) > 1e-2  # the networks did train
