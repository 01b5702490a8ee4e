"""The XOR path task by hand (signed inputs, y = -x1 x2, one gate per example); the deprecated
``tasks.xor_path_net`` warns once and is ``nets.xor_path_net``."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from toyscope import nets, tasks


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_xor_path_task_by_hand(dtype):
    data = tasks.xor_path_task(dtype)
    inputs = [[1, 1], [1, -1], [-1, 1], [-1, -1]]
    xor = [-1, 1, 1, -1]  # +1 where the two signed bits differ
    np.testing.assert_array_equal(data["x"]["x"], inputs)
    np.testing.assert_array_equal(data["y"]["y"], np.array(xor)[:, None])
    for p in range(4):
        assert (data["x"]["x"][p, 0] != data["x"]["x"][p, 1]) == (data["y"]["y"][p, 0] == 1)
    assert sorted(data["gates"]) == ["h0", "h1", "h2", "h3"]
    for p in range(4):  # gate h{p} is on for example p only
        np.testing.assert_array_equal(data["gates"][f"h{p}"], [1.0 if q == p else 0.0 for q in range(4)])
    np.testing.assert_array_equal(data["weight"], [0.25] * 4)
    np.testing.assert_array_equal(data["inputs"], data["x"]["x"])
    np.testing.assert_array_equal(data["targets"], data["y"]["y"])
    for array in (data["x"]["x"], data["y"]["y"], data["weight"], *data["gates"].values()):
        assert array.dtype == dtype


def test_deprecated_xor_path_net_in_tasks_warns_once_and_is_the_nets_one():
    with pytest.warns(DeprecationWarning, match=r"^tasks.xor_path_net is deprecated; use nets.xor_path_net$") as record:
        spec = tasks.xor_path_net(3)
    assert len(record) == 1 and record[0].filename == __file__  # attributed to the caller
    assert spec == nets.xor_path_net(3) and spec != nets.xor_path_net(2)
    with pytest.raises(ValueError, match="n_hidden_per_path must be >= 1, got 0"), warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        tasks.xor_path_net(0)
