"""Divergence rules: silent on a healthy run, firing on finite blow-ups on every training path,
flagging only the members that diverged, and failing one network / all members / too many."""

from __future__ import annotations

import math

import jax
import numpy as np
import pytest

from toyscope import nets, train

XOR = {"x": np.array([[0, 0], [0, 1], [1, 0], [1, 1]], np.float32), "y": np.array([[0], [1], [1], [0]], np.float32)}
SPEC = nets.mlp([2, 2, 1], "sigmoid")
RULE = train.DivergenceRule(max_loss=100.0, max_abs_weight=1e4, advice="lower --set learning_rate=...")


def _train(params, learning_rate, rule=RULE, **options):
    options = {"record": train.Record(every=10), **options}
    return train.train(train.mlp_objective(SPEC, "bce"), params, XOR, optimizer=train.Optimizer("sgd", learning_rate),
                       n_steps=200, divergence=rule, progress=None, **options)


@pytest.fixture(scope="module")
def ensemble():
    return jax.device_get(nets.init(SPEC, key=jax.random.key(0), n_networks=64))


def test_a_healthy_run_is_flagged_nowhere_and_keeps_its_numbers(ensemble):
    checked, plain = _train(ensemble, 1.0), _train(ensemble, 1.0, rule=None)
    assert checked.path == "small_ensemble" and not checked.diverged.any()
    assert (checked.divergence_step == -1).all() and np.isnan(checked.divergence_value).all()
    np.testing.assert_array_equal(checked.loss, plain.loss)
    assert plain.diverged is None


@pytest.mark.parametrize("options", [{}, {"fast_path": False}, {"batching": train.Online()}],
                         ids=["small_ensemble", "engine", "blocked_online"])
def test_a_finite_blow_up_of_every_member_fails_with_step_member_value_and_advice(ensemble, options):
    with pytest.raises(train.TrainingDiverged) as info:
        _train(ensemble, 1e6, **options)
    message = str(info.value)
    assert "\n" not in message and "64 of 64 members diverged" in message
    assert "by step" in message and "ensemble member" in message and "--set learning_rate=" in message


def test_only_the_members_that_blow_up_are_flagged_and_can_be_left_out(ensemble):
    params = jax.tree_util.tree_map(np.copy, ensemble)
    params[0]["weight"][[3, 7]] *= 1e5  # two members start with huge weights
    result = _train(params, 1.0)
    np.testing.assert_array_equal(np.flatnonzero(result.diverged), [3, 7])
    # without snapshots the weights are seen at the end only
    assert (result.divergence_step[[3, 7]] == 200).all() and (result.divergence_value[[3, 7]] > 1e4).all()
    kept = train.keep_members(result, ~result.diverged)
    assert kept.loss.shape == (20, 62) and kept.params[0]["weight"].shape == (62, 2, 2)
    assert not kept.diverged.any()
    np.testing.assert_array_equal(kept.loss, np.delete(result.loss, [3, 7], axis=1))


def test_more_than_the_stated_share_fails_the_run(ensemble):
    params = jax.tree_util.tree_map(np.copy, ensemble)
    params[0]["weight"][:2] *= 1e5
    strict = train.DivergenceRule(max_abs_weight=1e4, max_diverged_share=0.01)
    with pytest.raises(train.TrainingDiverged, match=r"max \|weight\| .* > 10000 by step 200 in ensemble member 0 \(2 of 64"):
        _train(params, 1.0, rule=strict)


def test_a_single_network_fails_and_nan_carries_the_advice(ensemble):
    one = jax.tree_util.tree_map(lambda a: a[:1], ensemble)
    with pytest.raises(train.TrainingDiverged, match="in the network; lower --set learning_rate"):
        _train(one, 1e6)
    with pytest.raises(train.TrainingDiverged, match="; lower --set learning_rate=...$"):
        _train(one, math.inf)  # non-finite: caught by nan_policy, with the rule's advice


def test_the_loss_bound_reads_a_named_metric_and_the_rule_validates_itself(ensemble):
    one = jax.tree_util.tree_map(lambda a: a[:1], ensemble)
    norm = {"weight_norm": lambda p: sum(jax.numpy.sum(l["weight"] ** 2) for l in p)}
    rule = train.DivergenceRule(max_loss=1e-9, metric="weight_norm")
    with pytest.raises(train.TrainingDiverged, match="weight_norm"):
        _train(one, 0.1, rule=rule, record=train.Record(every=10, metrics=norm))
    with pytest.raises(ValueError, match="not recorded"):
        _train(one, 0.1, rule=train.DivergenceRule(metric="test_loss"))
    for bad in ({"max_loss": 0.0}, {"max_abs_weight": "big"}, {"max_diverged_share": 1.5}):
        with pytest.raises(ValueError, match="DivergenceRule"):
            train.DivergenceRule(**bad)


@pytest.mark.parametrize("fast_path", [True, False])
def test_forks_are_checked_fork_by_fork(fast_path):
    """On both fork paths: healthy forks are flagged nowhere and keep their numbers; one network whose
    weights blow past the bound is flagged in every fork it has, and a share of 0 fails the run."""
    spec = nets.mlp([2, 3, 2], "tanh")
    params = jax.device_get(nets.init(spec, key=jax.random.key(1), n_networks=3))
    data = {"x": np.tile(XOR["x"], (4, 1)), "y": np.tile(np.eye(2, dtype=np.float32)[[0, 1, 1, 0]], (4, 1))}
    subsets = [np.arange(0, 16, 2), np.arange(1, 16, 2), np.arange(16)]
    options = {"optimizer": train.Optimizer("sgd", 0.05), "record": train.Record(snapshot_every=4), "progress": None,
               "fast_path": fast_path}
    objective = train.mlp_objective(spec, "mse")
    plain = train.fork(objective, params, data, subsets, **options)
    checked = train.fork(objective, params, data, subsets, divergence=RULE, **options)
    assert checked.diverged.shape == (3, 3) and not checked.diverged.any()
    for a, b in zip(jax.tree_util.tree_leaves(plain.params), jax.tree_util.tree_leaves(checked.params)):
        np.testing.assert_array_equal(a, b)
    blown = jax.tree_util.tree_map(np.array, params)
    blown[1]["weight"][1] = 1e5  # network 1's output weights start far past the weight bound
    flagged = train.fork(objective, blown, data, subsets, divergence=RULE, **options)
    assert flagged.diverged.tolist() == [[False, True, False]] * 3
    strict = train.DivergenceRule(max_loss=100.0, max_abs_weight=1e4, max_diverged_share=0.0, advice="lower it")
    with pytest.raises(train.TrainingDiverged, match=r"max \|weight\| 1e\+05 > 10000 .*\(3 of 9 members diverged\); lower it"):
        train.fork(objective, blown, data, subsets, divergence=strict, **options)
