"""The module report against hand-built two-module networks and finite-difference sensitivities."""

from __future__ import annotations

import jax
import numpy as np
import pytest

from toyscope import analysis, nets


def _two_modules(leak: float):
    """x1, x3 -> h1, h2 -> y1 ; x2, x4 -> h3, h4 -> y2, plus one weak weight x2 -> h1 of size ``leak``."""
    rng = np.random.default_rng(0)
    w0 = np.zeros((4, 4), np.float32)
    w0[[0, 2], 0:2] = rng.uniform(0.5, 1.0, (2, 2))
    w0[[1, 3], 2:4] = rng.uniform(0.5, 1.0, (2, 2))
    w0[1, 0] = leak
    w1 = np.zeros((4, 2), np.float32)
    w1[0:2, 0] = 1.0
    w1[2:4, 1] = -1.0
    return [{"weight": w0, "bias": np.full(4, 0.1, np.float32)}, {"weight": w1, "bias": np.zeros(2, np.float32)}]


def test_two_modules_and_their_leak_against_finite_differences():
    spec = nets.mlp([4, 4, 2], "tanh")
    params = _two_modules(leak=0.02)
    x = np.random.default_rng(1).normal(size=(64, 4)).astype(np.float32)
    report = analysis.network_modules(spec, params, x, threshold=0.1)
    assert [(m.inputs, m.outputs) for m in report.modules] == [(["x1", "x3"], ["y1"]), (["x2", "x4"], ["y2"])]
    assert [len(m.neurons) for m in report.modules] == [2, 2]
    # independent truth: central differences of the network, averaged over the data
    eps = 1e-3
    fd = np.zeros((4, 2))
    for i in range(4):
        step = np.zeros(4, np.float32)
        step[i] = eps
        up = np.asarray(nets.apply(spec, params, x + step), float)
        down = np.asarray(nets.apply(spec, params, x - step), float)
        fd[i] = np.abs((up - down) / (2 * eps)).mean(0)
    np.testing.assert_allclose(report.sensitivity, fd, rtol=2e-2, atol=1e-4)
    leak = {entry.output: entry for entry in report.leaks}
    assert leak["y1"].input == "x2"
    assert leak["y1"].ratio == pytest.approx(fd[1, 0] / fd[[0, 2], 0].mean(), rel=2e-2)
    assert leak["y2"].ratio == pytest.approx(max(fd[0, 1], fd[2, 1]) / fd[[1, 3], 1].mean(), abs=1e-3)
    assert any("y1 is" in s and "sensitive to x2" in s for s in report.sentences())


def test_a_low_threshold_joins_the_modules_and_names_follow_swapped_slots():
    spec = nets.mlp([4, 4, 2], "tanh")
    params = _two_modules(leak=0.2)
    joined = analysis.network_modules(spec, params, threshold=0.1)
    assert len(joined.modules) == 1 and joined.max_leak is None
    # the same MLP in a layered network whose input slots hold x4, x3, x2, x1: names follow the slots
    layered = nets.layered_network([4, 4, 2], "tanh")
    order = np.array([3, 2, 1, 0], np.float32)
    lparams = {"layers": params, "input_order": order, "output_order": np.array([1, 0], np.float32)}
    report = analysis.network_modules(layered, lparams, threshold=0.5)
    assert [(m.inputs, m.outputs) for m in report.modules] == [(["x1", "x3"], ["y1"]), (["x2", "x4"], ["y2"])]


def test_dead_neurons_are_in_no_module_and_bad_input_is_refused():
    w0 = np.array([[1.0, 1.0], [0.0, 0.0]])
    w1 = np.array([[1.0], [0.0]])  # h2 reads x1 but feeds nothing
    report = analysis.module_report([w0, w1])
    assert report.modules[0].neurons == [(1, 0)] and report.unused_inputs == ["x2"]
    with pytest.raises(ValueError, match="threshold must be in"):
        analysis.module_report([w0, w1], threshold=0.0)
    with pytest.raises(ValueError, match="must match"):
        analysis.module_report([w0, np.ones((3, 1))])
    spec = nets.mlp([2, 2, 1])
    with pytest.raises(ValueError, match="ONE network"):
        analysis.network_modules(spec, nets.init(spec, key=jax.random.key(0), n_networks=2))


def _parallel_by_paths(weights, threshold):
    """Parallel modules by enumerating every input -> output path (a plain loop, no reach masks):
    the nodes of active full paths, joined along each path below the output layer."""
    import itertools

    largest = max(np.abs(w).max() for w in weights)
    sizes = [weights[0].shape[0]] + [w.shape[1] for w in weights]
    parent = {}

    def find(node):
        while parent.setdefault(node, node) != node:
            node = parent[node]
        return node

    feeds = {}
    for path in itertools.product(*(range(n) for n in sizes)):
        if all(abs(weights[l][path[l], path[l + 1]]) >= threshold * largest for l in range(len(weights))):
            nodes = [(l, path[l]) for l in range(len(weights))]  # the output is left out
            for a, b in zip(nodes, nodes[1:]):
                parent[find(a)] = find(b)
            feeds.setdefault(nodes[-1], set()).add(path[-1])
    groups = {}
    for node in list(parent):
        groups.setdefault(find(node), set()).add(node)
    out = []
    for nodes in groups.values():
        inputs = sorted(s for l, s in nodes if l == 0)
        outputs = sorted(set().union(*(feeds.get(n, set()) for n in nodes)))
        out.append((inputs, outputs, sorted(n for n in nodes if n[0] > 0)))
    return sorted(out)


def test_parallel_modules_against_every_path_of_random_sparse_networks():
    rng = np.random.default_rng(7)
    for trial in range(30):
        widths = [4, int(rng.integers(2, 6)), int(rng.integers(2, 6)), 2]
        weights = [rng.normal(size=(a, b)) * (rng.random((a, b)) < 0.35) for a, b in zip(widths[:-1], widths[1:])]
        found = analysis.parallel_modules(weights, threshold=0.2, input_names=["a", "b", "c", "d"],
                                          output_names=["u", "v"])
        names = {"a": 0, "b": 1, "c": 2, "d": 3}
        got = sorted(([names[i] for i in m.inputs], [["u", "v"].index(o) for o in m.outputs], sorted(m.neurons))
                     for m in found)
        assert got == _parallel_by_paths(weights, 0.2), trial
    # Figure 2's picture: x1, x4 and x2, x3 in two chains that meet only at both outputs
    w1 = np.zeros((4, 4))
    w1[[0, 3], 0] = w1[[1, 2], 2] = 1.0
    w2 = np.eye(4)
    w3 = np.array([[1.0, 1.0], [0, 0], [1.0, -1.0], [0, 0]])
    modules = analysis.parallel_modules([w1, w2, w3])
    assert [(m.inputs, m.outputs) for m in modules] == [(["x1", "x4"], ["y1", "y2"]), (["x2", "x3"], ["y1", "y2"])]
    assert len(analysis.module_report([w1, w2, w3]).modules) == 1  # one module joined at the outputs
    w2[0, 2] = 0.5  # one cross weight joins them
    assert len(analysis.parallel_modules([w1, w2, w3])) == 1
    with pytest.raises(ValueError, match="two or more"):
        analysis.parallel_modules([w1])
