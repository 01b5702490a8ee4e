"""Boolean tasks: all binary inputs of n bits and targets given by truth tables (XOR and friends)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np


def binary_inputs(n_inputs: int, dtype=np.float32) -> np.ndarray:
    """All ``2**n_inputs`` binary input vectors, row ``i`` holding the bits of ``i`` (first input most significant).

    Returns:
        ``(2**n, n)``; for n = 2 the rows are (0,0), (0,1), (1,0), (1,1).
    """
    if n_inputs < 1 or n_inputs > 20:
        raise ValueError(f"n_inputs must be in 1..20, got {n_inputs}")
    index = np.arange(2**n_inputs)
    return ((index[:, None] >> np.arange(n_inputs - 1, -1, -1)) & 1).astype(dtype)


def boolean_task(targets: Callable[[np.ndarray], np.ndarray] | Sequence[Sequence[int]] | np.ndarray,
                 n_inputs: int, dtype=np.float32) -> dict[str, np.ndarray]:
    """Inputs and 0/1 targets of a Boolean function on all binary inputs.

    Args:
        targets: a function of the ``(2**n, n)`` int inputs returning ``(2**n,)`` or ``(2**n, d_out)``
            0/1 values, or the truth table itself as such an array (rows in :func:`binary_inputs` order).
        n_inputs: number of input bits.

    Returns:
        ``{"x": (2**n, n), "y": (2**n, d_out)}``.

    Raises:
        ValueError: targets of the wrong length or not 0/1.
    """
    x = binary_inputs(n_inputs, dtype)
    y = np.asarray(targets(x.astype(np.int64)) if callable(targets) else targets)
    if y.ndim == 1:
        y = y[:, None]
    if y.shape[0] != len(x):
        raise ValueError(f"targets need {len(x)} rows (one per binary input), got shape {y.shape}")
    if not np.isin(y, (0, 1)).all():
        raise ValueError("targets must be 0 or 1")
    return {"x": x, "y": y.astype(dtype)}


def xor_task(dtype=np.float32) -> dict[str, np.ndarray]:
    """The 4 XOR points: ``x`` (4, 2) in (0,0), (0,1), (1,0), (1,1) order, ``y`` (4, 1) = 0, 1, 1, 0."""
    return boolean_task(lambda x: x[:, 0] ^ x[:, 1], 2, dtype)
