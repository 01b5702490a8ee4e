r"""Binary-operation tasks on finite groups: predict :math:`c = a \circ b` from tokens a, b.

``modular_addition_task(p)``: :math:`c = a + b \bmod p`. ``permutation_task(n)``: the symmetric
group :math:`S_n` with composition :math:`(a \circ b)(i) = a(b(i))`, elements numbered in
lexicographic order of their one-line notation (0 is the identity). All :math:`|G|^2` pairs are
split at random into train and test.

Reference: Liu, Gan & Tegmark, Entropy 26 (2024) 41, Section 3.3 (modular addition mod 59 and
:math:`S_4`, 80/20 split).
"""

from __future__ import annotations

import itertools

import numpy as np

from ._draws import check_draw


def permutations_of(n: int) -> np.ndarray:
    """All permutations of ``0..n-1`` in lexicographic order, ``(n!, n)`` (row 0 the identity)."""
    if not 1 <= n <= 8:
        raise ValueError(f"n must be in 1..8, got {n}")
    return np.array(list(itertools.permutations(range(n))), dtype=np.int64)


def permutation_sign(perms: np.ndarray) -> np.ndarray:
    """Sign (+1 even, -1 odd) of each permutation row, ``(m,)`` from ``(m, n)``."""
    perms = np.asarray(perms)
    n = perms.shape[1]
    inversions = sum((perms[:, i] > perms[:, j]).astype(int) for i in range(n) for j in range(i + 1, n))
    return np.where(inversions % 2 == 0, 1, -1)


def _split(a, b, c, train_fraction, seed, names, draw):
    r"""Pairs ``(a, b)`` numbered ``a * n + b``, split into train and test by ``draw``:
    ``"generator"``: the first ``round(f n²)`` of ``default_rng(seed).permutation(n²)``;
    ``"legacy"``: ``np.random.seed(seed)``, ``train = np.random.choice(n², int(f n²), replace=False)``
    with pair ``k`` = ``(k mod n, k // n)`` (``np.meshgrid``'s order), the rest the test set (ascending)."""
    if not 0 < train_fraction < 1:
        raise ValueError(f"train_fraction must be in (0, 1), got {train_fraction}")
    check_draw(draw)
    if draw == "legacy":
        size = len(names)  # the group's order n: pairs are numbered a * n + b
        chosen = np.random.RandomState(seed).choice(a.size, int(train_fraction * a.size), replace=False)
        train_ids = (chosen % size) * size + chosen // size  # their pair k is our pair (k mod n) * n + k // n
        order = np.concatenate([train_ids, np.setdiff1d(np.arange(a.size), train_ids)])
        n_train = len(train_ids)
    else:
        order = np.random.default_rng(seed).permutation(a.size)
        n_train = int(round(train_fraction * a.size))
    pairs = np.stack([a, b], axis=1).astype(np.int32)
    take = lambda idx: {"x": pairs[idx], "y": c[idx].astype(np.int32)}  # noqa: E731
    return {"train": take(order[:n_train]), "test": take(order[n_train:]),
            "input_names": ["a", "b"], "output_names": names, "vocab_size": len(names)}


def modular_addition_task(modulus: int = 59, *, train_fraction: float = 0.8, seed: int, draw: str = "generator") -> dict:
    """All pairs ``(a, b)`` with label ``(a + b) mod modulus``, split at random (``draw``:
    ``"generator"``, or ``"legacy"`` for the split of the BIMT authors' ``modular_addition_3.3.ipynb``:
    ``np.random.choice(p², int(0.8 p²), replace=False)`` after ``np.random.seed(seed)``).

    Returns:
        ``{"train": {"x": (n, 2) int32 tokens, "y": (n,) int32}, "test": {...}, "input_names",
        "output_names", "vocab_size"}``.
    """
    if modulus < 2:
        raise ValueError(f"modulus must be >= 2, got {modulus}")
    a, b = (g.ravel() for g in np.meshgrid(np.arange(modulus), np.arange(modulus), indexing="ij"))
    return _split(a, b, (a + b) % modulus, train_fraction, seed, [str(i) for i in range(modulus)], draw)


def permutation_task(n: int = 4, *, train_fraction: float = 0.8, seed: int, draw: str = "generator") -> dict:
    """All pairs of elements of :math:`S_n` with label their composition :math:`a \\circ b`, split
    as :func:`modular_addition_task` (``draw="legacy"``: the split of ``permutation_S4_3.3.ipynb``).

    Returns:
        As :func:`modular_addition_task`, plus ``"permutations"`` ``(n!, n)`` (token -> one-line
        notation) and ``"signs"`` ``(n!,)``.
    """
    perms = permutations_of(n)
    index = {tuple(p): i for i, p in enumerate(perms)}
    size = len(perms)
    a, b = (g.ravel() for g in np.meshgrid(np.arange(size), np.arange(size), indexing="ij"))
    c = np.array([index[tuple(perms[i][perms[j]])] for i, j in zip(a, b)])
    task = _split(a, b, c, train_fraction, seed, ["".join(str(v + 1) for v in p) for p in perms], draw)
    return {**task, "permutations": perms, "signs": permutation_sign(perms)}
