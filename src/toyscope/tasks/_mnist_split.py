"""MNIST's 10,000-image test split split at random into train and test, flattened for an MLP
(the BIMT paper's Section 3.5 task with the data available offline)."""

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
