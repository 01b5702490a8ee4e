"""Several XORs at once: every binary input of n bits, one target per pair of inputs."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ._boolean import binary_inputs


def pair_xor_task(n_inputs: int, pairs: Sequence[Sequence[int]], dtype=np.float32) -> dict[str, np.ndarray]:
    r"""All ``2**n_inputs`` binary inputs with target j the XOR of the inputs ``pairs[j]`` (0-based).

    :math:`y_{nj} = x_{n,a_j} \oplus x_{n,b_j}` for ``pairs[j] = (a_j, b_j)``: the task of a net
    spliced from XOR blocks (:func:`toyscope.nets.splice_blocks`).

    Returns:
        ``{"x": (2**n, n), "y": (2**n, len(pairs))}``, rows in :func:`binary_inputs` order.

    Raises:
        ValueError: a pair that is not two distinct indices in ``0..n_inputs - 1``.

    >>> data = pair_xor_task(3, [[0, 1], [1, 2]])
    >>> data["y"][5].tolist()  # x = (1, 0, 1)
    [1.0, 1.0]
    """
    for pair in pairs:
        if len(pair) != 2 or pair[0] == pair[1] or not all(0 <= i < n_inputs for i in pair):
            raise ValueError(f"pairs must be two distinct input indices in 0..{n_inputs - 1}, got {list(pair)}")
    x = binary_inputs(n_inputs, dtype)
    bits = x.astype(np.int64)
    y = np.stack([bits[:, i] ^ bits[:, j] for i, j in pairs], axis=1).astype(dtype)
    return {"x": x, "y": y}
