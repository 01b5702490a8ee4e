"""The update-attribution data split against a plain loop, the scaled window and the split fallback."""

from __future__ import annotations

import numpy as np
import pytest

from toyscope import tasks
from toyscope.tasks import _group_forks


def test_group_forks_equal_a_plain_loop():
    rng = np.random.default_rng(0)
    positions = np.sort(rng.choice(1000, size=300, replace=False))
    labels = rng.choice([1, 6, 7, 8], size=300)
    split = tasks.group_forks(positions, labels, [[1, 7], [6, 8]], window=400, fork_examples=20)
    assert split.phase1.tolist() == [i for i in range(300) if positions[i] < 400]
    assert split.rest.tolist() == [i for i in range(300) if positions[i] >= 400]
    assert split.fork_classes == [((1,), (6, 8)), ((7,), (6, 8)), ((1, 7), (6,)), ((1, 7), (8,))]
    for fork, keep in zip(split.forks, ({1, 6, 8}, {7, 6, 8}, {1, 7, 6}, {1, 7, 8})):
        expected = [i for i in split.rest if labels[i] in keep][:20]
        assert fork.tolist() == expected
    uncapped = tasks.group_forks(positions, labels, [[1, 7], [6, 8]], window=400)
    assert all(f.size > 20 for f in uncapped.forks)
    with pytest.raises(ValueError, match="cannot be split"):
        tasks.group_forks(positions, labels, [[1], [6, 8]], window=400)


def test_scaled_window():
    assert tasks.scaled_window(12_000, 60_000) == 12_000
    assert tasks.scaled_window(12_000, 10_000) == 2_000
    assert tasks.scaled_window(1, 10_000) == 2  # at least two images
    assert tasks.scaled_window(1_200, 1_797) == 36


def test_load_split_auto_falls_back_to_test_without_downloading(monkeypatch):
    calls = []

    def fake_load(name, split, download=True):
        calls.append((name, split, download))
        if split == "train":
            raise tasks.DataUnavailable("no train split")
        return f"{name}-{split}"

    monkeypatch.setattr(_group_forks, "load_dataset", fake_load)
    assert tasks.load_split("mnist") == "mnist-test"
    assert calls == [("mnist", "train", False), ("mnist", "test", True)]
    calls.clear()
    assert tasks.load_split("mnist", "test") == "mnist-test" and calls == [("mnist", "test", True)]
