r"""Gated deep linear networks of the Neural Race Reduction: the XOR path net (Fig. 3b) and the
routing net of shared pathways (Fig. 4a / 5a).

Reference: Saxe, Sodhani & Lewallen, *The Neural Race Reduction* (ICML 2022), Figs. 3-5.
"""

from __future__ import annotations

from ._gated_linear import GatedLinearNet


def xor_path_net(n_hidden_per_path: int) -> GatedLinearNet:
    """The GDLN of Fig. 3b: input ``x`` (2) -> ``h0..h3`` (``n_hidden_per_path`` each) -> ``y`` (1).

    One hidden node ``h{p}`` per XOR example p, gated on only for that example (the data and
    gates: :func:`toyscope.tasks.xor_path_task`), so each path learns its example on its own.

    Raises:
        ValueError: ``n_hidden_per_path < 1``.

    Example:
        >>> from toyscope import nets
        >>> nets.xor_path_net(3).edges[:2]
        (('x', 'h0'), ('x', 'h1'))
    """
    if int(n_hidden_per_path) < 1:
        raise ValueError(f"n_hidden_per_path must be >= 1, got {n_hidden_per_path}")
    nodes = [("x", 2)] + [(f"h{p}", int(n_hidden_per_path)) for p in range(4)] + [("y", 1)]
    edges = [("x", f"h{p}") for p in range(4)] + [(f"h{p}", "y") for p in range(4)]
    return GatedLinearNet(tuple(nodes), tuple(edges))


def pathway_net(n_inputs: int, n_outputs: int, d_in: int, d_hidden: int, d_out: int,
                group_size: int | None = None) -> GatedLinearNet:
    """The routing network of the paper's Fig. 4a/5a: input domains ``in{i}``, output domains
    ``out{o}``, two hidden layers per shared pathway.

    Input domains are split into groups of ``group_size`` (default: all in one group), output
    domains likewise; input group a and output group c share the hidden pathway
    ``h1_{a}_{c} -> h2_{a}_{c}``, so ``P = group_size**2`` input-output pairs flow through each
    (Fig. 5a: P = 1, 4, M^2). Gate a route (i, o) on with ``in{i}``, ``h1_{a}_{c}``,
    ``h2_{a}_{c}`` and ``out{o}`` (see :func:`toyscope.tasks.routing_task`).

    Raises:
        ValueError: a size < 1, or group_size not dividing both domain counts.
    """
    for name, value in (("n_inputs", n_inputs), ("n_outputs", n_outputs), ("d_in", d_in),
                        ("d_hidden", d_hidden), ("d_out", d_out)):
        if int(value) < 1:
            raise ValueError(f"{name} must be >= 1, got {value}")
    group = n_inputs if group_size is None else int(group_size)
    if group < 1 or n_inputs % group or n_outputs % group:
        raise ValueError(f"group_size must divide n_inputs={n_inputs} and n_outputs={n_outputs}, got {group_size}")
    n_in_groups, n_out_groups = n_inputs // group, n_outputs // group
    nodes = [(f"in{i}", d_in) for i in range(n_inputs)]
    hidden = [(a, c) for a in range(n_in_groups) for c in range(n_out_groups)]
    nodes += [(f"h1_{a}_{c}", d_hidden) for a, c in hidden] + [(f"h2_{a}_{c}", d_hidden) for a, c in hidden]
    nodes += [(f"out{o}", d_out) for o in range(n_outputs)]
    edges = [(f"in{i}", f"h1_{i // group}_{c}") for i in range(n_inputs) for c in range(n_out_groups)]
    edges += [(f"h1_{a}_{c}", f"h2_{a}_{c}") for a, c in hidden]
    edges += [(f"h2_{a}_{o // group}", f"out{o}") for o in range(n_outputs) for a in range(n_in_groups)]
    return GatedLinearNet(tuple(nodes), tuple(edges))
