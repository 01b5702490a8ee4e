r"""Data of the update-attribution experiment: a phase-1 window and four fork subsets.

With groups :math:`A = A_1 \cup A_2` and :math:`B = B_1 \cup B_2` (:func:`split_group`), the
examples of a :func:`class_group_task` are split by their position in the dataset: phase 1 takes
those among the first ``window`` images, the forks share the rest, each fork keeping the
examples of its classes, in order:

.. math::
    A_1 \text{ vs } B,\quad A_2 \text{ vs } B,\quad A \text{ vs } B_1,\quad A \text{ vs } B_2.

The paper's windows refer to MNIST's 60,000-image training split; :func:`scaled_window` maps
them to a split of another size. Paper: ``update-attribution-mnist.txt`` (Methods).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from ._class_groups import split_group
from ._datasets import Dataset, DataUnavailable, load_dataset


def load_split(name: str, split: str = "auto") -> Dataset:
    """Load a dataset split; ``"auto"``: the train split if it is in the data directory, else the test split.

    Args:
        name: dataset name (see :func:`load_dataset`).
        split: ``"train"``, ``"test"`` or ``"auto"``.

    Returns:
        the :class:`Dataset`.

    Raises:
        as :func:`load_dataset` (``"auto"`` never downloads the train split).

    Example:
        >>> from toyscope import tasks
        >>> tasks.load_split("mnist").split in ("train", "test")  # doctest: +SKIP
        True
    """
    if split != "auto":
        return load_dataset(name, split)
    try:
        return load_dataset(name, "train", download=False)
    except DataUnavailable:
        return load_dataset(name, "test")


def scaled_window(images: int, split_size: int, reference_size: int = 60_000) -> int:
    r"""A window of ``images`` of a ``reference_size`` split, scaled to a split of ``split_size``:
    :math:`\max(2, \operatorname{round}(\text{images} \cdot \text{split\_size} / \text{reference\_size}))`.

    Example:
        >>> scaled_window(12_000, 10_000)
        2000
    """
    return max(2, round(images * split_size / reference_size))


class GroupForks(NamedTuple):
    """Indices into a :func:`class_group_task` (see :func:`group_forks`).

    Attributes:
        phase1: ``(P,)`` examples in the window, in dataset order.
        rest: ``(R,)`` the others, in dataset order.
        fork_classes: four ``(classes of output 0, classes of output 1)`` pairs.
        forks: four index arrays into the task, each a subset of ``rest``.
    """

    phase1: np.ndarray
    rest: np.ndarray
    fork_classes: list[tuple[tuple[int, ...], tuple[int, ...]]]
    forks: list[np.ndarray]


def group_forks(positions, labels, groups: Sequence[Sequence[int]], *, window: int,
                fork_examples: int | None = None) -> GroupForks:
    """Split a two-group task into the phase-1 window and the four fork subsets (module docstring).

    Args:
        positions: ``(M,)`` each example's position in the dataset (``task["index"]``).
        labels: ``(M,)`` each example's class (``task["label"]``).
        groups: ``(group_a, group_b)``, each of at least two classes.
        window: phase 1 takes the examples with ``positions < window``.
        fork_examples: keep at most this many examples per fork (the first ones); ``None``: all.

    Returns:
        :class:`GroupForks`.

    Raises:
        ValueError: a group cannot be split (:func:`split_group`).

    Example:
        >>> import numpy as np
        >>> split = group_forks(np.arange(8), np.array([1, 6, 7, 8, 1, 6, 7, 8]), [[1, 7], [6, 8]], window=4)
        >>> split.phase1.tolist(), [f.tolist() for f in split.forks]
        ([0, 1, 2, 3], [[4, 5, 7], [5, 6, 7], [4, 5, 6], [4, 6, 7]])
    """
    positions, labels = np.asarray(positions), np.asarray(labels)
    group_a, group_b = (tuple(int(c) for c in g) for g in groups)
    halves_a, halves_b = split_group(group_a), split_group(group_b)
    in_phase1 = positions < window
    phase1, rest = np.flatnonzero(in_phase1), np.flatnonzero(~in_phase1)
    fork_classes = [(halves_a[0], group_b), (halves_a[1], group_b), (group_a, halves_b[0]), (group_a, halves_b[1])]
    forks = [rest[np.isin(labels[rest], (*ca, *cb))][:fork_examples] for ca, cb in fork_classes]
    return GroupForks(phase1, rest, fork_classes, forks)
