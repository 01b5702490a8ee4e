"""Boolean tasks against truth tables written out by hand and bits read off by a plain loop."""

from __future__ import annotations

import numpy as np
import pytest

from toyscope import tasks


@pytest.mark.parametrize("n", [1, 2, 3, 5])
def test_binary_inputs_rows_are_the_bits_of_their_index(n):
    x = tasks.binary_inputs(n)
    assert x.shape == (2**n, n) and x.dtype == np.float32
    for i in range(2**n):
        bits = [int(c) for c in format(i, f"0{n}b")]  # most significant first
        assert x[i].tolist() == bits


def test_binary_inputs_two_bits_in_documented_order():
    assert tasks.binary_inputs(2, np.int64).tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]]


@pytest.mark.parametrize("n", [0, -1, 21])
def test_binary_inputs_rejects_bad_sizes(n):
    with pytest.raises(ValueError, match="n_inputs") as info:
        tasks.binary_inputs(n)
    assert "\n" not in str(info.value)


def test_xor_task_is_the_xor_truth_table():
    data = tasks.xor_task()
    assert data["x"].tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]]
    assert data["y"].tolist() == [[0], [1], [1], [0]]
    assert data["x"].dtype == data["y"].dtype == np.float32
    assert tasks.xor_task(np.float64)["y"].dtype == np.float64


@pytest.mark.parametrize("name, table", [
    ("and", [0, 0, 0, 1]), ("or", [0, 1, 1, 1]), ("nand", [1, 1, 1, 0]), ("xnor", [1, 0, 0, 1]),
])
def test_boolean_task_callable_matches_hand_written_truth_table(name, table):
    ops = {"and": lambda a, b: a & b, "or": lambda a, b: a | b,
           "nand": lambda a, b: 1 - (a & b), "xnor": lambda a, b: 1 - (a ^ b)}
    data = tasks.boolean_task(lambda x: ops[name](x[:, 0], x[:, 1]), 2)
    assert data["y"][:, 0].tolist() == table
    # the same table given as data gives the same task
    np.testing.assert_array_equal(tasks.boolean_task(table, 2)["y"], data["y"])


def test_boolean_task_multi_output_matches_loop():
    data = tasks.boolean_task(lambda x: np.stack([x[:, 0] & x[:, 1], x[:, 1] ^ x[:, 2], x.sum(1) >= 2], 1), 3)
    assert data["y"].shape == (8, 3)
    for i in range(8):
        a, b, c = (i >> 2) & 1, (i >> 1) & 1, i & 1
        assert data["y"][i].tolist() == [a & b, b ^ c, int(a + b + c >= 2)]


def test_boolean_task_passes_int_inputs_to_the_function():
    seen = []

    def first_bit(x):
        seen.append(x.dtype)
        return x[:, 0]

    tasks.boolean_task(first_bit, 2)
    assert len(seen) == 1 and np.issubdtype(seen[0], np.integer)


@pytest.mark.parametrize("targets, match", [
    ([0, 1, 1], "4 rows"), (np.full(4, 2), "0 or 1"), ([0, 0.5, 1, 0], "0 or 1"),
])
def test_boolean_task_rejects_bad_targets_in_one_line(targets, match):
    with pytest.raises(ValueError, match=match) as info:
        tasks.boolean_task(targets, 2)
    assert "\n" not in str(info.value)


def test_boolean_tasks():
    xor = tasks.xor_task()
    assert xor["x"].tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]] and xor["y"][:, 0].tolist() == [0, 1, 1, 0]
    x = tasks.binary_inputs(4)
    assert x.shape == (16, 4) and len({tuple(r) for r in x.tolist()}) == 16
    three = tasks.boolean_task(lambda b: np.stack([b[:, 0] & b[:, 1], b[:, 2] | b[:, 3]], 1), 4)
    assert three["y"].shape == (16, 2)
    with pytest.raises(ValueError, match="0 or 1"):
        tasks.boolean_task(np.full(4, 2), 2)
