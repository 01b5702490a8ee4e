"""The ``bimt-in-context`` benchmark: its records are the documented arithmetic of the rates, and its
plain baseline is toyscope's training of the same transformer and loss, without penalty or swaps,
on the same minibatches as the BIMT run's first seed (no assertion about speed).

Not run end to end: the benchmark accepts 4,000 steps or more (``check_chunked_steps``), and its
BIMT training compiles for 7-12 s per call here (two calls) even at width 8, beyond this suite's
budget; the records are checked on scripted rates instead."""

from __future__ import annotations

import jax
import numpy as np
import pytest

from toyscope import bimt, nets, train
from toyscope.bench import _bimt_in_context as bench


def test_records_are_the_documented_arithmetic_of_the_rates(monkeypatch):
    rates = {1: (1000.0, 7.0), 5: (400.0, 8.0)}  # steady steps/s, compile s
    calls = []

    def fake_rates(n_steps, n_seeds):
        calls.append((n_steps, n_seeds))
        return rates[n_seeds]

    monkeypatch.setattr(bench, "_bimt_rates", fake_rates)
    monkeypatch.setattr(bench, "_plain_adam_scan", lambda n_steps: None)
    monkeypatch.setattr(bench, "first_and_steady", lambda fn, repeats=2: (1.5, 2.5))  # plain: 2.5 s
    one, five = bench.bench_bimt_in_context(n_steps=5000)
    assert calls == [(5000, 1), (5000, 5)]
    assert (one["name"], one["unit"]) == ("bimt-in-context", "steps/s (1 seed, swaps, steady)")
    assert (one["value"], one["baseline"], one["compile_s"], one["plain_compile_s"]) == (1000.0, 2000.0, 7.0, 1.5)
    assert one["ratio"] == pytest.approx(one["value"] / one["baseline"])
    assert (five["name"], five["unit"]) == ("bimt-in-context-5-seeds", "seeds/s (5 vmapped, steady)")
    assert five["value"] == pytest.approx(5 * 400.0 / 5000) and five["baseline"] == pytest.approx(2000.0 / 5000)
    assert five["ratio"] == pytest.approx(five["value"] / five["baseline"]) and five["compile_s"] == 8.0
    for record in (one, five):
        assert (record["n_steps"], record["d_model"], record["batch_size"]) == (5000, bench.D_MODEL, bench.SETUP.batch_size)
        assert (record["swap_every"], record["top_k"]) == (200, bench.SETUP.top_k)


def test_the_plain_baseline_is_toyscopes_training_without_penalty_or_swaps_on_the_same_batches():
    n_steps = 12
    plain = bench._plain_adam_scan(n_steps)()
    data = bench._data()["train"]
    spec = bench._spec()
    # the BIMT run's minibatches for one seed are the baseline's (the same generator, seed and draws)
    order = bimt.replacement_order(len(data["y"]), n_networks=1, n_steps=n_steps, batch_size=bench.SETUP.batch_size,
                                   seed=1)
    np.testing.assert_array_equal(order[0], np.random.default_rng(1).integers(0, len(data["y"]), size=(n_steps, 64)))
    loss_fn, _ = bimt.in_context_losses(spec)
    start = nets.init(spec, key=jax.random.key(0))
    params = jax.tree_util.tree_map(lambda p: p[None], start)
    result = train.train(loss_fn, params, {"x": data["x"], "y": data["y"]},
                         optimizer=train.Optimizer("adam", bench.LEARNING_RATE), n_steps=n_steps,
                         batching=train.Minibatch(bench.SETUP.batch_size, order=order), progress=None)
    # the key bias is skipped: it adds q.b to every score of a query, which the softmax ignores, so its
    # gradient is round-off that Adam scales up to full-size steps, different on each path
    compared = 0
    for (path, a), b in zip(jax.tree_util.tree_flatten_with_path(plain)[0], jax.tree_util.tree_leaves(result.params)):
        if jax.tree_util.keystr(path).endswith("['key']['bias']"):
            continue
        np.testing.assert_allclose(np.asarray(a), np.asarray(b)[0], rtol=1e-4, atol=2e-6)
        compared += 1
    assert compared == len(jax.tree_util.tree_leaves(plain)) - bench.N_LAYERS
    assert max(float(np.abs(np.asarray(a) - np.asarray(b)).max())
               for a, b in zip(jax.tree_util.tree_leaves(plain), jax.tree_util.tree_leaves(start))) > 1e-3
