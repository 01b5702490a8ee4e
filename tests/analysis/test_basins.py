"""Basin analyses against plain loops and hand-made cases: pairs, aligned barriers, per-group
medians, representatives and the twin split."""

from __future__ import annotations

import jax
import numpy as np
import pytest

from toyscope import analysis, nets, tasks

SPEC = nets.mlp([2, 3, 1], "sigmoid")


def test_pairs_respect_the_grouping_and_come_from_the_sample():
    groups = np.array([0, 0, 1, 1, 1, 2, 2, 0])
    sample = np.array([0, 2, 3, 5, 6, 7])
    rng = np.random.default_rng(0)
    same = analysis.sample_pairs(groups, sample, 30, rng, same_group=True)
    other = analysis.sample_pairs(groups, sample, 30, rng, same_group=False)
    assert same.shape == (30, 2) and other.shape == (30, 2) and same.dtype == np.int64
    assert (groups[same[:, 0]] == groups[same[:, 1]]).all() and (same[:, 0] != same[:, 1]).all()
    assert (groups[other[:, 0]] != groups[other[:, 1]]).all()
    assert np.isin(same, sample).all() and np.isin(other, sample).all()
    # no pair qualifies: every network in its own group -> no same-group pair, after a bounded search
    assert analysis.sample_pairs(np.arange(4), np.arange(4), 5, rng, same_group=True).shape == (0, 2)


def test_pairs_draw_exactly_as_a_loop_over_the_generator():
    groups = np.array([0, 1, 0, 1, 0, 1])
    sample = np.arange(6)
    pairs = analysis.sample_pairs(groups, sample, 4, np.random.default_rng(5), same_group=True)
    rng, expected = np.random.default_rng(5), []
    while len(expected) < 4:
        i, j = rng.choice(6, 2, replace=False)
        if groups[i] == groups[j]:
            expected.append([i, j])
    np.testing.assert_array_equal(pairs, expected)


def test_a_permuted_twin_has_no_barrier_after_alignment():
    params = nets.init(SPEC, key=jax.random.key(0), n_networks=2, scheme="normal", scale=3.0)
    twin = nets.permute_hidden_units(SPEC, params, np.array([[2, 0, 1], [1, 2, 0]]))
    both = [{k: np.concatenate([np.asarray(p[k]), np.asarray(t[k])]) for k in ("weight", "bias")}
            for p, t in zip(params, twin)]  # members 0, 1 and their twins 2, 3
    loss = analysis.flat_mlp_loss(SPEC, tasks.xor_task())
    barriers = analysis.aligned_pair_barriers(SPEC, both, np.array([[0, 2], [1, 3], [0, 1]]), loss)
    assert barriers[:2] == pytest.approx([0.0, 0.0], abs=1e-6)
    # the barrier between two different nets is what the straight path says, by a plain loop over alphas
    a = np.asarray(nets.flatten_params([{k: np.asarray(v)[0] for k, v in layer.items()} for layer in both]))
    b_aligned = analysis.align_hidden_units(SPEC, [{k: np.asarray(v)[1:2] for k, v in layer.items()} for layer in both],
                                            [{k: np.asarray(v)[0:1] for k, v in layer.items()} for layer in both])
    b = np.asarray(nets.flatten_params(b_aligned))[0]
    la, lb = float(loss(a)), float(loss(b))
    excess = [float(loss((1 - t) * a + t * b)) - ((1 - t) * la + t * lb) for t in np.linspace(0, 1, 25)]
    assert barriers[2] == pytest.approx(max(excess), abs=1e-5)


def test_barrier_statistics_count_connected_pairs():
    stats = analysis.barrier_statistics(np.array([0.0, 5e-4, 2e-3, 0.1, 0.0]), connected_below=1e-3)
    assert stats.connected.count == 3 and stats.connected.total == 5
    assert stats.quantiles.median == 5e-4


def test_group_medians_and_representatives_equal_loops():
    rng = np.random.default_rng(1)
    groups = rng.integers(0, 3, 40)
    values = rng.normal(size=40)
    points = rng.normal(size=(40, 4))
    medians = analysis.group_medians(groups, {"v": values})
    reps = analysis.cluster_representatives(points, groups)
    assert list(medians) == list(reps) == [0, 1, 2]
    for g in range(3):
        members = [i for i in range(40) if groups[i] == g]
        assert medians[g]["v"] == pytest.approx(float(np.median([values[i] for i in members])))
        centre = sum(points[i] for i in members) / len(members)
        distances = {i: float(((points[i] - centre) ** 2).sum()) for i in members}
        assert reps[g] == min(distances, key=distances.get)


def test_twin_split_counts_circuits_whose_orders_sit_in_different_clusters():
    spec = nets.mlp([2, 2, 1], "sigmoid")
    nand_nor = [{"weight": np.array([[[-10, -10], [-10, -10]]], np.float32), "bias": np.array([[15, 5]], np.float32)},
                {"weight": np.array([[[10], [-10]]], np.float32), "bias": np.array([[-5]], np.float32)}]
    twin = [{k: np.asarray(v) for k, v in layer.items()}
            for layer in nets.permute_hidden_units(spec, nand_nor, np.array([1, 0]))]
    params = [{k: np.concatenate([n[i][k] for n in (nand_nor, nand_nor, twin, twin)]) for k in ("weight", "bias")}
              for i in range(2)]
    labels = analysis.circuit_labels(spec, params, tasks.binary_inputs(2))
    assert analysis.twin_cluster_split(labels, np.array([0, 0, 1, 1])) == [1, 1]
    assert analysis.twin_cluster_split(labels, np.array([0, 0, 0, 0])) == [0, 1]
    one_order = [{k: v[:2] for k, v in layer.items()} for layer in params]
    assert analysis.twin_cluster_split(analysis.circuit_labels(spec, one_order, tasks.binary_inputs(2)),
                                       np.array([0, 1])) == [0, 0]
