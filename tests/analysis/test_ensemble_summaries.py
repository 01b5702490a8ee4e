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
    kwargs = {"optimizer": train.make_optimizer("sgd", 0.1), "n_steps": 20, "record_every": 5, "snapshot_every": 10,
              "progress": None}
    run = train.train(train.mlp_loss(spec), params, batch, **kwargs)
    part = analysis.select_members(run, 1, 3)
    alone = train.train(train.mlp_loss(spec), nets.ensemble_member(params, slice(1, 3)), batch, **kwargs)
    np.testing.assert_allclose(part.loss, alone.loss, rtol=1e-6)
    for got, want in zip(jax.tree_util.tree_leaves(part.params), jax.tree_util.tree_leaves(alone.params)):
        np.testing.assert_allclose(got, want, rtol=1e-6)
    for got, want in zip(jax.tree_util.tree_leaves(part.snapshots), jax.tree_util.tree_leaves(alone.snapshots)):
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=1e-6)


def test_examples_run():
    assert doctest.testmod(_ensemble_summaries).failed == 0
