"""bimt-methods: its config, each method's cell is the bimt study's own config, and a two-method
smoke run whose numbers are recomputed from its saved networks (its measurements are library
functions tested against plain loops: tests/analysis/test_modules.py, test_pruning.py)."""

from __future__ import annotations

import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from toyscope import nets, tasks
from toyscope.runs import execute
from toyscope.studies import get_study
from toyscope.studies.bimt import METHODS, BimtConfig
from toyscope.studies.bimt_methods import FIGURE2_FORMULA
from _self_describing import assert_self_describing


def test_the_default_is_figure_2s_task_and_every_method_is_a_bimt_formula_cell():
    config_class = get_study("bimt-methods").config_class
    config = config_class.resolve({})
    assert config.formula == FIGURE2_FORMULA and config.methods == list(METHODS) and config.n_seeds == 5
    cell = config.cell_config("l1-local")
    assert isinstance(cell, BimtConfig) and (cell.task, cell.method, cell.n_seeds) == ("formula", "l1-local", 5)
    assert cell.n_steps is None and cell.hidden_widths == [20, 20]  # the paper's 20,000 steps, Section 3.1's widths
    smoke = config_class.resolve({"preset": "smoke"}).cell_config("bimt")
    assert (smoke.n_steps, smoke.n_seeds) == (1000, 2)
    one = get_study("bimt").config_class.resolve({"preset": "figure2", "method": "l1"})  # one panel in the bimt study
    assert (one.task, one.formula, one.method, one.n_seeds) == ("formula", FIGURE2_FORMULA, "l1", 5)


@pytest.mark.parametrize("values, message", [
    ({"methods": ["bimt", "bimt"]}, "methods must be distinct names"),
    ({"methods": ["l2"]}, "methods must be distinct names"),
    ({"expected_modules": [["x1", "x5"]]}, "expected_modules must be non-empty lists of the formula's inputs"),
    ({"budgets": [563]}, r"budgets must lie in \[1, 562\]"),
    ({"formula": "y1 = x1 +"}, "formula"),
    ({"loss_target": 0.0}, "loss_target must be > 0"),
])
def test_bad_values_are_refused_in_one_line(values, message):
    with pytest.raises(ValueError, match=message):
        get_study("bimt-methods").config_class.resolve(values)


def test_notebook_settings_take_the_symbolic_notebooks_values():
    from toyscope import bimt

    cell = get_study("bimt-methods").config_class.resolve({"settings": "notebook"}).cell_config("bimt")
    notebook = bimt.NOTEBOOK_SETUPS["symbolic-a"]
    assert (cell.learning_rate, cell.extent, cell.top_k, cell.swap_loop, cell.swap_score) == (
        2e-3, 1.0, 5, "position", "weights") == (notebook.learning_rate, notebook.extent, notebook.top_k,
                                                 notebook.swap_loop, notebook.swap_score)


def test_a_smoke_run_reports_the_losses_and_fractions_of_its_saved_networks(tmp_path):
    study = get_study("bimt-methods")
    config = study.config_class.resolve({"preset": "smoke", "methods": ["l1", "bimt"]})
    folder = execute(study, config, out=tmp_path / "run")
    assert sorted(assert_self_describing(folder)) == ["bimt", "l1"]
    summary = json.loads((folder / "summary.json").read_text())
    test = tasks.formula_task(FIGURE2_FORMULA, n_train=config.n_train, n_test=config.n_test, seed=config.seed)["test"]
    for method in ("l1", "bimt"):
        spec, params = nets.load(folder / "params.safetensors", prefix=method)
        prediction = np.asarray(jax.vmap(lambda p: nets.apply(spec, p, jnp.asarray(test["x"])))(params))
        losses = np.mean((prediction - test["y"][None]) ** 2, axis=(1, 2))  # per seed, by hand
        np.testing.assert_allclose(summary["per_seed"][method]["test_loss"], losses, rtol=1e-5)
        assert summary[f"{method}/test_loss"] == pytest.approx(np.exp(np.mean(np.log(losses))), rel=1e-5)
        holds = summary["per_seed"][method]["parallel_modules"]
        k, n, z = sum(holds), len(holds), 1.959963984540054  # Wilson's 95% interval by hand
        centre, half = (k + z * z / 2) / (n + z * z), z * np.sqrt(k * (n - k) / n + z * z / 4) / (n + z * z)
        fraction = summary[f"{method}/parallel_modules"]
        assert fraction["fraction"] == k / n
        np.testing.assert_allclose(fraction["ci95"], [max(0.0, centre - half), min(1.0, centre + half)], atol=1e-9)
    assert summary["pruning_order"] and (folder / "figures").is_dir() and any((folder / "figures").glob("*.png"))
