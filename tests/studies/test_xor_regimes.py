"""The xor-regimes study on a tiny grid: every cell's counts equal a separate training of that
budget, the paper rule is the stated one, and budgets off the grid are refused in one line."""

from __future__ import annotations

import json

import jax
import numpy as np
import pytest

from toyscope import analysis, nets, tasks, train
from toyscope.runs import execute
from toyscope.studies import ConfigError, get_study
from toyscope.studies.xor_regimes import CellOutcome, paper_rule

TINY = {"n_networks": 24, "learning_rates": {"sgd": [1.0]}, "step_values": [100, 300],
        "reference_budget": {"optimizer": "sgd", "learning_rate": 1.0, "n_steps": 300},
        "paper_like_budget": {"optimizer": "sgd", "learning_rate": 1.0, "n_steps": 100},
        "init_scales": [1.0], "n_networks_per_scale": 16, "n_boundaries": 2}


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    study = get_study("xor-regimes")
    return execute(study, study.config_class.resolve(TINY), out=tmp_path_factory.mktemp("regimes") / "run")


def test_every_cell_equals_a_separate_training(tiny_run):
    summary = json.loads((tiny_run / "summary.json").read_text())
    data = tasks.boolean_task(np.array([0, 1, 1, 0]), 2)
    key = jax.random.split(jax.random.key(0), 4)[0]
    for width, field in ((2, "width2"), (3, "width3_solved")):
        spec = nets.mlp([2, width, 1], "sigmoid")
        params = nets.init(spec, key=jax.random.fold_in(key, width), n_networks=24, scheme="torch_default")
        for rate in (1.0,):
            for steps in ((100, 300) if width == 2 else (300,)):
                result = train.train(train.mlp_objective(spec, "bce"), params, data,
                                     optimizer=train.Optimizer("sgd", rate), n_steps=steps,
                                     record=train.Record(every=steps))
                classes = analysis.accuracy_classes(
                    analysis.classification_accuracy(spec, result.params, data["x"], data["y"]))
                cell = summary["map"]["sgd"][f"{rate:g}"][str(steps)]
                if width == 2:
                    assert cell["width2"] == {c: float(np.mean(classes == c)) for c in ("1.0", "0.75", "0.5")}
                else:
                    assert cell[field] == float(np.mean(classes == "1.0"))
    assert summary["map_cell_count"] == 2
    assert (tiny_run / "figures" / "regime_map_sgd.png").exists()
    assert summary["route_around"]["verdict"] in ("supported", "refuted") or summary["class_75"]["networks"] == 0


def test_paper_rule_is_the_stated_one():
    band = [0.3, 0.6]
    paper_like = CellOutcome({2: {"1.0": 24, "0.75": 41, "0.5": 35}, 3: {"1.0": 48, "0.75": 30, "0.5": 22}},
                             {2: 0.6, 3: 0.43}, 100)
    assert paper_rule(paper_like, band).holds
    assert not paper_rule(paper_like._replace(median_loss={2: 0.6, 3: 0.01}), band).loss_in_band
    tied = paper_like._replace(counts={2: {"1.0": 24, "0.75": 41, "0.5": 35}, 3: {"1.0": 30, "0.75": 40, "0.5": 30}})
    assert not paper_rule(tied, band).width3_easier  # 30/100 vs 24/100: Wilson intervals overlap
    largest_solved = paper_like._replace(counts={2: {"1.0": 50, "0.75": 30, "0.5": 20}, 3: paper_like.counts[3]})
    assert not paper_rule(largest_solved, band).largest_is_75


@pytest.mark.parametrize("values, match", [
    ({"paper_like_budget": {"optimizer": "sgd", "learning_rate": 0.5, "n_steps": 300}}, "must be a cell of the map"),
    ({"step_values": [150, 300]}, "must divide every step value"),
    ({"learning_rates": {"rmsprop": [0.1]}}, "unknown optimiser"),
    ({"paper_loss_band": [0.6, 0.3]}, "paper_loss_band"),
])
def test_bad_config_is_one_line(values, match):
    with pytest.raises(ConfigError, match=match) as err:
        get_study("xor-regimes").config_class.resolve({**TINY, **values})
    assert "\n" not in str(err.value)
