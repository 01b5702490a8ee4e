"""The xor-basins study: smoke run end to end, summary contents against independent truth (gate
labels and minimal circuits recomputed by plain loops over networks and units), and bad options."""

from __future__ import annotations

import csv
import itertools
import json
import subprocess
import sys

import numpy as np
import pytest

from toyscope import load_run, tasks
from toyscope.runs import execute
from toyscope.studies import ConfigError, get_study
from _self_describing import assert_self_describing

REQUIRED = ["n_networks", "accuracy_fractions", "kmeans_ari", "signature_counts", "gate_composition_consistent_fraction",
            "minimal_subnetwork_fraction", "split_computation_count", "splice_blocks_still_xor",
            "covariance_singular_values", "init_success_auc"]


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory):
    study = get_study("xor-basins")
    config = study.config_class.resolve({"preset": "smoke"})
    return execute(study, config, out=tmp_path_factory.mktemp("xor") / "run")


def test_smoke_params_are_self_describing(smoke_run):
    networks = assert_self_describing(smoke_run)
    assert sorted(networks) == ["final", "init", "large", "splice"]
    assert networks["final"].activations == ("sigmoid", "linear")  # logits: the loss is BCE with logits


def test_smoke_run_writes_a_complete_folder(smoke_run):
    summary = json.loads((smoke_run / "summary.json").read_text())
    for key in REQUIRED:
        assert key in summary, key
    fractions = summary["accuracy_fractions"]
    assert set(fractions) == {"1.0", "0.75", "0.5", "other"} and sum(fractions.values()) == pytest.approx(1.0)
    assert sum(summary["signature_counts"].values()) == summary["n_networks"] == 128
    assert len(summary["covariance_singular_values"]) == 9
    for name in ("embeddings", "decision_boundaries", "splice_covariance", "trajectories", "init_scale", "basins"):
        assert (smoke_run / "figures" / f"{name}.png").exists(), name


def _section(run_folder, title_start):
    report = json.loads((run_folder / "report.json").read_text())
    (section,) = [s for s in report["sections"] if s["title"].startswith(title_start)]
    return section


def test_report_prose_and_tables_come_from_the_run(smoke_run):
    config = load_run(smoke_run).config
    summary = json.loads((smoke_run / "summary.json").read_text())
    text = _section(smoke_run, "Training")["text"]
    assert f"This run (smoke preset): {config['n_networks']} networks" in text
    assert f"{config['n_steps']:,} full-batch steps on the 4 points" in text
    splice = _section(smoke_run, "Splicing")["text"]
    assert f"for {config['splice_steps']:,} steps" in splice
    assert f"{summary['covariance_effective_rank']} singular values above 1% of the largest" in splice
    # the accuracy table counts networks: count / n_networks is the summary's fraction
    with open(smoke_run / "tables" / "accuracy_fractions.csv") as f:
        rows = list(csv.DictReader(f))
    assert [r["accuracy"] for r in rows] == ["1.0", "0.75", "0.5", "other"]
    for row in rows:
        assert int(row["networks"]) / config["n_networks"] == summary["accuracy_fractions"][row["accuracy"]]
    with open(smoke_run / "tables" / "sharpness_per_cluster.csv") as f:
        assert {r["stopped at step"] for r in csv.DictReader(f)} == {str(config["n_steps"])}


def test_saved_params_reproduce_the_reported_accuracy(smoke_run):
    from toyscope import nets, tasks

    run = load_run(smoke_run)
    spec = nets.mlp([2, 2, 1], "sigmoid")
    params = [{"weight": run.params[f"final.layer{i}.weight"], "bias": run.params[f"final.layer{i}.bias"]} for i in range(2)]
    data = tasks.xor_task()
    acc = ((np.asarray(nets.apply(spec, params, data["x"])) > 0) == (data["y"] > 0.5)).mean(axis=(1, 2))
    assert np.isclose((acc == 1.0).mean(), run.summary["accuracy_fractions"]["1.0"])


# --- independent truth: plain loops over networks and units ----------------------------------

INPUTS = [(0, 0), (0, 1), (1, 0), (1, 1)]
# the 16 two-input gates, written out as functions of (a, b)
GATES = {
    "FALSE": lambda a, b: 0, "AND": lambda a, b: a & b, "A_NIMPLY_B": lambda a, b: a & (1 - b),
    "A": lambda a, b: a, "B_NIMPLY_A": lambda a, b: (1 - a) & b, "B": lambda a, b: b,
    "XOR": lambda a, b: a ^ b, "OR": lambda a, b: a | b, "NOR": lambda a, b: 1 - (a | b),
    "XNOR": lambda a, b: 1 - (a ^ b), "NOT_B": lambda a, b: 1 - b, "B_IMPLIES_A": lambda a, b: a | (1 - b),
    "NOT_A": lambda a, b: 1 - a, "A_IMPLIES_B": lambda a, b: (1 - a) | b, "NAND": lambda a, b: 1 - (a & b),
    "TRUE": lambda a, b: 1,
}
TABLES = {name: "".join(str(g(a, b)) for a, b in INPUTS) for name, g in GATES.items()}


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def _networks(run, prefix):
    """One (w0 (2, k), b0 (k,), w1 (k,), b1) tuple per saved network, as plain numpy."""
    w0, b0 = run.params[f"{prefix}.layer0.weight"], run.params[f"{prefix}.layer0.bias"]
    w1, b1 = run.params[f"{prefix}.layer1.weight"], run.params[f"{prefix}.layer1.bias"]
    return [(w0[e], b0[e], w1[e, :, 0], b1[e, 0]) for e in range(len(w0))]


def _signature_by_loop(w0, b0, w1, b1):
    """'NAND,NOR -> A_NIMPLY_B|XOR' for one 2-2-1 net, and whether composing its gates gives its output."""
    k = len(b0)
    hidden = [[int(x @ w0[:, j] + b0[j] > 0) for x in np.array(INPUTS, np.float32)] for j in range(k)]
    names = []
    for table in hidden:
        (name,) = [n for n, t in TABLES.items() if t == "".join(map(str, table))]
        names.append(name)
    reachable = {tuple(hidden[j][n] for j in range(k)) for n in range(len(INPUTS))}
    patterns = list(itertools.product((0, 1), repeat=k))  # first unit most significant, as binary_inputs
    out_of_hidden = "".join(str(int(np.dot(p, w1) + b1 > 0)) if p in reachable else "-" for p in patterns)
    gates = [n for n, t in sorted(TABLES.items(), key=lambda kv: kv[1])
             if all(c in ("-", f) for c, f in zip(out_of_hidden, t))]
    output = [int(_sigmoid(x @ w0 + b0) @ w1 + b1 > 0) for x in np.array(INPUTS, np.float32)]
    composed = [int(out_of_hidden[patterns.index(tuple(hidden[j][n] for j in range(k)))]) for n in range(len(INPUTS))]
    return f"{','.join(names)} -> {'|'.join(gates)}", composed == output


def test_gate_labels_match_a_plain_loop_over_networks_and_units(smoke_run):
    run = load_run(smoke_run)
    signatures, consistent = [], 0
    for net in _networks(run, "final"):
        signature, ok = _signature_by_loop(*net)
        signatures.append(signature)
        consistent += ok
    counted = {sig: signatures.count(sig) for sig in set(signatures)}
    assert run.summary["signature_counts"] == counted
    assert run.summary["gate_composition_consistent_fraction"] == consistent / len(signatures)
    assert "NAND,NOR -> A_NIMPLY_B|XOR" in counted or "NOR,NAND -> B_NIMPLY_A|XOR" in counted


def _keeps(h, w1, b1, kept, full):
    """Does the sub-network of the units in ``kept`` classify every input as ``full``?"""
    return [int(sum(h[n, j] * w1[j] for j in kept) + b1 > 0) for n in range(len(h))] == full


def test_minimal_circuits_match_a_plain_loop_over_unit_subsets(smoke_run):
    run = load_run(smoke_run)
    x = np.array(INPUTS, np.float32)
    xor = [a ^ b for a, b in INPUTS]
    solved = minimal = split = 0
    for w0, b0, w1, b1 in _networks(run, "large"):
        k = len(b0)
        h = _sigmoid(x @ w0 + b0)  # (4, k)
        full = [int(z > 0) for z in h @ w1 + b1]
        if full != xor:
            continue
        solved += 1
        subsets = [s for size in (1, 2) for s in itertools.combinations(range(k), size)]
        if any(_keeps(h, w1, b1, s, full) for s in subsets):
            minimal += 1
            continue
        on = x @ w0 + b0 > 0
        for i, j in itertools.combinations(range(k), 2):
            if not (on[:, i] == on[:, j]).all():
                continue
            merged_w1 = w1.copy()
            merged_w1[i] += merged_w1[j]  # unit j removed, its outgoing weight added to unit i
            rest = [u for u in range(k) if u != j]
            if any(_keeps(h, merged_w1, b1, s, full) for size in (1, 2) for s in itertools.combinations(rest, size)):
                split += 1
                break
    assert run.summary["minimal_subnetwork_count"] == [minimal, solved]
    assert run.summary["split_computation_count"] == split
    assert solved > 0 and minimal > 0


@pytest.mark.parametrize("values,message", [
    ({"width": 0}, "width"),
    ({"targets": "01a0"}, "targets"),
    ({"targets": "011010"}, "targets must be 2\\*\\*n characters of 0/1, n = 1..8"),
    ({"targets": "0111", "data": "t.npz"}, "give targets or data, not both"),
    ({"splice_pairs": [[1, 2], [4, 5]]}, "splice_pairs"),
    ({"init_scheme": "xavier"}, "init"),
])
def test_bad_options_are_one_line_config_errors(values, message):
    with pytest.raises(ConfigError, match=message) as info:
        get_study("xor-basins").config_class.resolve(values)
    assert "\n" not in str(info.value)


def test_cli_rejects_a_gate_pair_outside_the_inputs(tmp_path):
    out = tmp_path / "never"
    proc = subprocess.run([sys.executable, "-m", "toyscope.cli", "run", "xor-basins", "--set", "splice_pairs=[[1,2],[2,7]]",
                           "--out", str(out)], capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "splice_pairs" in proc.stderr
    assert not out.exists() and not out.with_name("never.partial").exists()


def test_the_divergence_rule_fires_on_finite_blow_ups_in_one_line(tmp_path):
    out = tmp_path / "blown"
    proc = subprocess.run([sys.executable, "-m", "toyscope.cli", "run", "xor-basins", "--set", "preset=smoke",
                           "--set", "learning_rate=1e6", "--out", str(out), "--quiet"], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 1
    line = proc.stderr.strip()
    assert "\n" not in line and "128 of 128 members diverged" in line and "--set learning_rate=" in line
    assert not out.exists()  # never reported as a result


def test_the_rule_fires_at_1e30_and_leaves_out_only_the_members_that_diverge():
    import jax

    from toyscope import nets, tasks, train
    from toyscope.studies import xor_basins

    config = xor_basins.XorBasinsConfig.resolve({"preset": "smoke"})
    rule = xor_basins.divergence_rule(config)
    data = tasks.boolean_task(np.array([0, 1, 1, 0]), 2)
    spec = nets.mlp([2, 2, 1], "sigmoid")
    params = jax.tree_util.tree_map(np.array, nets.init(spec, key=jax.random.key(0), n_networks=64))
    blown = xor_basins.Recipe("sgd", 1e30, 200, 50, rule)
    with pytest.raises(train.TrainingDiverged, match="64 of 64 members diverged"):
        xor_basins.train_ensemble(spec, params, data, blown)
    params[0]["weight"][[5, 9]] = 1e7  # two members start far past the weight bound
    result = xor_basins.train_ensemble(spec, params, data, blown._replace(learning_rate=1.0))
    np.testing.assert_array_equal(np.flatnonzero(result.diverged), [5, 9])
    kept, init, n_diverged = xor_basins.without_diverged(result, params)
    assert n_diverged == 2 and kept.loss.shape[1] == 62 and init[0]["weight"].shape == (62, 2, 2)
    assert np.abs(kept.params[0]["weight"]).max() < rule.max_abs_weight


def test_n_input_truth_tables_from_targets_or_an_npz(tmp_path):
    config = get_study("xor-basins").config_class.resolve({"targets": "00010111", "preset": "smoke"})
    assert config.n_inputs == 3
    from toyscope.studies.xor_basins import truth_table_data

    x = tasks.binary_inputs(3)
    np.savez(tmp_path / "maj.npz", x=x, y=(x.sum(1) >= 2).astype(np.int64))
    data = truth_table_data(str(tmp_path / "maj.npz"))
    assert data["y"][:, 0].tolist() == [0, 0, 0, 1, 0, 1, 1, 1] and data["x"].shape == (8, 3)
    np.savez(tmp_path / "half.npz", x=x + 0.5, y=np.zeros(8))
    with pytest.raises(ValueError, match="x must be 0/1 inputs"):
        truth_table_data(str(tmp_path / "half.npz"))
