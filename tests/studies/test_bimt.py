"""The bimt study: smoke run through the run folder, config validation, and the task data."""

from __future__ import annotations

import json
import re
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
    per_seed = (folder / "tables" / "modules_per_seed.csv").read_text().splitlines()[1:]
    assert {line.split(",")[0] for line in per_seed} == {"0", "1"}  # every seed lists its modules
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


def _numpy_forward(saved: dict, seed: int, x: np.ndarray, n_layers: int) -> np.ndarray:
    """A saved BIMT MLP (SiLU hidden layers) on ``x`` in plain numpy, outputs in task order."""
    h = x[:, saved["input_order"][seed].astype(int)].astype(np.float64)
    for i in range(n_layers):
        h = h @ saved[f"layer{i}.weight"][seed] + saved[f"layer{i}.bias"][seed]
        h = h / (1 + np.exp(-h)) if i < n_layers - 1 else h
    out = np.zeros_like(h)
    out[:, saved["output_order"][seed].astype(int)] = h
    return out


_OWN_SMOKE = ["--set", "preset=smoke", "--set", "n_steps=100", "--set", "n_seeds=1", "--set", "n_snapshots=1"]


def test_cli_trains_bimt_on_a_typed_formula(tmp_path):
    from conftest import DEMO_CLI

    formula = "y1 = x1*x3; y2 = x2 + x4**2"
    result = subprocess.run([*DEMO_CLI, "run", "bimt", *_OWN_SMOKE, "--set", "task=formula", "--set",
                             f"formula={formula}", "--set", "hidden_widths=[6,5]", "--out", "run"],
                            capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    folder = tmp_path / "run"
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["task"] == "formula" and summary["formula"] == "y1 = x1 * x3; y2 = x2 + x4 ** 2"
    assert summary["widths"] == [4, 6, 5, 2] and summary["kind"] == "regression"
    assert "y1 = x1 * x3; y2 = x2 + x4 ** 2" in (folder / "report.html").read_text()
    # the saved network on the formula's own test draw, by hand: the reported MSE
    saved = load_file(str(folder / "params.safetensors"))
    test = tasks.formula_task(formula, n_train=100, n_test=100, seed=0)["test"]
    x1, x2, x3, x4 = test["x"].T.astype(np.float64)
    np.testing.assert_allclose(test["y"], np.stack([x1 * x3, x2 + x4 ** 2], 1), rtol=1e-6, atol=1e-6)
    prediction = _numpy_forward(saved, 0, test["x"], 3)
    assert np.mean((prediction - test["y"]) ** 2) == pytest.approx(summary["per_seed"]["test_loss"][0], rel=1e-4)


def test_bimt_on_an_npz_classification_uses_cross_entropy_and_records_the_file(tmp_path):
    from toyscope.studies import NullContext

    x = np.random.default_rng(0).normal(size=(60, 3))
    np.savez(tmp_path / "points.npz", x=x, y=(x[:, 0] * x[:, 1] > 0).astype(np.int64))
    study = get_study("bimt")
    config = study.config_class.resolve({"preset": "smoke", "n_steps": 100, "n_seeds": 1, "n_snapshots": 1,
                                         "task": "file", "data": str(tmp_path / "points.npz"), "hidden_widths": [5]})
    ctx = NullContext()
    result = study.run(config, ctx)
    summary = result.summary
    assert summary["kind"] == "classification" and summary["widths"] == [3, 5, 2]
    assert summary["data_file"] == str(tmp_path / "points.npz")
    assert ctx.files == {"points.npz": str(tmp_path / "points.npz")}  # checksummed into meta.json by runs
    # test loss is the softmax cross-entropy and accuracy the argmax, by hand on the same split
    test = tasks.array_task(tmp_path / "points.npz", seed=0)["test"]
    logits = _numpy_forward(result.params, 0, test["x"], 2)
    log_softmax = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    assert -log_softmax[np.arange(len(test["y"])), test["y"]].mean() == pytest.approx(summary["test_loss"], rel=1e-4)
    assert np.mean(logits.argmax(1) == test["y"]) == pytest.approx(summary["test_accuracy"])


def test_own_task_config_errors(tmp_path):
    config_class = get_study("bimt").config_class
    np.savez(tmp_path / "reg.npz", x=np.zeros((10, 2)), y=np.arange(10.0))
    assert config_class.resolve({"task": "file", "data": str(tmp_path / "reg.npz")})._own == ("regression", (2, 20, 20, 1), 8, 2)
    assert config_class.resolve({"task": "formula", "formula": "y = x3", "n_inputs": 5})._own[1] == (5, 20, 20, 1)
    for values, message in [
        ({"task": "formula"}, "task=formula needs a formula"),
        ({"task": "file"}, "task=file needs a data file"),
        ({"formula": "y1 = x1"}, "formula applies to task=formula only"),
        ({"task": "file", "data": str(tmp_path / "reg.npz"), "n_inputs": 3}, "n_inputs applies to task=formula only"),
        ({"task": "mod-add", "hidden_widths": [10]}, "hidden_widths applies to task=formula or task=file only"),
        ({"task": "formula", "formula": "y1 = x1", "hidden_widths": []}, "hidden_widths must be one or more"),
        ({"task": "formula", "formula": "y1 = x1", "test_fraction": 0.5}, "test_fraction applies to task=file"),
        ({"task": "file", "data": str(tmp_path / "reg.npz"), "test_fraction": 1.5}, "test_fraction must be in (0, 1)"),
        ({"task": "formula", "formula": "y1 = 1 / (x1 - x1)"}, "formula output y1 divides by zero"),
    ]:
        with pytest.raises(ConfigError, match=re.escape(message)):
            config_class.resolve(values)


def test_cli_bad_formula_or_npz_exits_2_in_one_line_and_writes_nothing(tmp_path):
    from conftest import DEMO_CLI

    np.savez(tmp_path / "bad.npz", x=np.array([[0.0, np.nan]] * 4), y=np.zeros(4))
    cases = [(["task=formula", "formula=y1 = __import__('os').system('touch pwned')"], "is not allowed (only sin, cos"),
             (["task=file", "data=bad.npz"], "array 'x' of")]
    for sets, message in cases:
        result = subprocess.run([*DEMO_CLI, "run", "bimt", *_OWN_SMOKE, *[a for s in sets for a in ("--set", s)],
                                 "--out", "run"], capture_output=True, text=True, timeout=300, cwd=tmp_path)
        assert result.returncode == 2, result.stderr
        assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.npz"]  # no run folder, no 'pwned'


def test_notebook_settings_resolve_to_the_notebook_values_and_keys_you_set_win():
    """settings=notebook takes each built-in task's values from toyscope.bimt.NOTEBOOK_SETUPS
    (checked here against values read off the authors' notebooks, cell cited); a key set in the
    config wins; settings=paper is unchanged."""
    from toyscope import bimt
    from toyscope.studies.bimt import method_settings, resolve_settings

    config_class = get_study("bimt").config_class
    # (task, lambdas, lambda steps, lr, A, y*, k, S), from the notebooks of KindXiaoming/BIMT
    expected = [("symbolic-a", (1e-3, 1e-2, 1e-3), (5000, 10000, 5000), 2e-3, 1.0, 0.1, 5, 200),  # sf_3.1 cell 4
                ("symbolic-c", (1e-3, 3e-3, 3e-3), (5000, 10000, 5000), 2e-3, 1.0, 0.1, 5, 200),  # sf_3.1 cell 10
                ("two-moons", (1e-3, 1e-2), (5000, 5000), 2e-3, 1.0, 0.2, 10, 200),  # two_moon_3.2 cell 1
                ("permutation-s4", (1.0,), (20000,), 2e-3, 1.0, 0.5, 30, 200),  # permutation_S4_3.3 cells 1, 3
                ("mnist", (0.01, 0.1, 1.0), (10000, 10000, 20000), 1e-3, 2.0, 0.5, 30, 500),  # mnist_3.5 cells 1, 3
                ("in-context", (1e-3, 1e-2, 0.1), (10000, 20000, 10000), 1e-3, 2.0, 0.5, 20, 10 ** 9)]  # incontext cells 4-5
    for task, lambdas, steps, lr, extent, gap, k, every in expected:
        got = resolve_settings(config_class.resolve({"task": task, "settings": "notebook"}))
        assert (got.lambdas, got.lambda_steps, got.learning_rate, got.extent, got.layer_gap, got.top_k,
                got.swap_every, got.swap_loop, got.swap_score) == (lambdas, steps, lr, extent, gap, k, every,
                                                                   "position", "weights"), task
    assert bimt.NOTEBOOK_SETUPS["two-moons"].n_train == 200 and bimt.NOTEBOOK_SETUPS["mnist"].swap_inputs
    mine = config_class.resolve({"task": "two-moons", "settings": "notebook", "learning_rate": 1e-3,
                                 "swap_loop": "neuron"})
    method = method_settings(mine, resolve_settings(mine))
    assert (method.swap_loop, method.swap_score, method.extent) == ("neuron", "weights", 1.0)
    assert resolve_settings(mine).learning_rate == 1e-3
    paper = resolve_settings(config_class.resolve({"task": "two-moons"}))
    assert (paper.learning_rate, paper.extent, paper.swap_every, paper.swap_loop, paper.top_k) == (1e-3, 2.0, 200,
                                                                                                  "neuron", 6)
    table = get_study("bimt-table").config_class.resolve({"preset": "notebook"})
    assert table.settings == "notebook"


def test_notebook_settings_carry_the_bias_schedule_the_last_layer_the_swap_geometry_and_the_data_draw():
    """The four notebook values beyond the recipe's first ones: biases penalised from step 15k of 20k
    (sf_3.1 cells 4/7/10, scaled with a shorter run), MNIST's last layer without the distance term
    (mnist_3.5 cell 3), S4's swaps scored at A = 2 (permutation_S4_3.3 cell 1) and each notebook's
    np.random.seed draw (0 / 4 / 3, two moons 1, mod-add 4, S4 1)."""
    from toyscope import bimt
    from toyscope.studies.bimt import data_seed, method_settings, resolve_settings

    config_class = get_study("bimt").config_class

    def method(task, **values):
        config = config_class.resolve({"task": task, "settings": "notebook", **values})
        return method_settings(config, resolve_settings(config))

    assert method("symbolic-c").bias_penalty_from == 15_000 and method("symbolic-a", n_steps=1000).bias_penalty_from == 750
    assert method("two-moons").bias_penalty_from == 0 and method("symbolic-a", settings="paper").bias_penalty_from == 0
    assert not method("mnist").last_layer_distance and method("mnist", settings="paper").last_layer_distance
    assert (method("permutation-s4").swap_extent, method("permutation-s4").extent) == (2.0, 1.0)
    assert method("permutation-s4", settings="paper").swap_extent is None
    seeds = {task: data_seed(config_class.resolve({"task": task, "settings": "notebook", "seed": 7}))
             for task in ("symbolic-a", "symbolic-b", "symbolic-c", "two-moons", "mod-add", "permutation-s4", "mnist")}
    assert seeds == {"symbolic-a": 0, "symbolic-b": 4, "symbolic-c": 3, "two-moons": 1, "mod-add": 4,
                     "permutation-s4": 1, "mnist": 7}
    assert data_seed(config_class.resolve({"task": "symbolic-b", "seed": 7})) == 7
    assert bimt.NOTEBOOK_SETUPS["symbolic-b"].data_draw == "legacy"
    np.random.seed(4)  # symbolic_formulas_3.1 cell 7
    np.testing.assert_array_equal(tasks.symbolic_task("b", seed=4, draw="legacy")["train"]["x"],
                                  (np.random.rand(100, 3) * 2 - 1).astype(np.float32))
