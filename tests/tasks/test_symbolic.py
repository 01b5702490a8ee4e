"""Symbolic-regression tasks against the formulas of BIMT Section 3.1 evaluated point by point."""

from __future__ import annotations

import math

import numpy as np
import pytest

from toyscope import tasks

FORMULAS = {
    "a": lambda x: [x[1] ** 2 + math.sin(math.pi * x[3]), (x[0] + x[2]) ** 3],
    "b": lambda x: [x[0] ** 2, x[0] ** 2 + x[1] ** 2, x[0] ** 2 + x[1] ** 2 + x[2] ** 2],
    "c": lambda x: [math.sqrt((x[0] - x[1]) ** 2 + (x[2] - x[3]) ** 2)],
}


@pytest.mark.parametrize("name", ["a", "b", "c"])
def test_targets_equal_the_formula_at_every_point(name):
    data = tasks.symbolic_task(name, 30, 20, seed=5, dtype=np.float64)
    n_inputs = {"a": 4, "b": 3, "c": 4}[name]
    n_outputs = {"a": 2, "b": 3, "c": 1}[name]
    for split, size in (("train", 30), ("test", 20)):
        x, y = data[split]["x"], data[split]["y"]
        assert x.shape == (size, n_inputs) and y.shape == (size, n_outputs) and x.dtype == np.float64
        for row, target in zip(x, y):
            np.testing.assert_allclose(target, FORMULAS[name](row.tolist()), rtol=1e-12)
    assert data["input_names"] == [f"x{i + 1}" for i in range(n_inputs)]
    assert len(data["output_names"]) == n_outputs


def test_inputs_are_uniform_on_minus_one_one():
    x = tasks.symbolic_task("a", 2000, 1, seed=0)["train"]["x"]
    assert x.min() >= -1 and x.max() <= 1 and x.dtype == np.float32
    # U[-1,1]: mean 0, variance 1/3 (std error of the mean over 8000 draws ~0.006)
    assert abs(x.mean()) < 0.03 and abs(x.var() - 1 / 3) < 0.02


def test_train_and_test_differ_and_seed_reproduces():
    a, b = tasks.symbolic_task("b", 10, 10, seed=3), tasks.symbolic_task("b", 10, 10, seed=3)
    np.testing.assert_array_equal(a["train"]["x"], b["train"]["x"])
    assert not np.array_equal(a["train"]["x"], a["test"]["x"])
    assert not np.array_equal(a["train"]["x"], tasks.symbolic_task("b", 10, 10, seed=4)["train"]["x"])


@pytest.mark.parametrize("args, match", [(("d",), "unknown symbolic formula 'd'"), (("a", 0), "n_train"),
                                         (("a", 5, 0), "n_test")])
def test_bad_input_gives_one_line_value_error(args, match):
    with pytest.raises(ValueError, match=match) as info:
        tasks.symbolic_task(*args, seed=0)
    assert "\n" not in str(info.value)


def test_legacy_draw_is_numpys_global_state_after_seed():
    # the calls of a script written against np.random.seed (BIMT's symbolic_formulas_3.1.ipynb, cell 4)
    np.random.seed(4)
    train_x = np.random.rand(100, 3) * 2 - 1
    test_x = np.random.rand(100, 3) * 2 - 1
    task = tasks.symbolic_task("b", 100, 100, seed=4, draw="legacy")
    np.testing.assert_array_equal(task["train"]["x"], train_x.astype(np.float32))
    np.testing.assert_array_equal(task["test"]["x"], test_x.astype(np.float32))
    np.testing.assert_array_equal(task["test"]["y"][:, 2], (test_x**2).sum(axis=1).astype(np.float32))
    with pytest.raises(ValueError, match="unknown draw 'torch'; valid: generator, legacy"):
        tasks.symbolic_task("b", seed=0, draw="torch")
