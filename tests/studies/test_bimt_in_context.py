"""The bimt study's in-context task: a short run through the run folder, its config checks, and
the sequences against their definition."""

from __future__ import annotations

import json

import numpy as np
import pytest

from toyscope import tasks
from toyscope.runs import execute
from toyscope.studies import ConfigError, get_study
from _self_describing import assert_self_describing


def test_in_context_smoke_run_writes_summary_and_figures(tmp_path):
    study = get_study("bimt")
    config = study.config_class.resolve({"preset": "smoke", "task": "in-context", "n_steps": 400})
    folder = execute(study, config, out=tmp_path / "run")
    assert list(assert_self_describing(folder)) == [""]  # the tiny transformer
    summary = json.loads((folder / "summary.json").read_text())
    for key in ("task", "method", "test_loss", "test_loss_all_positions", "modularity", "modularity_layered_chain",
                "n_active_weights", "n_swaps", "res2_probe_r2"):
        assert key in summary
    assert summary["task"] == "in-context" and summary["method"] == "bimt"
    assert summary["n_swaps"] > 0 and 0.0 < summary["modularity"] < 1.0
    # the first target (y1 with no example yet) is unpredictable: E[(w - E w)^2 x^2] / 2 = (1/3)(13/3)/2 at best
    assert summary["test_loss_all_positions"] > 0.5 > summary["test_loss"]
    for name in ("graph", "evolution", "loss", "prediction", "pruning"):
        assert (folder / "figures" / f"{name}.png").is_file()
    assert "deviations" in (folder / "report.json").read_text()


def test_in_context_config_errors_are_one_line():
    config_class = get_study("bimt").config_class
    with pytest.raises(ConfigError, match="w_range"):
        config_class.resolve({"task": "in-context", "w_range": [1.0, -1.0]})
    with pytest.raises(ConfigError, match="n_sequences"):
        config_class.resolve({"task": "in-context", "n_sequences": 3})
    assert "in-context" in get_study("bimt-table").config_class.resolve({}).tasks


def test_in_context_sequences_against_definition():
    data = tasks.in_context_regression_task(200, n_examples=2, dim=1, seed=3)
    x, y, w = data["train"]["x"], data["train"]["y"], data["train"]["w"]
    assert x.shape == (160, 5, 2) and y.shape == (160, 3) and data["test"]["x"].shape == (40, 5, 2)
    np.testing.assert_array_equal(x[:, 0::2, 0], 0.0)  # x-tokens [0, x]
    np.testing.assert_array_equal(x[:, 1::2, 1], 0.0)  # y-tokens [y, 0]
    np.testing.assert_allclose(y, w * x[:, 0::2, 1], rtol=1e-6)  # target at each x-token is w x
    np.testing.assert_allclose(x[:, 1::2, 0], y[:, :-1], rtol=1e-6)  # earlier y's are in context
    assert w.min() >= -1 and w.max() <= 1 and x[:, 0::2, 1].min() >= 1 and x[:, 0::2, 1].max() <= 3
    with pytest.raises(ValueError, match="x_range"):
        tasks.in_context_regression_task(10, x_range=(2.0, 2.0))
