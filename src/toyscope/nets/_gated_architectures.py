r"""Gated deep linear networks of the Neural Race Reduction: the XOR path net (Fig. 3b), the
routing net of shared pathways (Fig. 4a / 5a) and several groupings of pathways in one net (Fig. 5b).

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
    first, second, edges = _grouped_pathways(n_inputs, n_outputs, group, "")
    nodes = [(f"in{i}", d_in) for i in range(n_inputs)]
    nodes += [(name, d_hidden) for name in first + second]
    nodes += [(f"out{o}", d_out) for o in range(n_outputs)]
    return GatedLinearNet(tuple(nodes), tuple(edges[0] + edges[1] + edges[2]))


def _grouped_pathways(n_inputs: int, n_outputs: int, group: int, prefix: str):
    """The hidden nodes and edges of one pathway grouping: ``(h1 names, h2 names, (input edges,
    hidden edges, output edges))``, hidden nodes named ``h1_{prefix}{a}_{c}``."""
    n_in_groups, n_out_groups = n_inputs // group, n_outputs // group
    hidden = [(a, c) for a in range(n_in_groups) for c in range(n_out_groups)]
    first = [f"h1_{prefix}{a}_{c}" for a, c in hidden]
    second = [f"h2_{prefix}{a}_{c}" for a, c in hidden]
    into = [(f"in{i}", f"h1_{prefix}{i // group}_{c}") for i in range(n_inputs) for c in range(n_out_groups)]
    across = [(f"h1_{prefix}{a}_{c}", f"h2_{prefix}{a}_{c}") for a, c in hidden]
    out = [(f"h2_{prefix}{a}_{o // group}", f"out{o}") for o in range(n_outputs) for a in range(n_in_groups)]
    return first, second, (into, across, out)


def parallel_pathway_net(n_domains: int, d_in: int, d_hidden: int, d_out: int,
                         group_sizes) -> GatedLinearNet:
    r"""One routing network holding several pathway groupings side by side (the race inside one
    network, Fig. 5b): for each group size g in ``group_sizes`` the hidden pathways of
    :func:`pathway_net` with that grouping, named ``h1_g{g}_{a}_{c} -> h2_g{g}_{a}_{c}``.

    A route (i, o) then has one path through each grouping, all feeding ``out{o}``: its output is
    the sum :math:`\hat y = \sum_g x_i W^{(g)}_{in} W^{(g)}_h W^{(g)}_{out}` over pathways shared by
    :math:`P = g^2` routes. Gate a route on with ``in{i}``, ``out{o}`` and the hidden nodes
    ``h1_g{g}_{i // g}_{o // g}``, ``h2_g...`` of every grouping
    (``tasks.routing_task(..., group_size=tuple(group_sizes))``).

    Args:
        n_domains: M input and M output domains. d_in, d_hidden, d_out: node widths.
        group_sizes: distinct group sizes, each dividing M (e.g. ``(1, 2, M)``: P = 1, 4, M^2).

    Raises:
        ValueError: a size < 1, an empty, repeated or non-dividing group size.

    Example:
        >>> from toyscope import nets
        >>> spec = nets.parallel_pathway_net(4, 4, 8, 7, (1, 4))
        >>> [spec.path_nodes(p)[1] for p in spec.paths() if p[0].startswith("in1->") and p[-1].endswith("out2")]
        ['h1_g1_1_2', 'h1_g4_0_0']
    """
    for name, value in (("n_domains", n_domains), ("d_in", d_in), ("d_hidden", d_hidden), ("d_out", d_out)):
        if int(value) < 1:
            raise ValueError(f"{name} must be >= 1, got {value}")
    sizes = [int(g) for g in group_sizes]
    if not sizes or len(set(sizes)) != len(sizes) or any(g < 1 or n_domains % g for g in sizes):
        raise ValueError(f"group_sizes must be distinct divisors of n_domains={n_domains}, got {list(group_sizes)}")
    firsts, seconds, into, across, out = [], [], [], [], []
    for g in sizes:
        first, second, (a, b, c) = _grouped_pathways(n_domains, n_domains, g, f"g{g}_")
        firsts, seconds, into, across, out = firsts + first, seconds + second, into + a, across + b, out + c
    nodes = [(f"in{i}", d_in) for i in range(n_domains)]
    nodes += [(name, d_hidden) for name in firsts + seconds]
    nodes += [(f"out{o}", d_out) for o in range(n_domains)]
    return GatedLinearNet(tuple(nodes), tuple(into + across + out))
