"""MNIST flattened for an MLP (the BIMT paper's Section 3.5 task): :func:`mnist_split_task`, the
10,000-image test split split at random into train and test; :func:`mnist_standard_task`, the
60,000-image training split against the 10,000-image test split (as the paper and the authors'
notebook)."""

from __future__ import annotations

import numpy as np

from ._datasets import load_dataset


def mnist_split_task(*, seed: int, train_fraction: float = 0.8) -> dict:
    """MNIST's 10,000-image test split (the only one offline), split at random ``train_fraction``
    / rest by ``numpy.random.default_rng(seed)``: pixels / 255 flattened row-major (matching a
    28x28 input grid), targets one-hot ``(n, 10)`` float32 (for MSE).

    Returns:
        ``{"train": {"x", "y"}, "test": {"x", "y"}, "files": {...}, "input_names": ["p0", ...],
        "output_names": class names}``.

    Raises:
        toyscope.tasks.DataUnavailable: the MNIST files are missing.
    """
    dataset = load_dataset("mnist", "test")
    order = np.random.default_rng(seed).permutation(len(dataset))
    n_train = int(round(train_fraction * len(dataset)))
    x = dataset.images.reshape(len(dataset), -1).astype(np.float32) / dataset.pixel_max
    one_hot = np.eye(10, dtype=np.float32)[dataset.labels]
    take = lambda idx: {"x": x[idx], "y": one_hot[idx]}  # noqa: E731
    return {"train": take(order[:n_train]), "test": take(order[n_train:]), "files": dict(dataset.files),
            "input_names": [f"p{i}" for i in range(784)], "output_names": list(dataset.classes)}


def _flat(dataset):
    x = dataset.images.reshape(len(dataset), -1).astype(np.float32) / dataset.pixel_max
    return {"x": x, "y": np.eye(10, dtype=np.float32)[dataset.labels]}


def mnist_standard_task() -> dict:
    """MNIST's standard splits: train on the 60,000 training images, test on the 10,000 test
    images; pixels / 255 flattened row-major, one-hot targets ``(n, 10)`` float32 (as
    :func:`mnist_split_task`).

    Returns:
        ``{"train": {"x", "y"}, "test": {"x", "y"}, "files": {...}, "input_names", "output_names"}``.

    Raises:
        toyscope.tasks.DataUnavailable: the MNIST files are missing.
    """
    train, test = load_dataset("mnist", "train"), load_dataset("mnist", "test")
    return {"train": _flat(train), "test": _flat(test), "files": {**dict(train.files), **dict(test.files)},
            "input_names": [f"p{i}" for i in range(784)], "output_names": list(test.classes)}
