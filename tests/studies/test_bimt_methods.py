"""bimt-methods: its config, and each method's cell is the bimt study's own config.

Training five methods takes far longer than this file's budget, so the run itself is exercised
by the smoke preset outside the suite (docs/results/bimt.md); its measurements are library
functions tested against plain loops (tests/analysis/test_modules.py, test_pruning.py)."""

from __future__ import annotations

import pytest

from toyscope.studies import get_study
from toyscope.studies.bimt import METHODS, BimtConfig
from toyscope.studies.bimt_methods import FIGURE2_FORMULA


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
