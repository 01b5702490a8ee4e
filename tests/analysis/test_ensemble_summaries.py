"""Ensemble summaries: the interval record, the geometric mean, and member slices of a real run
(equal to training the members on their own)."""

import doctest

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats

from toyscope import analysis, nets, train
from toyscope.analysis import _ensemble_summaries
import math


def test_mean_ci95_summary_is_the_t_interval_of_the_finite_values():
    values = [1.0, 2.0, 4.0, np.nan]
    summary = analysis.mean_ci95_summary(values)
    low, high = stats.t.interval(0.95, 2, loc=7 / 3, scale=stats.sem([1.0, 2.0, 4.0]))
    assert summary["mean"] == pytest.approx(7 / 3)
    assert summary["ci95"] == pytest.approx([low, high])


def test_geometric_mean_matches_the_product_root():
    values = np.array([[1.0, 4.0], [2.0, 8.0]])
    np.testing.assert_allclose(analysis.geometric_mean(values, axis=1), [2.0, 4.0])
    assert float(analysis.geometric_mean(values)) == pytest.approx(64 ** 0.25)


def test_select_members_equals_the_members_trained_alone():
    spec = nets.mlp([2, 3, 1], "tanh")
    params = nets.init(spec, key=jax.random.key(0), n_networks=4)
    batch = {"x": jnp.ones((5, 2)), "y": jnp.zeros((5, 1))}
    kwargs = {"optimizer": train.Optimizer("sgd", 0.1), "n_steps": 20,
              "record": train.Record(every=5, snapshot_every=10), "progress": None}
    run = train.train(train.mlp_objective(spec), params, batch, **kwargs)
    part = analysis.select_members(run, 1, 3)
    alone = train.train(train.mlp_objective(spec), nets.ensemble_member(params, slice(1, 3)), batch, **kwargs)
    np.testing.assert_allclose(part.loss, alone.loss, rtol=1e-6)
    for got, want in zip(jax.tree_util.tree_leaves(part.params), jax.tree_util.tree_leaves(alone.params)):
        np.testing.assert_allclose(got, want, rtol=1e-6)
    for got, want in zip(jax.tree_util.tree_leaves(part.snapshots), jax.tree_util.tree_leaves(alone.snapshots)):
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=1e-6)


def test_examples_run():
    assert doctest.testmod(_ensemble_summaries).failed == 0


def test_interval_summary_equals_the_t_interval_formula_and_skips_nan_seeds():
    values = [0.21, 0.35, 0.28, float("nan"), 0.31]
    got = analysis.interval_summary(values)
    x = [0.21, 0.35, 0.28, 0.31]
    n = len(x)
    mean = sum(x) / n
    s = math.sqrt(sum((v - mean) ** 2 for v in x) / (n - 1))
    half = stats.t.ppf(0.975, n - 1) * s / math.sqrt(n)
    assert got["n"] == 4 and got["per_seed"][:3] == values[:3] and math.isnan(got["per_seed"][3])
    np.testing.assert_allclose([got["mean"], got["std"], got["low"], got["high"]],
                               [mean, s, mean - half, mean + half], rtol=1e-12)
    # the textbook value for 1, 2, 3: t(0.975, 2) = 4.3027, s = 1
    assert analysis.interval_summary([1, 2, 3])["high"] == pytest.approx(2 + 4.302653 / math.sqrt(3), rel=1e-6)
    one = analysis.interval_summary([0.5])
    assert one["mean"] == 0.5 and math.isnan(one["std"]) and one["low"] is None
    two = analysis.interval_summary([0.5, 0.7], "fraction")  # two seeds estimate no spread
    assert two["low"] is None and two["high"] is None and two["n"] == 2
    assert analysis.format_interval_summary(two) == "0.604 (2 seeds: spread cannot be estimated)"  # logit-scale centre
    positive = analysis.interval_summary([1e-3, 1e-2, 1e-1], "positive")
    assert positive["centre"] == pytest.approx(1e-2) and 0 < positive["low"] < 1e-2 < positive["high"]


def test_ensemble_accuracy_equals_a_loop():
    rng = np.random.default_rng(0)
    outputs, labels = rng.normal(size=(3, 50, 2)), rng.integers(0, 2, size=50)
    got = analysis.ensemble_accuracy(outputs, labels)
    for e in range(3):
        assert got[e] == sum(int(np.argmax(outputs[e, i]) == labels[i]) for i in range(50)) / 50
    with pytest.raises(ValueError, match="need outputs"):
        analysis.ensemble_accuracy(outputs[0], labels)


def test_accuracy_summary_wilson_intervals_match_the_formula():
    got = analysis.accuracy_summary(np.array([0.9, 0.75]), 40)
    assert (got["mean"], got["min"], got["max"], got["n_examples"]) == (0.825, 0.75, 0.9, 40)
    z = stats.norm.ppf(0.975)
    for (low, high), k in zip(got["wilson_per_seed"], (36, 30)):
        p, n = k / 40, 40
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
        np.testing.assert_allclose([low, high], [centre - half, centre + half], rtol=1e-12)
    text = analysis.format_accuracy_summary(got)
    widest = max(h - l for l, h in got["wilson_per_seed"]) / 2
    assert text == f"0.825 (seeds 0.750 to 0.900, each +-{widest:.3f} Wilson 95%)"
    assert analysis.format_interval_summary({"mean": 0.5, "low": 0.25, "high": 0.75}) == "0.500 [0.250, 0.750]"
