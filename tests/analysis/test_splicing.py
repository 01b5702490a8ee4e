"""Spliced nets: block drift, blocks that still solve XOR, off-block weights and the covariance
spectrum, against hand-built XOR blocks and plain loops."""

from __future__ import annotations

import jax
import numpy as np
import pytest

from toyscope import analysis, nets, tasks

BLOCK = nets.mlp([2, 2, 1], "sigmoid")
# NAND, NOR hidden units, output h0 AND NOT h1: XOR on (0,0),(0,1),(1,0),(1,1)
XOR_NET = [{"weight": np.array([[-10, -10], [-10, -10]], np.float32), "bias": np.array([15, 5], np.float32)},
           {"weight": np.array([[10], [-10]], np.float32), "bias": np.array([-5], np.float32)}]
GROUPS = [[0, 1], [1, 2], [2, 3]]


def _spliced(noise=0.0):
    return nets.splice_blocks(BLOCK, [XOR_NET] * 3, GROUPS, 4, off_block=noise,
                              key=jax.random.key(0) if noise else None)


def _numpy(params):
    return [{k: np.array(v) for k, v in layer.items()} for layer in params]


def test_spliced_blocks_solve_the_pair_xors_and_a_broken_block_is_caught():
    spec, net = _spliced()
    task = tasks.pair_xor_task(4, GROUPS)
    assert analysis.classification_accuracy(spec, net, task["x"], task["y"]) == 1.0
    xor = tasks.xor_task()
    assert analysis.blocks_still_solve(BLOCK, spec, net, GROUPS, xor["x"], xor["y"]).tolist() == [True] * 3
    broken = _numpy(net)
    broken[1]["bias"][1] = 20.0  # block 1's output always on
    assert analysis.blocks_still_solve(BLOCK, spec, broken, GROUPS, xor["x"], xor["y"]).tolist() == [True, False, True]


def test_block_drift_is_the_relative_change_of_each_block():
    spec, net = _spliced()
    moved = _numpy(net)
    moved[0]["weight"][[1, 2], 2:4] *= 1.5  # block 1's input weights (inputs 1, 2; hidden units 2, 3)
    drifts = analysis.block_drifts(spec, net, moved, GROUPS)
    theta = np.concatenate([XOR_NET[0]["weight"].ravel(), XOR_NET[0]["bias"], XOR_NET[1]["weight"].ravel(),
                            XOR_NET[1]["bias"]])
    expected = 0.5 * np.linalg.norm(XOR_NET[0]["weight"]) / np.linalg.norm(theta)
    np.testing.assert_allclose(drifts, [0.0, expected, 0.0], rtol=1e-6)


def test_max_off_block_weight_equals_a_loop_over_the_weights():
    spec, net = _spliced(noise=0.3)
    assert analysis.max_off_block_weight(spec, _spliced()[1], GROUPS) == 0.0
    largest = 0.0
    w0, w1 = np.asarray(net[0]["weight"]), np.asarray(net[1]["weight"])
    for i in range(4):
        for u in range(6):
            if i not in GROUPS[u // 2]:
                largest = max(largest, abs(float(w0[i, u])))
    for u in range(6):
        for o in range(3):
            if u // 2 != o:
                largest = max(largest, abs(float(w1[u, o])))
    assert analysis.max_off_block_weight(spec, net, GROUPS) == pytest.approx(largest) and largest > 0


def test_block_units_and_covariance_spectrum():
    spec, net = _spliced()
    assert analysis.spliced_block_units(spec, 3) == [[0, 1, 6], [2, 3, 7], [4, 5, 8]]
    x = tasks.binary_inputs(4)
    cov, s = analysis.covariance_spectrum(spec, net, x)
    acts = analysis.unit_activations(spec, net, x)
    np.testing.assert_allclose(cov, np.cov(acts.T, bias=True), atol=1e-12)
    np.testing.assert_allclose(s, np.sort(np.linalg.eigvalsh(cov))[::-1], atol=1e-10)
    assert (np.diff(s) <= 1e-15).all()
