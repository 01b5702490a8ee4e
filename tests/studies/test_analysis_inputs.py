"""What analyses read: config checks, built-in tasks equal to the task functions, the default loss."""

import numpy as np
import pytest

from toyscope import nets, tasks
from toyscope.studies import ConfigError
from toyscope.studies._analysis_inputs import AnalysisConfig, default_loss, load_data, require_data


def test_config_checks_the_task_and_refuses_two_sources():
    assert AnalysisConfig.resolve({"model": "m.pt", "task": "truth:00010111"}).task == "truth:00010111"
    with pytest.raises(ConfigError, match="unknown task; valid: xor, two-moons"):
        AnalysisConfig.resolve({"model": "m.pt", "task": "nope"})
    with pytest.raises(ConfigError, match="2\\*\\*n characters"):
        AnalysisConfig.resolve({"model": "m.pt", "task": "truth:011"})
    with pytest.raises(ConfigError, match="--task or --data, not both"):
        AnalysisConfig.resolve({"model": "m.pt", "task": "xor", "data": "d.npz"})
    with pytest.raises(ConfigError, match="model"):
        AnalysisConfig.resolve({})


def test_built_in_tasks_are_the_task_functions():
    xor = load_data("xor", None, seed=0)
    np.testing.assert_array_equal(xor.x, tasks.xor_task()["x"])
    majority = load_data("truth:00010111", None, seed=0)
    assert majority.y[:, 0].tolist() == [0, 0, 0, 1, 0, 1, 1, 1]
    formula = load_data("symbolic-a", None, seed=3)
    np.testing.assert_array_equal(formula.x, tasks.symbolic_task("a", seed=3)["test"]["x"])
    assert formula.input_names == ["x1", "x2", "x3", "x4"]
    assert load_data(None, None, seed=0) is None
    with pytest.raises(ValueError, match="hessian needs data: give --task"):
        require_data(None, "hessian")


def test_default_loss_follows_the_targets():
    spec = nets.mlp([2, 3, 1])
    assert default_loss(spec, np.array([[0.0], [1.0]])) == "bce"
    assert default_loss(spec, np.array([[0.5], [1.0]])) == "mse"
    assert default_loss(nets.mlp([2, 3, 2]), np.array([0, 1], np.int32)) == "softmax_ce"
