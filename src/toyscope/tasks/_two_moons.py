"""The two-moons classification task (scikit-learn's ``make_moons``), BIMT Section 3.2."""

from __future__ import annotations

import numpy as np

from ._draws import check_draw


def two_moons_task(n_train: int = 1000, n_test: int = 1000, *, noise: float = 0.1, seed: int,
                   dtype=np.float32, draw: str = "generator") -> dict:
    """Two interleaved half circles, labels 0/1, drawn by ``sklearn.datasets.make_moons``.

    Args:
        n_train, n_test: examples per split (drawn together, then split).
        noise: standard deviation of the Gaussian noise added to the points.
        seed: ``random_state`` of the draw (keyword-only).
        draw: ``"generator"`` (one ``make_moons(n_train + n_test, random_state=seed)``, split) or
            ``"legacy"``: ``make_moons(n_train)`` then ``make_moons(n_test)``, both drawing from one
            ``numpy.random.RandomState(seed)``, as a script does after ``np.random.seed(seed)`` (the
            BIMT authors' ``two_moon_3.2.ipynb``).

    Returns:
        ``{"train": {"x": (n, 2), "y": (n,) int32}, "test": {...}, "input_names", "output_names"}``.

    Raises:
        ValueError: a split size < 1, negative ``noise`` or an unknown ``draw``.
    """
    from sklearn.datasets import make_moons

    if n_train < 1 or n_test < 1:
        raise ValueError(f"n_train and n_test must be >= 1, got {n_train} and {n_test}")
    if noise < 0:
        raise ValueError(f"noise must be >= 0, got {noise}")
    check_draw(draw)
    if draw == "legacy":
        legacy = np.random.RandomState(seed)
        parts = [make_moons(n_samples=n, noise=noise, random_state=legacy) for n in (n_train, n_test)]
        x, y = np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
    else:
        x, y = make_moons(n_samples=n_train + n_test, noise=noise, random_state=seed)
    split = lambda a, b: {"x": x[a:b].astype(dtype), "y": y[a:b].astype(np.int32)}  # noqa: E731
    return {"train": split(0, n_train), "test": split(n_train, n_train + n_test),
            "input_names": ["x1", "x2"], "output_names": ["class 1", "class 2"]}
