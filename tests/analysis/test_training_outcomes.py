"""Training outcomes against plain loops: accuracy, classes, fractions, counts and loss trends."""

from __future__ import annotations

import jax
import numpy as np
import pytest

from toyscope import analysis, nets, tasks


def test_accuracy_equals_a_loop_over_networks_points_and_outputs():
    spec = nets.mlp([3, 4, 2], "sigmoid")
    params = nets.init(spec, key=jax.random.key(1), n_networks=7, scheme="normal", scale=2.0)
    data = tasks.pair_xor_task(3, [[0, 1], [1, 2]])
    got = analysis.classification_accuracy(spec, params, data["x"], data["y"])
    logits = np.asarray(nets.apply(spec, params, data["x"]))
    for e in range(7):
        right = [(logits[e, n, j] > 0) == (data["y"][n, j] == 1) for n in range(8) for j in range(2)]
        assert got[e] == sum(right) / len(right)
    one = [{k: np.asarray(v)[3] for k, v in layer.items()} for layer in params]
    assert analysis.classification_accuracy(spec, one, data["x"], data["y"]) == got[3]


def test_classes_fractions_and_counts():
    accuracy = np.array([1.0, 0.75, 0.75, 0.5, 0.25, 1.0, 0.0, 1.0])
    classes = analysis.accuracy_classes(accuracy)
    assert classes.tolist() == ["1.0", "0.75", "0.75", "0.5", "other", "1.0", "other", "1.0"]
    fractions = analysis.class_fractions(classes)
    assert list(fractions) == list(analysis.ACCURACY_CLASSES)
    assert [p.count for p in fractions.values()] == [3, 2, 1, 2]
    assert fractions["1.0"].fraction == 3 / 8 and fractions["1.0"].total == 8
    assert (fractions["1.0"].low, fractions["1.0"].high) == analysis.proportion_interval(3, 8)
    assert analysis.value_counts(classes) == {"1.0": 3, "0.75": 2, "other": 2, "0.5": 1}
    assert list(analysis.value_counts(classes)) == ["1.0", "0.75", "other", "0.5"]  # ties in sorted order
    assert analysis.value_counts(classes, order=["0.5", "missing", "1.0"]) == {"0.5": 1, "1.0": 3}


def test_loss_trends_recover_known_power_laws_and_the_median_curve():
    steps = np.arange(0, 2001, 50)
    rng = np.random.default_rng(0)
    # class "1.0": three nets with loss c / (t + 1)  (slope -1); class "0.5": plateaus (slope 0)
    solved = np.stack([c / (steps + 1.0) for c in (0.5, 1.0, 2.0)], axis=1)
    stuck = np.stack([np.full(len(steps), c) for c in (0.4, 0.6)], axis=1)
    losses = np.concatenate([solved, stuck], axis=1)
    order = rng.permutation(5)
    classes = np.array(["1.0"] * 3 + ["0.5"] * 2)[order]
    trends = analysis.loss_trends(steps, losses[:, order], classes)
    assert list(trends) == ["1.0", "0.5"]  # absent classes are skipped, order kept
    assert trends["1.0"].loglog_slope == pytest.approx(-1.0, abs=1e-9)
    assert trends["0.5"].loglog_slope == pytest.approx(0.0, abs=1e-12)
    np.testing.assert_allclose(trends["1.0"].median_curve, 1.0 / (steps + 1.0))
    tail_start = int(np.argmax(steps >= 0.8 * steps[-1]))
    assert trends["1.0"].relative_drop == pytest.approx(1 - (steps[tail_start] + 1) / (steps[-1] + 1))
    assert trends["0.5"].n == 2 and trends["0.5"].final.median == pytest.approx(0.5)
    assert trends["1.0"].final == analysis.quantiles(solved[-1])


def test_quantiles_and_proportion():
    values = np.array([3.0, 1.0, 2.0, 10.0, 4.0])
    q = analysis.quantiles(values)
    assert q.median == 3.0 and q.q10 == pytest.approx(1.4) and q.q90 == pytest.approx(7.6)
    p = analysis.proportion(14, 20)
    assert p.fraction == 0.7 and (p.low, p.high) == analysis.proportion_interval(14, 20)
    assert np.isnan(analysis.proportion(0, 0).fraction)
