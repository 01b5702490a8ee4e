"""In-context regression sequences against the token layout written out by a plain loop."""

from __future__ import annotations

import numpy as np
import pytest

from toyscope import tasks


@pytest.mark.parametrize("n_examples, dim", [(0, 1), (1, 1), (3, 2)])
def test_tokens_and_targets_match_a_loop_over_the_definition(n_examples, dim):
    data = tasks.in_context_regression_task(50, n_examples=n_examples, dim=dim, train_fraction=0.6, seed=4)
    n_train = 30
    for split, size in (("train", n_train), ("test", 50 - n_train)):
        x, y, w = data[split]["x"], data[split]["y"], data[split]["w"]
        assert x.shape == (size, 2 * n_examples + 1, dim + 1) and y.shape == (size, n_examples + 1)
        assert w.shape == (size, dim) and x.dtype == y.dtype == w.dtype == np.float32
        for s in range(size):
            for t in range(n_examples + 1):
                token = x[s, 2 * t]  # x-token [0, x_t]
                assert token[0] == 0.0
                assert y[s, t] == pytest.approx(float(np.dot(w[s], token[1:])), rel=1e-5, abs=1e-6)
                if t < n_examples:  # the following y-token [y_t, 0, ..., 0]
                    assert x[s, 2 * t + 1, 0] == pytest.approx(y[s, t], rel=1e-6)
                    assert (x[s, 2 * t + 1, 1:] == 0).all()


def test_ranges_are_respected_and_sequences_differ():
    data = tasks.in_context_regression_task(400, n_examples=2, dim=3, w_range=(2.0, 5.0), x_range=(-1.0, -0.5), seed=0)
    w, x = data["train"]["w"], data["train"]["x"][:, 0::2, 1:]
    assert w.min() >= 2 and w.max() <= 5 and x.min() >= -1 and x.max() <= -0.5
    # uniform draws: mean near the midpoint (std of the mean of 320*3 U[2,5] draws is ~0.03)
    assert abs(w.mean() - 3.5) < 0.15 and abs(x.mean() + 0.75) < 0.05
    assert len(np.unique(w[:, 0])) == len(w)  # each sequence has its own w


def test_names_and_split_sizes():
    one = tasks.in_context_regression_task(10, dim=1, seed=0)
    assert one["input_names"] == ["y-slot", "x"] and one["output_names"] == ["y", "-"]
    assert len(one["train"]["x"]) == 8 and len(one["test"]["x"]) == 2
    three = tasks.in_context_regression_task(10, dim=3, seed=0)
    assert three["input_names"] == ["y-slot", "x1", "x2", "x3"] and three["output_names"] == ["y", "-", "-", "-"]


def test_train_and_test_hold_disjoint_sequences_and_seed_reproduces():
    a = tasks.in_context_regression_task(100, seed=7)
    b = tasks.in_context_regression_task(100, seed=7)
    np.testing.assert_array_equal(a["train"]["x"], b["train"]["x"])
    train_w = set(a["train"]["w"][:, 0].tolist())
    assert not train_w & set(a["test"]["w"][:, 0].tolist())
    assert not np.array_equal(a["train"]["w"], tasks.in_context_regression_task(100, seed=8)["train"]["w"])


@pytest.mark.parametrize("kwargs, match", [
    ({"n_sequences": 1}, "n_sequences"), ({"n_examples": -1}, "n_examples"), ({"dim": 0}, "dim"),
    ({"train_fraction": 1.0}, "train_fraction"), ({"w_range": (1.0, -1.0)}, "w_range"),
    ({"x_range": (2.0, 2.0)}, "x_range"),
])
def test_bad_input_gives_one_line_value_error(kwargs, match):
    with pytest.raises(ValueError, match=match) as info:
        tasks.in_context_regression_task(**{"n_sequences": 10, **kwargs})
    assert "\n" not in str(info.value)
