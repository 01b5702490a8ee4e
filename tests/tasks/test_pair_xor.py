"""The pair-XOR task: one XOR target per pair of inputs, over every binary input."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from toyscope import tasks


def test_targets_are_the_xor_of_each_pair_for_every_input():
    pairs = [[0, 1], [1, 2], [3, 0]]
    data = tasks.pair_xor_task(4, pairs)
    assert data["x"].shape == (16, 4) and data["y"].shape == (16, 3) and data["y"].dtype == np.float32
    for n, bits in enumerate(itertools.product((0, 1), repeat=4)):
        assert data["x"][n].tolist() == list(bits)
        assert data["y"][n].tolist() == [float(bits[a] != bits[b]) for a, b in pairs]


@pytest.mark.parametrize("pairs", [[[0, 0]], [[0, 4]], [[1, 2, 3]]])
def test_bad_pairs_are_one_line_value_errors(pairs):
    with pytest.raises(ValueError, match="pairs must be two distinct input indices") as info:
        tasks.pair_xor_task(4, pairs)
    assert "\n" not in str(info.value)
