r"""XOR as a gated deep linear network: four paths, each switched on by one example.

Inputs :math:`x \in \{\pm1\}^2`, target :math:`y = -x_1 x_2` (+1 where the bits differ). The
GDLN (:func:`toyscope.nets.xor_path_net`) has one hidden node ``h{p}`` per example p, gated on
only for that example, so each path learns its example on its own (Fig. 3b); a ReLU network from
small weights finds the same four cell types, since a unit with input weights along
:math:`x_p` is active on example p alone. This module holds the data and the gates.

Reference: Saxe, Sodhani & Lewallen, *The Neural Race Reduction* (ICML 2022), Fig. 3.
"""

from __future__ import annotations

import warnings

import numpy as np

XOR_SIGNED_INPUTS = np.array([[1, 1], [1, -1], [-1, 1], [-1, -1]], np.float32)


def xor_path_net(n_hidden_per_path: int):
    """Deprecated: the network is :func:`toyscope.nets.xor_path_net` (tasks keeps the data)."""
    warnings.warn("tasks.xor_path_net is deprecated; use nets.xor_path_net", DeprecationWarning, stacklevel=2)
    from ..nets import xor_path_net as net  # lazy: tasks does not build networks

    return net(n_hidden_per_path)


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
