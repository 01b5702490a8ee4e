"""The ``bimt-symbolic-a`` benchmark: its training runs and gives positive rates at a tiny size, its
records are the documented arithmetic of the rates, and its plain baseline is the same network and
loss as toyscope's training without penalty or swaps (no assertion about speed).

The benchmark itself only accepts 4,000 steps or more (``check_chunked_steps``), about 10 s of
compilation and training here, so the training is run through its own ``_bimt_rates`` at 400
steps in chunks of 100, and the records are checked on scripted rates."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from toyscope import bimt, nets, train
from toyscope.bench import _bimt


def test_the_bimt_training_runs_and_gives_positive_rates():
    steady, end_to_end, compile_s = _bimt._bimt_rates(400, 1, chunk=100)
    assert all(math.isfinite(r) and r > 0 for r in (steady, end_to_end)) and math.isfinite(compile_s)


def test_records_are_the_documented_arithmetic_of_the_rates(monkeypatch):
    rates = {1: (3000.0, 900.0, 4.0), 5: (1500.0, 800.0, 5.0)}  # steps/s (steady, end to end), compile s
    calls = []

    def fake_rates(n_steps, n_seeds):
        calls.append((n_steps, n_seeds))
        return rates[n_seeds]

    monkeypatch.setattr(_bimt, "_bimt_rates", fake_rates)
    monkeypatch.setattr(_bimt, "_plain_adam_scan", lambda n_steps: None)
    monkeypatch.setattr(_bimt, "first_and_steady", lambda fn, repeats=2: (0.5, 2.0))  # plain: 2 s
    one, five = _bimt.bench_bimt_symbolic_a(n_steps=4000)
    assert calls == [(4000, 1), (4000, 1), (4000, 5)]  # one seed cold, then warm (caches cleared), 5 seeds
    assert (one["name"], one["unit"]) == ("bimt-symbolic-a", "steps/s (1 seed, swaps, steady)")
    assert (one["value"], one["baseline"], one["compile_s"], one["end_to_end_steps_per_s"]) == (3000.0, 2000.0, 4.0, 900.0)
    assert (one["warm_compile_s"], one["steady_s"]) == (4.0, pytest.approx(4000 / 3000.0))
    assert one["ratio"] == pytest.approx(one["value"] / one["baseline"])
    assert (five["name"], five["unit"]) == ("bimt-symbolic-a-5-seeds", "seeds/s (5 vmapped, steady)")
    assert five["value"] == pytest.approx(5 * 1500.0 / 4000) and five["baseline"] == pytest.approx(2000.0 / 4000)
    assert five["ratio"] == pytest.approx(five["value"] / five["baseline"])
    assert five["end_to_end_seeds_per_s"] == pytest.approx(5 * 800.0 / 4000) and five["plain_compile_s"] == 0.5
    for record in (one, five):
        assert (record["n_steps"], record["task"], record["swap_every"], record["top_k"]) == (4000, "symbolic-a", 200, 6)
    assert _bimt.SETUP.top_k == 6


def test_the_plain_baseline_is_toyscopes_training_without_penalty_or_swaps():
    plain = _bimt._plain_adam_scan(30)()
    spec = nets.layered_network(list(_bimt.SETUP.widths), "silu")
    start = nets.init(spec, key=jax.random.key(0))  # the baseline's one network (an ensemble member differs)
    params = jax.tree_util.tree_map(lambda p: p[None], start)
    data = {k: jnp.asarray(v) for k, v in _bimt._data()["train"].items()}
    result = train.train(bimt.layered_loss(spec, "mse"), params, data, optimizer=train.Optimizer("adam", 1e-3),
                         n_steps=30, progress=None)
    for a, b in zip(jax.tree_util.tree_leaves(plain), jax.tree_util.tree_leaves(result.params["layers"])):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b)[0], rtol=1e-4, atol=1e-6)
    assert max(float(jnp.abs(a - b).max()) for a, b in zip(jax.tree_util.tree_leaves(plain),
                                                           jax.tree_util.tree_leaves(start["layers"]))) > 1e-3


def test_the_short_benchmark_times_three_runs_and_the_torch_loop(monkeypatch):
    rates = iter([(0, 200.0, 0), (0, 1000.0, 0), (0, 2000.0, 0)])  # end-to-end steps/s: cold, warm, steady
    monkeypatch.setattr(_bimt, "_bimt_rates", lambda n_steps, n_seeds, chunk: next(rates))
    monkeypatch.setattr(_bimt, "_torch_run", lambda n_steps: 4.0)
    [record] = _bimt.bench_bimt_short(n_steps=2000)
    assert (record["cold_s"], record["warm_s"], record["steady_s"]) == (10.0, 2.0, 1.0)
    assert (record["value"], record["baseline"], record["ratio"], record["ratio_cold"]) == (2.0, 4.0, 2.0, 0.4)
    with pytest.raises(ValueError, match="n_steps must be a multiple of 100 in"):
        _bimt.bench_bimt_short(n_steps=250)
