"""The xor-basins study: smoke run end to end, summary contents, and bad options."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from toyscope import load_run
from toyscope.runs import execute
from toyscope.studies import ConfigError, get_study

REQUIRED = ["n_networks", "accuracy_fractions", "kmeans_ari", "signature_counts", "gate_composition_consistent_fraction",
            "minimal_subnetwork_fraction", "split_computation_count", "splice_blocks_still_xor",
            "covariance_singular_values", "init_success_auc"]


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory):
    study = get_study("xor-basins")
    config = study.config_class.resolve({"preset": "smoke"})
    return execute(study, config, out=tmp_path_factory.mktemp("xor") / "run")


def test_smoke_run_writes_a_complete_folder(smoke_run):
    summary = json.loads((smoke_run / "summary.json").read_text())
    for key in REQUIRED:
        assert key in summary, key
    fractions = summary["accuracy_fractions"]
    assert set(fractions) == {"1.0", "0.75", "0.5", "other"} and sum(fractions.values()) == pytest.approx(1.0)
    assert sum(summary["signature_counts"].values()) == summary["n_networks"] == 128
    assert len(summary["covariance_singular_values"]) == 9
    html = (smoke_run / "report.html").read_text()
    assert "Deviations from the paper" in html or "deviations" in html.lower()
    for name in ("embeddings", "decision_boundaries", "splice_covariance", "trajectories", "init_scale", "basins"):
        assert (smoke_run / "figures" / f"{name}.png").exists(), name


def test_saved_params_reproduce_the_reported_accuracy(smoke_run):
    from toyscope import nets, tasks

    run = load_run(smoke_run)
    spec = nets.mlp([2, 2, 1], "sigmoid")
    params = [{"weight": run.params[f"final.layer{i}.weight"], "bias": run.params[f"final.layer{i}.bias"]} for i in range(2)]
    data = tasks.xor_task()
    acc = ((np.asarray(nets.apply(spec, params, data["x"])) > 0) == (data["y"] > 0.5)).mean(axis=(1, 2))
    assert np.isclose((acc == 1.0).mean(), run.summary["accuracy_fractions"]["1.0"])


@pytest.mark.parametrize("values,message", [
    ({"width": 0}, "width"),
    ({"targets": "01a0"}, "targets"),
    ({"splice_pairs": [[1, 2], [4, 5]]}, "splice pair"),
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
    assert proc.stderr.strip().count("\n") == 0 and "splice pair" in proc.stderr
    assert not out.exists() and not out.with_name("never.partial").exists()
