r"""The routing net with one shared pathway evaluated on compact, route-indexed examples.

For :func:`toyscope.nets.pathway_net` with one group (nodes ``in{i}``, ``h1_0_0``, ``h2_0_0``,
``out{o}``) an example of route (i, o) switches on exactly one path, so its output is

.. math:: \hat y_n = x_n\, W_{in_{i_n}}\, W_h\, W_{out_{o_n}},

and the loss of :func:`toyscope.nets.gated_linear_loss` on the dense layout (one input array per
domain, zero elsewhere) equals :math:`\tfrac12\sum_n w_n \lVert y_n - \hat y_n\rVert^2` on the compact
layout ``{"x": (N, d), "y": (N, C), "input_domain": (N,), "output_domain": (N,), "weight": (N,)}``
(:func:`toyscope.tasks.transformed_route_examples`). The compact layout grows with N instead of
N x M, which is what makes M = 100 domains (the paper's MNIST, Fig. 7c) fit in memory.

Reference: Saxe, Sodhani & Lewallen, *The Neural Race Reduction* (ICML 2022), Fig. 7.
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from ._gated_linear import GatedLinearNet

_HIDDEN = "h1_0_0->h2_0_0"


def _domains(spec: GatedLinearNet) -> int:
    """M, after checking that ``spec`` is a pathway net with one shared pathway."""
    names = set(spec.edge_names)
    m = sum(1 for n in spec.input_nodes if n.startswith("in"))
    expected = {f"in{i}->h1_0_0" for i in range(m)} | {_HIDDEN} | {f"h2_0_0->out{o}" for o in range(m)}
    if m < 1 or names != expected:
        raise ValueError("route-indexed evaluation needs nets.pathway_net(M, M, ...) with one shared pathway "
                         "(edges in{i}->h1_0_0, h1_0_0->h2_0_0, h2_0_0->out{o})")
    return m


def route_indexed_loss(spec: GatedLinearNet):
    r"""``(params, batch) -> L`` for ONE network on compact batches:
    :math:`L = \tfrac12 \sum_n w_n \lVert y_n - x_n W_{in_{i_n}} W_h W_{out_{o_n}}\rVert^2`.

    Equal to :func:`toyscope.nets.gated_linear_loss` on the dense layout of the same examples; the
    per-example input and output matrices are gathered, so a step costs N (d h + h^2 + h C), not N M.
    For :func:`toyscope.train.train` with any batching (the batch leaves all lead with N).

    Args:
        spec: ``nets.pathway_net(M, M, d, h, C)`` with one group.

    Raises:
        ValueError: another network.

    Example:
        >>> import numpy as np
        >>> from toyscope import nets
        >>> spec = nets.pathway_net(3, 3, 2, 4, 5)
        >>> params = {name: np.full(s.shape, 0.5, np.float32) for name, s in nets.param_shapes(spec).items()}
        >>> batch = {"x": np.ones((2, 2)), "y": np.zeros((2, 5)), "input_domain": np.array([0, 2]),
        ...          "output_domain": np.array([1, 1]), "weight": np.full(2, 0.5)}
        >>> float(nets.route_indexed_loss(spec)(params, batch)) > 0
        True
    """
    m = _domains(spec)

    def loss_fn(params, batch):
        w_in = jnp.stack([params[f"in{i}->h1_0_0"] for i in range(m)])  # (M, d, h)
        w_out = jnp.stack([params[f"h2_0_0->out{o}"] for o in range(m)])  # (M, h, C)
        hidden = jnp.einsum("nd,ndh->nh", batch["x"], w_in[batch["input_domain"]]) @ params[_HIDDEN]
        y_hat = jnp.einsum("nh,nhc->nc", hidden, w_out[batch["output_domain"]])
        return 0.5 * jnp.sum(batch["weight"] * jnp.sum((batch["y"] - y_hat) ** 2, axis=-1))

    return loss_fn


def route_indexed_apply(spec: GatedLinearNet, params, x, input_domain, output_domain) -> np.ndarray:
    r"""Outputs :math:`\hat y_n = x_n W_{in_{i_n}} W_h W_{out_{o_n}}` of compact examples (numpy,
    one block of matrix products per input and per output domain).

    Args:
        spec: ``nets.pathway_net(M, M, d, h, C)`` with one group.
        params: one network or an ensemble (leading E).
        x: ``(N, d)``. input_domain, output_domain: ``(N,)`` ints in ``0..M-1``.

    Returns:
        ``(N, C)``, or ``(E, N, C)`` for an ensemble.

    Raises:
        ValueError: another network, or domains outside ``0..M-1``.

    Example:
        >>> import numpy as np
        >>> from toyscope import nets
        >>> spec = nets.pathway_net(2, 2, 3, 4, 5)
        >>> params = {name: np.ones((2, *s.shape)) for name, s in nets.param_shapes(spec).items()}  # E = 2
        >>> nets.route_indexed_apply(spec, params, np.ones((6, 3)), np.arange(6) % 2, np.zeros(6, int)).shape
        (2, 6, 5)
    """
    m = _domains(spec)
    input_domain, output_domain = np.asarray(input_domain), np.asarray(output_domain)
    for name, dom in (("input_domain", input_domain), ("output_domain", output_domain)):
        if dom.size and (dom.min() < 0 or dom.max() >= m):
            raise ValueError(f"{name} must lie in 0..{m - 1}, got values {dom.min()}..{dom.max()}")
    p = {k: np.asarray(v, np.float32) for k, v in params.items()}
    ensemble = p[_HIDDEN].ndim == 3
    x = np.asarray(x, np.float32)
    n = len(x)
    lead = (p[_HIDDEN].shape[0],) if ensemble else ()
    hidden = np.zeros((*lead, n, p[_HIDDEN].shape[-1]), np.float32)
    for i in np.unique(input_domain):
        rows = input_domain == i
        hidden[..., rows, :] = x[rows] @ p[f"in{i}->h1_0_0"]
    hidden = hidden @ p[_HIDDEN]
    out = np.zeros((*lead, n, p["h2_0_0->out0"].shape[-1]), np.float32)
    for o in np.unique(output_domain):
        rows = output_domain == o
        out[..., rows, :] = hidden[..., rows, :] @ p[f"h2_0_0->out{o}"]
    return out
