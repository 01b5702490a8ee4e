"""Outcomes at several budgets read off one run's snapshots equal separate shorter runs; the BCE
equals a plain loop; Newcombe's interval matches the published example."""

from __future__ import annotations

import math

import jax
import numpy as np
import pytest

from toyscope import analysis, nets, tasks, train


def test_bce_matches_a_plain_loop():
    spec = nets.mlp([2, 2, 1], "sigmoid")
    params = nets.init(spec, key=jax.random.key(3), n_networks=4)
    data = tasks.boolean_task(np.array([0, 1, 1, 0]), 2)
    got = analysis.binary_cross_entropy(spec, params, data["x"], data["y"])
    for e in range(4):
        member = nets.ensemble_member(params, e)
        total = 0.0
        for x, y in zip(data["x"], data["y"][:, 0]):
            p = 1 / (1 + math.exp(-float(np.asarray(nets.apply(spec, member, x[None]))[0, 0])))
            total += -(y * math.log(p) + (1 - y) * math.log(1 - p))
        assert got[e] == pytest.approx(total / 4, rel=1e-5)


def test_snapshots_of_a_long_run_equal_short_runs():
    spec = nets.mlp([2, 3, 1], "sigmoid")
    data = tasks.boolean_task(np.array([0, 1, 1, 0]), 2)
    params = nets.init(spec, key=jax.random.key(0), n_networks=16)
    objective = train.mlp_objective(spec, "bce")
    long = train.train(objective, params, data, optimizer=train.Optimizer("sgd", 1.0), n_steps=300,
                       record=train.Record(every=100, snapshot_every=100))
    outcomes = analysis.outcomes_at_steps(spec, long.snapshot_steps, long.snapshots, data["x"], data["y"], [100, 300])
    for outcome in outcomes:
        short = train.train(objective, params, data, optimizer=train.Optimizer("sgd", 1.0), n_steps=outcome.step,
                            record=train.Record(every=outcome.step))
        classes = analysis.accuracy_classes(analysis.classification_accuracy(spec, short.params, data["x"], data["y"]))
        np.testing.assert_array_equal(outcome.classes, classes)
        np.testing.assert_allclose(outcome.loss, analysis.binary_cross_entropy(spec, short.params, data["x"],
                                                                               data["y"]), rtol=1e-5)
    with pytest.raises(ValueError, match="no snapshot at step 150"):
        analysis.outcomes_at_steps(spec, long.snapshot_steps, long.snapshots, data["x"], data["y"], [150])


def test_newcombe_interval_matches_the_published_example():
    # Newcombe (1998), Stat. Med. 17:873, example (a): 56/70 - 48/80, method 10: 0.0524 to 0.3339
    delta, low, high = analysis.proportion_difference_interval(56, 70, 48, 80)
    assert delta == pytest.approx(0.2)
    assert (low, high) == (pytest.approx(0.0524, abs=5e-4), pytest.approx(0.3339, abs=5e-4))
    _, low, high = analysis.proportion_difference_interval(0, 10, 10, 10)
    assert -1 <= low < high <= 0
    with pytest.raises(ValueError):
        analysis.proportion_difference_interval(1, 0, 1, 2)
