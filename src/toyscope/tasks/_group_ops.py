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


def _split(a, b, c, train_fraction, seed, names):
    if not 0 < train_fraction < 1:
        raise ValueError(f"train_fraction must be in (0, 1), got {train_fraction}")
    rng = np.random.default_rng(seed)
    order = rng.permutation(a.size)
    n_train = int(round(train_fraction * a.size))
    pairs = np.stack([a, b], axis=1).astype(np.int32)
    take = lambda idx: {"x": pairs[idx], "y": c[idx].astype(np.int32)}  # noqa: E731
    return {"train": take(order[:n_train]), "test": take(order[n_train:]),
            "input_names": ["a", "b"], "output_names": names, "vocab_size": len(names)}


def modular_addition_task(modulus: int = 59, *, train_fraction: float = 0.8, seed: int) -> dict:
    """All pairs ``(a, b)`` with label ``(a + b) mod modulus``, split at random.

    Returns:
        ``{"train": {"x": (n, 2) int32 tokens, "y": (n,) int32}, "test": {...}, "input_names",
        "output_names", "vocab_size"}``.
    """
    if modulus < 2:
        raise ValueError(f"modulus must be >= 2, got {modulus}")
    a, b = (g.ravel() for g in np.meshgrid(np.arange(modulus), np.arange(modulus), indexing="ij"))
    return _split(a, b, (a + b) % modulus, train_fraction, seed, [str(i) for i in range(modulus)])


def permutation_task(n: int = 4, *, train_fraction: float = 0.8, seed: int) -> dict:
    """All pairs of elements of :math:`S_n` with label their composition :math:`a \\circ b`.

    Returns:
        As :func:`modular_addition_task`, plus ``"permutations"`` ``(n!, n)`` (token -> one-line
        notation) and ``"signs"`` ``(n!,)``.
    """
    perms = permutations_of(n)
    index = {tuple(p): i for i, p in enumerate(perms)}
    size = len(perms)
    a, b = (g.ravel() for g in np.meshgrid(np.arange(size), np.arange(size), indexing="ij"))
    c = np.array([index[tuple(perms[i][perms[j]])] for i, j in zip(a, b)])
    task = _split(a, b, c, train_fraction, seed, ["".join(str(v + 1) for v in p) for p in perms])
    return {**task, "permutations": perms, "signs": permutation_sign(perms)}
