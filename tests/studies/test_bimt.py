"""The bimt study: smoke run through the run folder, config validation, and the task data."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from safetensors.numpy import load_file

from toyscope import tasks
from toyscope.runs import execute
from toyscope.studies import ConfigError, get_study
from _self_describing import assert_self_describing


def test_smoke_run_writes_summary_and_figures(tmp_path):
    study = get_study("bimt")
    config = study.config_class.resolve({"preset": "smoke"})
    folder = execute(study, config, out=tmp_path / "run")
    networks = assert_self_describing(folder)
    assert list(networks) == [""] and networks[""].neuron_widths[0] == 4  # symbolic-a: 4 inputs
    summary = json.loads((folder / "summary.json").read_text())
    for key in ("task", "method", "test_loss", "modularity", "n_active_weights", "n_swaps"):
        assert key in summary
    assert summary["task"] == "symbolic-a" and summary["method"] == "bimt"
    assert 0.0 < summary["modularity"] < 1.0
    assert summary["n_swaps"] > 0
    assert len(summary["per_seed"]["modularity"]) == config.n_seeds
    for name in ("graph", "evolution", "loss", "pruning"):
        assert (folder / "figures" / f"{name}.png").is_file()
    # the saved networks, run through a plain numpy forward pass, give the reported per-seed test loss
    # and active-weight counts (slots permuted by the swaps: input_order / output_order say where)
    saved = load_file(str(folder / "params.safetensors"))
    test = tasks.symbolic_task("a", config.n_train, config.n_test, seed=config.seed)["test"]
    for seed in range(config.n_seeds):
        h = test["x"][:, saved["input_order"][seed].astype(int)].astype(np.float64)
        for i in range(3):
            h = h @ saved[f"layer{i}.weight"][seed] + saved[f"layer{i}.bias"][seed]
            h = h / (1 + np.exp(-h)) if i < 2 else h
        out = np.zeros_like(h)
        out[:, saved["output_order"][seed].astype(int)] = h
        assert np.mean((out - test["y"]) ** 2) == pytest.approx(summary["per_seed"]["test_loss"][seed], rel=1e-4)
        active = sum(int(abs(v) > config.active_threshold) for i in range(3) for v in saved[f"layer{i}.weight"][seed].ravel())
        assert active == summary["per_seed"]["n_active_weights"][seed]


def test_bad_config_is_one_line_error():
    config_class = get_study("bimt").config_class
    with pytest.raises(ConfigError, match="n_steps"):
        config_class.resolve({"n_steps": 150})
    with pytest.raises(ConfigError, match="task"):
        config_class.resolve({"task": "xor"})
    with pytest.raises(ConfigError, match="tasks|task"):
        get_study("bimt-table").config_class.resolve({"tasks": ["nope"]})


def test_cli_rejects_unknown_method():
    result = subprocess.run([sys.executable, "-m", "toyscope.cli", "run", "bimt", "--set", "method=l2"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert "method" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_task_data_against_definitions():
    a = tasks.symbolic_task("a", 10, 5, seed=1)
    x, y = a["train"]["x"], a["train"]["y"]
    np.testing.assert_allclose(y[:, 0], x[:, 1] ** 2 + np.sin(np.pi * x[:, 3]), rtol=1e-5)
    np.testing.assert_allclose(y[:, 1], (x[:, 0] + x[:, 2]) ** 3, rtol=1e-5)
    assert np.abs(x).max() <= 1 and a["test"]["x"].shape == (5, 4)
    c = tasks.symbolic_task("c", 10, 5, seed=1)
    xc = c["test"]["x"]
    np.testing.assert_allclose(c["test"]["y"][:, 0], np.hypot(xc[:, 0] - xc[:, 1], xc[:, 2] - xc[:, 3]), rtol=1e-5)
    s4 = tasks.permutation_task(4, seed=0)
    perms, signs = s4["permutations"], s4["signs"]
    pairs = np.concatenate([s4["train"]["x"], s4["test"]["x"]])
    labels = np.concatenate([s4["train"]["y"], s4["test"]["y"]])
    assert len(pairs) == 576 and len(s4["train"]["y"]) == 461
    for (i, j), k in zip(pairs, labels):  # composition (a o b)(i) = a(b(i)); the sign is a homomorphism
        np.testing.assert_array_equal(perms[k], perms[i][perms[j]])
        assert signs[k] == signs[i] * signs[j]
    assert (signs == 1).sum() == 12
    mod = tasks.modular_addition_task(59, seed=0)
    assert len(mod["train"]["y"]) == round(0.8 * 59**2)
    np.testing.assert_array_equal(mod["test"]["y"], mod["test"]["x"].sum(1) % 59)


def test_a_blow_up_of_the_test_loss_fails_the_run_instead_of_reporting_a_modularity():
    from toyscope import train
    from toyscope.studies import NullContext

    study = get_study("bimt")
    config = study.config_class.resolve({"preset": "smoke", "learning_rate": 1e4, "n_steps": 200})
    with pytest.raises(train.TrainingDiverged, match=r"test_loss .* > 10000 .*2 of 2 members diverged.*learning_rate"):
        study.run(config, NullContext())
