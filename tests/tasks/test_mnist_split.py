"""The MNIST split task: a random 80/20 split of the test split, every image used once, pixels
flattened row-major in [0, 1], one-hot targets matching the labels."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from toyscope import tasks

SHARED = Path(os.environ.get("TOYSCOPE_DATA", Path(__file__).parents[3] / "shared" / "data"))


@pytest.mark.skipif(not (SHARED / "mnist" / "t10k-images-idx3-ubyte.gz").exists(), reason="no MNIST test split")
def test_split_uses_every_image_once_with_matching_one_hot_targets():
    data = tasks.mnist_split_task(seed=3)
    dataset = tasks.load_dataset("mnist", "test")
    assert data["train"]["x"].shape == (8000, 784) and data["test"]["x"].shape == (2000, 784)
    order = np.random.default_rng(3).permutation(10_000)  # the split's definition
    x = np.concatenate([data["train"]["x"], data["test"]["x"]])
    np.testing.assert_allclose(x[0], dataset.images[order[0]].ravel() / dataset.pixel_max, rtol=1e-6)
    np.testing.assert_allclose(x[-1].reshape(28, 28) * dataset.pixel_max, dataset.images[order[-1]], rtol=1e-5)
    y = np.concatenate([data["train"]["y"], data["test"]["y"]])
    np.testing.assert_array_equal(y.argmax(1), dataset.labels[order])
    assert np.all(y.sum(1) == 1) and x.min() >= 0 and x.max() <= 1


@pytest.mark.skipif(not (SHARED / "mnist" / "train-images-idx3-ubyte.gz").exists(), reason="no MNIST training split")
def test_standard_task_trains_on_the_60k_split_and_tests_on_the_10k_split():
    data = tasks.mnist_standard_task()
    train, test = tasks.load_dataset("mnist", "train"), tasks.load_dataset("mnist", "test")
    assert data["train"]["x"].shape == (60_000, 784) and data["test"]["x"].shape == (10_000, 784)
    np.testing.assert_allclose(data["train"]["x"][123].reshape(28, 28) * train.pixel_max, train.images[123], rtol=1e-5)
    np.testing.assert_array_equal(data["train"]["y"].argmax(1), train.labels)
    np.testing.assert_array_equal(data["test"]["y"].argmax(1), test.labels)
