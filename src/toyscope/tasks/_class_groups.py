r"""Two-group classification tasks cut from an image dataset (e.g. MNIST 1/7 against 6/8).

An example of a class in group A gets the target ``[1, 0]``, one of group B ``[0, 1]``; the
inputs are the pixels mapped into :math:`[1/(m+1), 1]` by :math:`x = (p + 1)/(m + 1)` with
:math:`m` the largest pixel value (for MNIST, :math:`(p + 1)/256`, so that no input is exactly
zero, as in the update-attribution paper).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def check_class_groups(groups: Sequence[Sequence[int]], n_classes: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Validate two disjoint, non-empty groups of class indices in ``[0, n_classes)``.

    Args:
        groups: ``(group_a, group_b)``, each a sequence of class indices.
        n_classes: number of classes of the dataset.

    Returns:
        The two groups as tuples of ints, in the given order.

    Raises:
        ValueError: not exactly two groups, an empty group, a repeated class, a class in both
            groups, or a class the dataset lacks (one line each).
    """
    if len(groups) != 2:
        raise ValueError(f"groups must be two lists of classes, got {len(groups)}: {groups!r}")
    out = []
    for name, group in zip("AB", groups):
        group = tuple(int(c) for c in group)
        if not group:
            raise ValueError(f"group {name} is empty; give at least one class of 0..{n_classes - 1}")
        if len(set(group)) != len(group):
            raise ValueError(f"group {name} repeats a class: {list(group)}")
        missing = [c for c in group if not 0 <= c < n_classes]
        if missing:
            raise ValueError(f"group {name} has class {missing[0]}, which the dataset lacks (classes 0..{n_classes - 1})")
        out.append(group)
    both = sorted(set(out[0]) & set(out[1]))
    if both:
        raise ValueError(f"class {both[0]} is in both groups {list(out[0])} and {list(out[1])}")
    return out[0], out[1]


def split_group(group: Sequence[int]) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Split a group of classes into two halves (first ``ceil(n/2)`` classes, the rest).

    Raises:
        ValueError: a group of fewer than two classes cannot be split.
    """
    group = tuple(int(c) for c in group)
    if len(group) < 2:
        raise ValueError(f"group {list(group)} has fewer than two classes and cannot be split in two")
    half = (len(group) + 1) // 2
    return group[:half], group[half:]


def scale_pixels(images: np.ndarray, pixel_max: int = 255) -> np.ndarray:
    r"""Flatten images and map pixel values :math:`p\in[0, m]` to :math:`(p + 1)/(m + 1)`.

    Args:
        images: ``(N, H, W)`` integer pixels.
        pixel_max: :math:`m` (255 for MNIST, giving :math:`[1/256, 1]`).

    Returns:
        ``(N, H*W)`` float32.
    """
    return ((images.reshape(len(images), -1).astype(np.float32) + 1.0) / (pixel_max + 1.0)).astype(np.float32)


def class_group_task(images: np.ndarray, labels: np.ndarray, groups: Sequence[Sequence[int]], *,
                     pixel_max: int = 255, n_classes: int | None = None) -> dict[str, np.ndarray]:
    """The examples of the classes in either group, in dataset order, as a two-output task.

    Args:
        images: ``(N, H, W)`` integer pixels; labels: ``(N,)`` class indices.
        groups: ``(group_a, group_b)`` of class indices (see :func:`check_class_groups`).
        pixel_max: largest pixel value (see :func:`scale_pixels`).
        n_classes: number of classes of the dataset (default ``labels.max() + 1``).

    Returns:
        ``{"x": (M, H*W) float32, "y": (M, 2) float32 ([1, 0] for A, [0, 1] for B),
        "group": (M,) int32 (0 = A, 1 = B), "label": (M,) int64, "index": (M,) int64 (position
        in the dataset)}`` for the M examples of the chosen classes.

    Raises:
        ValueError: see :func:`check_class_groups`; mismatched images and labels.
    """
    labels = np.asarray(labels)
    if len(images) != len(labels):
        raise ValueError(f"images and labels differ in length: {len(images)} and {len(labels)}")
    n_classes = int(labels.max()) + 1 if n_classes is None else n_classes
    group_a, group_b = check_class_groups(groups, n_classes)
    in_a, in_b = np.isin(labels, group_a), np.isin(labels, group_b)
    index = np.flatnonzero(in_a | in_b)
    group = in_b[index].astype(np.int32)
    return {
        "x": scale_pixels(images[index], pixel_max),
        "y": np.eye(2, dtype=np.float32)[group],
        "group": group,
        "label": labels[index].astype(np.int64),
        "index": index.astype(np.int64),
    }
