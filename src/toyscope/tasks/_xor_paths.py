r"""XOR as a gated deep linear network: four paths, each switched on by one example.

Inputs :math:`x \in \{\pm1\}^2`, target :math:`y = -x_1 x_2` (+1 where the bits differ). The
GDLN has one hidden node ``h{p}`` per example p, gated on only for that example, so each path
learns its example on its own (Fig. 3b); a ReLU network from small weights finds the same four
cell types, since a unit with input weights along :math:`x_p` is active on example p alone.

Reference: Saxe, Sodhani & Lewallen, *The Neural Race Reduction* (ICML 2022), Fig. 3.
"""

from __future__ import annotations

import numpy as np

from ..nets import GatedLinearNet

XOR_SIGNED_INPUTS = np.array([[1, 1], [1, -1], [-1, 1], [-1, -1]], np.float32)


def xor_path_net(n_hidden_per_path: int) -> GatedLinearNet:
    """The GDLN of Fig. 3b: input ``x`` (2) -> ``h0..h3`` (``n_hidden_per_path`` each) -> ``y`` (1)."""
    if int(n_hidden_per_path) < 1:
        raise ValueError(f"n_hidden_per_path must be >= 1, got {n_hidden_per_path}")
    nodes = [("x", 2)] + [(f"h{p}", int(n_hidden_per_path)) for p in range(4)] + [("y", 1)]
    edges = [("x", f"h{p}") for p in range(4)] + [(f"h{p}", "y") for p in range(4)]
    return GatedLinearNet(tuple(nodes), tuple(edges))


def xor_path_task(dtype=np.float32) -> dict:
    """The four XOR examples in the batch layout of :func:`toyscope.nets.gated_linear_loss`.

    Returns:
        ``{"x": {"x": (4, 2)}, "y": {"y": (4, 1)}, "gates": {"h{p}": (4,) one-hot},
        "weight": (4,) = 1/4}``; also ``"inputs"`` (4, 2) and ``"targets"`` (4, 1) for ReLU nets.
    """
    x = XOR_SIGNED_INPUTS.astype(dtype)
    y = (-x[:, :1] * x[:, 1:]).astype(dtype)
    gates = {f"h{p}": (np.arange(4) == p).astype(dtype) for p in range(4)}
    return {"x": {"x": x}, "y": {"y": y}, "gates": gates, "weight": np.full((4,), 0.25, dtype),
            "inputs": x, "targets": y}
