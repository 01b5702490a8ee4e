r"""Gated deep linear networks (GDLNs): linear layers on a graph, switched per example by gates.

A network is a static :class:`GatedLinearNet`: named *nodes* (layers of linear units, with a
width) and directed *edges* (weight matrices) between them, listed in topological order. Nodes
without incoming edges are inputs, nodes without outgoing edges are outputs. Every node and
every edge may carry a per-example gate :math:`g \in \{0, 1\}` (or any real number); a missing
gate is always on. With row vectors (toyscope's ``y = x @ W`` convention, ``W_e: (d_s, d_t)``)::

    h_v = g_v x_v                                    (v an input node)
    h_v = g_v \sum_{e: s(e)->v} g_e h_{s(e)} W_e     (every other node)

so an output is the sum over the active *paths* p (chains of edges from an input to an output)
of :math:`g_p\, x_{s(p)} W_p`, with :math:`g_p` the product of the gates along p and
:math:`W_p` the product of its weight matrices. The loss on a batch, with example weights
:math:`w_n` (default :math:`1/N`), is

.. math:: L = \tfrac12 \sum_n w_n \sum_{t\ \mathrm{output}} g_{t,n}\, \lVert y_{t,n} - \hat y_{t,n}\rVert^2 .

Params are a dict ``{"s->t": (d_s, d_t)}``; an ensemble has a leading axis E on every leaf.
Batches are dicts ``{"x": {input: (N, d)}, "y": {output: (N, d)}, "gates": {node or edge
name: (N,)}, "weight": (N,)}`` (``gates`` and ``weight`` optional).

:func:`toyscope.nets.apply` / :func:`gated_linear_loss` evaluate every edge for every example
(dense). ``nets.apply(..., layout=active_paths(...))`` / :func:`active_path_loss` compute only
the (example, path) pairs whose path gate is non-zero: with M^2 routes through dedicated
pathways an example uses 1 of M^2 paths, so the cost falls from examples x edges to examples x
path length.

Reference: Saxe, Sodhani & Lewallen, *The Neural Race Reduction* (ICML 2022), Sec. 2 and Fig. 4b.
"""

from __future__ import annotations

import dataclasses
import functools
import warnings
from collections.abc import Sequence

import jax
import jax.numpy as jnp
import numpy as np

from . import _interface as interface

GATED_INIT_SCHEMES = ("normal", "orthogonal", "zeros")


def edge_name(source: str, target: str) -> str:
    """The params key of the edge ``source -> target``."""
    return f"{source}->{target}"


@dataclasses.dataclass(frozen=True)
class GatedLinearNet:
    """Static description of a gated deep linear network.

    Attributes:
        nodes: ``((name, width), ...)`` in topological order (every edge points forward).
        edges: ``((source, target), ...)``, each source listed before its target.
    """

    nodes: tuple[tuple[str, int], ...]
    edges: tuple[tuple[str, str], ...]

    def __post_init__(self):
        nodes = tuple((str(n), int(w)) for n, w in self.nodes)
        edges = tuple((str(s), str(t)) for s, t in self.edges)
        names = [n for n, _ in nodes]
        if len(set(names)) != len(names):
            raise ValueError(f"node names must be unique, got {names}")
        if any(w < 1 for _, w in nodes):
            raise ValueError(f"every node width must be >= 1, got {nodes}")
        if len(set(edges)) != len(edges):
            raise ValueError("edges must be unique")
        order = {n: i for i, n in enumerate(names)}
        for s, t in edges:
            if s not in order or t not in order:
                raise ValueError(f"edge {s}->{t} names an unknown node; nodes: {names}")
            if order[s] >= order[t]:
                raise ValueError(f"edge {s}->{t} points backwards: list nodes in topological order")
        if "->" in "".join(names):
            raise ValueError("node names may not contain '->'")
        object.__setattr__(self, "nodes", nodes)
        object.__setattr__(self, "edges", edges)

    @property
    def widths(self) -> dict[str, int]:
        return dict(self.nodes)

    @property
    def edge_names(self) -> tuple[str, ...]:
        return tuple(edge_name(s, t) for s, t in self.edges)

    @property
    def input_nodes(self) -> tuple[str, ...]:
        targets = {t for _, t in self.edges}
        return tuple(n for n, _ in self.nodes if n not in targets)

    @property
    def output_nodes(self) -> tuple[str, ...]:
        sources = {s for s, _ in self.edges}
        return tuple(n for n, _ in self.nodes if n not in sources)

    @property
    def n_params(self) -> int:
        w = self.widths
        return sum(w[s] * w[t] for s, t in self.edges)

    def paths(self) -> tuple[tuple[str, ...], ...]:
        """Every path from an input to an output node, as a tuple of edge names (inputs in
        node order, then depth first)."""
        outgoing: dict[str, list[tuple[str, str]]] = {n: [] for n, _ in self.nodes}
        for s, t in self.edges:
            outgoing[s].append((s, t))
        found: list[tuple[str, ...]] = []

        def walk(node, prefix):
            if not outgoing[node]:
                if prefix:
                    found.append(tuple(prefix))
                return
            for s, t in outgoing[node]:
                walk(t, prefix + [edge_name(s, t)])

        for node in self.input_nodes:
            walk(node, [])
        return tuple(found)

    def path_nodes(self, path: Sequence[str]) -> tuple[str, ...]:
        """The nodes a path visits, source first."""
        first = path[0].split("->")[0]
        return (first, *(e.split("->")[1] for e in path))


def gated_linear_net(nodes: Sequence[tuple[str, int]], edges: Sequence[tuple[str, str]]) -> GatedLinearNet:
    """Build a :class:`GatedLinearNet` (validates names, widths and topological order)."""
    return GatedLinearNet(tuple(nodes), tuple(edges))


@interface.param_shapes.register(GatedLinearNet)
def _param_shapes(spec: GatedLinearNet) -> dict:
    widths = spec.widths
    return {edge_name(s, t): jax.ShapeDtypeStruct((widths[s], widths[t]), jnp.float32) for s, t in spec.edges}


@interface.init.register(GatedLinearNet)
def _init(spec: GatedLinearNet, *, key, n_networks: int | None = None, scheme: str = "normal",
          scale: float = 1.0, dtype=jnp.float32) -> dict:
    r"""Random weights for every edge.

    ``normal``: :math:`W_{ij} \sim N(0, \mathrm{scale}^2)`; ``orthogonal``: ``scale`` times a
    (semi-)orthogonal matrix; ``zeros``.

    Args:
        spec: the network.
        key: PRNG key (keyword-only); edges and members draw from split keys.
        n_networks: ``None`` for one network, E for an ensemble (leading axis E).
        scheme: one of :data:`GATED_INIT_SCHEMES`.
        scale: standard deviation (normal) or gain (orthogonal); must be > 0 unless zeros.

    Returns:
        ``{"s->t": (d_s, d_t)}`` (or ``(E, d_s, d_t)``).

    Raises:
        ValueError: unknown scheme, scale <= 0, n_networks < 1.
    """
    if scheme not in GATED_INIT_SCHEMES:
        raise ValueError(f"unknown init scheme {scheme!r}; valid: {', '.join(GATED_INIT_SCHEMES)}")
    if scheme != "zeros" and not scale > 0:
        raise ValueError(f"scale (sigma0) must be > 0, got {scale!r}")
    if n_networks is not None:
        if int(n_networks) < 1:
            raise ValueError(f"n_networks must be >= 1, got {n_networks}")
        keys = jax.random.split(key, int(n_networks))
        return _init_draw(spec, keys, scheme, scale, dtype)
    return jax.tree_util.tree_map(lambda a: a[0], _init_draw(spec, key[None], scheme, scale, dtype))


def init_gated_linear(spec: GatedLinearNet, *, key, n_networks: int | None = None, scheme: str = "normal",
                      scale: float = 1.0, dtype=jnp.float32) -> dict:
    """Deprecated: use :func:`toyscope.nets.init` (same arguments, same params)."""
    warnings.warn("init_gated_linear is deprecated; use nets.init", DeprecationWarning, stacklevel=2)
    return _init(spec, key=key, n_networks=n_networks, scheme=scheme, scale=scale, dtype=dtype)


def _init_draw(spec, keys, scheme, scale, dtype):
    """One flat draw per member (one RNG call for every edge keeps compilation cheap)."""
    widths = spec.widths
    shapes = [(widths[s], widths[t]) for s, t in spec.edges]
    if scheme == "zeros":
        return {name: jnp.zeros((len(keys), *shape), dtype) for name, shape in zip(spec.edge_names, shapes)}
    if scheme == "orthogonal":
        draw = jax.nn.initializers.orthogonal(scale=scale)
        return {name: jax.vmap(lambda k, i=i, shape=shape: draw(jax.random.fold_in(k, i), shape, dtype))(keys)
                for i, (name, shape) in enumerate(zip(spec.edge_names, shapes))}
    sizes = [a * b for a, b in shapes]
    flat = scale * jax.vmap(lambda k: jax.random.normal(k, (sum(sizes),), dtype))(keys)
    offsets = np.cumsum([0, *sizes])
    return {name: flat[:, lo:hi].reshape(len(keys), *shape)
            for name, shape, lo, hi in zip(spec.edge_names, shapes, offsets[:-1], offsets[1:])}


def _check_params(spec: GatedLinearNet, params) -> bool:
    """Validate keys and shapes; returns whether params carry an ensemble axis."""
    if set(params) != set(spec.edge_names):
        raise ValueError(f"params keys {sorted(params)} do not match the edges {sorted(spec.edge_names)}")
    widths = spec.widths
    ranks = set()
    for (s, t), name in zip(spec.edges, spec.edge_names):
        shape = params[name].shape
        if shape[-2:] != (widths[s], widths[t]) or params[name].ndim not in (2, 3):
            raise ValueError(f"params[{name!r}] has shape {shape}, expected (E?, {widths[s]}, {widths[t]})")
        ranks.add(params[name].ndim)
    if len(ranks) != 1:
        raise ValueError("either every params leaf has an ensemble axis or none does")
    return ranks.pop() == 3


def _check_inputs(spec: GatedLinearNet, x, gates) -> None:
    missing = set(spec.input_nodes) - set(x)
    if missing:
        raise ValueError(f"x lacks input nodes {sorted(missing)}; inputs: {list(spec.input_nodes)}")
    widths = spec.widths
    for name in spec.input_nodes:
        if x[name].shape[-1] != widths[name]:
            raise ValueError(f"x[{name!r}] has last dimension {x[name].shape[-1]}, node width is {widths[name]}")
    known = set(spec.widths) | set(spec.edge_names)
    unknown = set(gates or {}) - known
    if unknown:
        raise ValueError(f"gates name unknown nodes or edges {sorted(unknown)}")


def _node_activities(spec: GatedLinearNet, params, x, gates) -> dict:
    """Every node's activity for one network: ``{node: (..., d)}``."""
    gates = gates or {}

    def gate(name, h):
        return h * gates[name][..., None] if name in gates else h

    incoming: dict[str, list[tuple[str, str]]] = {n: [] for n, _ in spec.nodes}
    for s, t in spec.edges:
        incoming[t].append((s, edge_name(s, t)))
    h = {}
    for node, _ in spec.nodes:
        if not incoming[node]:
            h[node] = gate(node, x[node])
            continue
        total = sum(gate(name, h[s] @ params[name]) for s, name in incoming[node])
        h[node] = gate(node, total)
    return h


@interface.activations.register(GatedLinearNet)
def _activations(spec: GatedLinearNet, params, x: dict, gates: dict | None = None) -> dict:
    """Every node's activity :math:`h_v` (see the module docstring).

    Args:
        spec: the network.
        params: one network or an ensemble (leading E).
        x: ``{input node: (..., d)}``, shared by all members.
        gates: ``{node or edge name: (...)}`` per-example gates; missing names are always on.

    Returns:
        ``{node: (..., d)}`` or ``(E, ..., d)``.
    """
    ensemble = _check_params(spec, params)
    _check_inputs(spec, x, gates)
    return _activities_jit(spec, ensemble, params, x, gates or {})


@functools.partial(jax.jit, static_argnums=(0, 1))
def _activities_jit(spec, ensemble, params, x, gates):
    if ensemble:
        return jax.vmap(lambda p: _node_activities(spec, p, x, gates))(params)
    return _node_activities(spec, params, x, gates)


def gated_linear_activations(spec: GatedLinearNet, params, x: dict, gates: dict | None = None) -> dict:
    """Deprecated: use :func:`toyscope.nets.activations` (same arguments, same activities)."""
    warnings.warn("gated_linear_activations is deprecated; use nets.activations", DeprecationWarning, stacklevel=2)
    return _activations(spec, params, x, gates)


@interface.apply.register(GatedLinearNet)
def _apply(spec: GatedLinearNet, params, x: dict, gates: dict | None = None, *,
           layout: ActivePaths | None = None) -> dict:
    """The outputs :math:`\\hat y_t = \\sum_{p \\to t} g_p x_{s(p)} W_p`.

    Args:
        spec: the network.
        params: one network or an ensemble (leading E).
        x: ``{input node: (..., d)}``, shared by all members.
        gates: ``{node or edge name: (...)}`` per-example gates; missing names are always on.
        layout: ``None`` evaluates every edge for every example (dense); an :class:`ActivePaths`
            from :func:`active_paths` for these (concrete) gates computes only the active
            (example, path) pairs, with ``x`` of shape ``(N, d)`` (same outputs, see
            :func:`active_paths`).

    Returns:
        ``{output node: (..., d)}`` (leading E for an ensemble).

    Raises:
        ValueError: params or inputs that do not fit the spec; a layout built for another N.
    """
    if layout is not None:
        return _apply_active(spec, params, x, gates, layout)
    h = _activations(spec, params, x, gates)
    return {node: h[node] for node in spec.output_nodes}


def apply_gated_linear(spec: GatedLinearNet, params, x: dict, gates: dict | None = None) -> dict:
    """Deprecated: use :func:`toyscope.nets.apply` (same arguments, same outputs)."""
    warnings.warn("apply_gated_linear is deprecated; use nets.apply", DeprecationWarning, stacklevel=2)
    return _apply(spec, params, x, gates)


def _loss_single(spec: GatedLinearNet, params, batch) -> jax.Array:
    h = _node_activities(spec, params, batch["x"], batch.get("gates", {}))
    return _weighted_error(spec, h, batch)


def gated_linear_loss(spec: GatedLinearNet):
    r"""``(params, batch) -> L`` for ONE network:
    :math:`L = \frac12\sum_n w_n \sum_t g_{t,n}\lVert y_{t,n} - \hat y_{t,n}\rVert^2`.

    For :func:`toyscope.train.train`. ``batch["weight"]`` (N,) defaults to :math:`1/N`; an
    output node's gate masks its error (its target is ignored where the node is off).
    """
    def loss_fn(params, batch):
        return _loss_single(spec, params, batch)

    return loss_fn


def path_gates(spec: GatedLinearNet, gates: dict, n_examples: int):
    """Per-example path gates :math:`g_p = \\prod_{v \\in p} g_v \\prod_{e \\in p} g_e`:
    ``(N, P)`` in the order of :meth:`GatedLinearNet.paths`."""
    return jnp.stack([_path_gate(spec, path, gates, n_examples) for path in spec.paths()], axis=1)


# ----------------------------------------------------------------------------------------------
# sparse evaluation: only the paths an example switches on


@dataclasses.dataclass(frozen=True, eq=False)
class _PathGroup:
    """Active (example, path) pairs whose paths have the same edge shapes.

    The Q pairs are evaluated position by position along the path: at position j the pairs are
    sorted into blocks, one per distinct edge, so a matrix shared by many paths is used once
    (one matmul over all its pairs) and never copied per path.
    """

    paths: tuple[tuple[str, ...], ...]  # the group's active paths
    sources: tuple[str, ...]  # distinct input nodes of the group
    pair_source: np.ndarray  # (Q,) position of each pair's input node in ``sources``
    pair_example: np.ndarray  # (Q,) example index
    pair_path: np.ndarray  # (Q,) position of each pair's path in ``paths``
    edges: tuple[tuple[str, ...], ...]  # per position: its distinct edges (U_j)
    blocks: tuple[np.ndarray, ...]  # per position: (U_j, B_j) pair ids per edge, padded with Q
    unblock: tuple[np.ndarray, ...]  # per position: (Q,) row of each pair in the flattened blocks
    width: int  # output width
    scatter: np.ndarray  # (Q,) row in the output slab of this width


@dataclasses.dataclass(frozen=True, eq=False)
class ActivePaths:
    """Which paths the examples of one batch switch on, grouped for batched evaluation.

    Built on the host from concrete gates by :func:`active_paths`; every other path is skipped.

    Attributes:
        n_examples: N, the batch size it was built for.
        groups: active (example, path) pairs grouped by the edge shapes of their paths.
        slabs: output width -> output nodes of that width (their predictions are stacked).
        n_active: number of (example, path) pairs with a non-zero path gate.
    """

    n_examples: int
    groups: tuple[_PathGroup, ...]
    slabs: dict
    n_active: int

    @property
    def active_edges(self) -> tuple[str, ...]:
        """Edges on at least one active path (the others get no gradient)."""
        return tuple(dict.fromkeys(e for group in self.groups for edges in group.edges for e in edges))


def active_paths(spec: GatedLinearNet, gates: dict | None, n_examples: int) -> ActivePaths:
    """The (example, path) pairs with a non-zero path gate :math:`g_p`, grouped for evaluation.

    Paths of equal edge shapes form one group. Along a group's paths, position j sorts the
    group's pairs by the edge they cross there into a ``(U_j, B_j)`` block table (padded), so
    ``nets.apply(..., layout=...)`` does one batched matmul per position over the distinct edges.

    Args:
        spec: the network.
        gates: ``{node or edge name: (N,)}`` concrete per-example gates (missing: always on).
        n_examples: N.

    Returns:
        An :class:`ActivePaths` for ``nets.apply(..., layout=...)`` and :func:`active_path_loss`.

    Raises:
        ValueError: n_examples < 1, gates of the wrong length or naming unknown nodes/edges.
    """
    if int(n_examples) < 1:
        raise ValueError(f"n_examples must be >= 1, got {n_examples}")
    gates = {k: np.asarray(v) for k, v in (gates or {}).items()}
    unknown = set(gates) - set(spec.widths) - set(spec.edge_names)
    if unknown:
        raise ValueError(f"gates name unknown nodes or edges {sorted(unknown)}")
    for name, g in gates.items():
        if g.shape != (n_examples,):
            raise ValueError(f"gates[{name!r}] has shape {g.shape}, expected ({n_examples},)")
    n = int(n_examples)
    paths = spec.paths()
    on = np.asarray(path_gates(spec, gates, n)) != 0  # (N, P)
    widths = spec.widths
    slabs: dict[int, list[str]] = {}
    for node in spec.output_nodes:
        slabs.setdefault(widths[node], []).append(node)
    by_shape: dict[tuple, list[int]] = {}
    for p, path in enumerate(paths):
        if on[:, p].any():
            by_shape.setdefault(tuple(widths[v] for v in spec.path_nodes(path)), []).append(p)
    groups = []
    for shape, members in by_shape.items():
        group_paths = tuple(paths[p] for p in members)
        pair_path = np.concatenate([np.full(on[:, p].sum(), j) for j, p in enumerate(members)]).astype(np.int32)
        pair_example = np.concatenate([np.flatnonzero(on[:, p]) for p in members]).astype(np.int32)
        sources = tuple(dict.fromkeys(spec.path_nodes(path)[0] for path in group_paths))
        pair_source = np.array([sources.index(spec.path_nodes(path)[0]) for path in group_paths], np.int32)[pair_path]
        n_pairs = len(pair_path)
        edges, blocks, unblock = [], [], []
        for position in range(len(shape) - 1):
            distinct = tuple(dict.fromkeys(path[position] for path in group_paths))  # every path has pairs
            code = np.array([distinct.index(path[position]) for path in group_paths])[pair_path]
            rows = [np.flatnonzero(code == u) for u in range(len(distinct))]
            size = max(len(r) for r in rows)
            table = np.full((len(distinct), size), n_pairs, np.int32)
            back = np.zeros(n_pairs, np.int32)
            for u, r in enumerate(rows):
                table[u, :len(r)] = r
                back[r] = u * size + np.arange(len(r))
            edges.append(distinct)
            blocks.append(table)
            unblock.append(back)
        slots = [slabs[shape[-1]].index(spec.path_nodes(path)[-1]) for path in group_paths]
        slot = np.array(slots, np.int32)[pair_path]
        groups.append(_PathGroup(group_paths, sources, pair_source, pair_example, pair_path, tuple(edges),
                                 tuple(blocks), tuple(unblock), shape[-1], (slot * n + pair_example).astype(np.int32)))
    return ActivePaths(n, tuple(groups), {w: tuple(nodes) for w, nodes in slabs.items()}, int(on.sum()))


def _active_outputs(spec: GatedLinearNet, layout: ActivePaths, params, x, gates) -> dict:
    """Outputs of ONE network from its active paths only: ``{output node: (N, d)}``.

    Per group: gather each pair's input row; per position, sort the pair states into the
    per-edge blocks, multiply by the stacked distinct edges (``einsum`` over the edge axis) and
    unsort; finally scale by the path gate and scatter-add into the output slab of that width.
    """
    n = layout.n_examples
    dtype = next(iter(params.values())).dtype
    slabs = {w: jnp.zeros((len(nodes) * n, w), dtype) for w, nodes in layout.slabs.items()}
    for group in layout.groups:
        xs = jnp.stack([x[s] for s in group.sources])  # (S, N, d)
        h = xs[group.pair_source, group.pair_example]  # (Q, d)
        for edges, table, back in zip(group.edges, group.blocks, group.unblock):
            padded = jnp.concatenate([h, jnp.zeros((1, h.shape[1]), h.dtype)])  # row Q = padding
            w = params[edges[0]][None] if len(edges) == 1 else jnp.stack([params[e] for e in edges])
            out = jnp.einsum("uba,uac->ubc", padded[table], w)  # (U, B, d_next)
            h = out.reshape(-1, out.shape[-1])[back]
        g = jnp.stack([_path_gate(spec, path, gates, n) for path in group.paths])  # (G, N)
        h = h * g[group.pair_path, group.pair_example][:, None]
        slabs[group.width] = slabs[group.width].at[group.scatter].add(h)
    out = {}
    for w, nodes in layout.slabs.items():
        stacked = slabs[w].reshape(len(nodes), n, w)
        for i, node in enumerate(nodes):
            out[node] = stacked[i]
    return out


def _path_gate(spec: GatedLinearNet, path, gates, n):
    """:math:`g_p` ``(n,)`` of one path: the product of its node and edge gates (missing: 1)."""
    g = jnp.ones((n,))
    for name in (*spec.path_nodes(path), *path):
        if name in gates:
            g = g * gates[name]
    return g


def apply_active_paths(spec: GatedLinearNet, params, x: dict, gates: dict | None = None,
                       layout: ActivePaths | None = None) -> dict:
    """Deprecated: use ``nets.apply(spec, params, x, gates, layout=nets.active_paths(spec, gates, N))``
    (the same outputs; here ``layout`` is built when omitted)."""
    warnings.warn("apply_active_paths is deprecated; use nets.apply(..., layout=nets.active_paths(...))",
                  DeprecationWarning, stacklevel=2)
    if layout is None:
        _check_params(spec, params)
        _check_inputs(spec, x, gates)
        layout = active_paths(spec, gates, next(iter(x.values())).shape[0])
    return _apply_active(spec, params, x, gates, layout)


def _apply_active(spec: GatedLinearNet, params, x: dict, gates: dict | None, layout: ActivePaths) -> dict:
    """The outputs from the active paths of ``layout`` only (see :func:`active_paths`)."""
    ensemble = _check_params(spec, params)
    _check_inputs(spec, x, gates)
    n = next(iter(x.values())).shape[0]
    if layout.n_examples != n:
        raise ValueError(f"layout was built for {layout.n_examples} examples, x has {n}")
    return _active_jit(spec, layout, ensemble, params, x, gates or {})


@functools.partial(jax.jit, static_argnums=(0, 1, 2))  # a layout is hashed by identity: reuse it to reuse the compile
def _active_jit(spec, layout, ensemble, params, x, gates):
    if ensemble:
        return jax.vmap(lambda p: _active_outputs(spec, layout, p, x, gates))(params)
    return _active_outputs(spec, layout, params, x, gates)


def _weighted_error(spec: GatedLinearNet, outputs: dict, batch) -> jax.Array:
    """:math:`\\tfrac12\\sum_n w_n \\sum_t g_{t,n}\\lVert y_{t,n} - \\hat y_{t,n}\\rVert^2`."""
    gates = batch.get("gates", {})
    n = next(iter(batch["x"].values())).shape[0]
    weight = batch["weight"] if "weight" in batch else jnp.full((n,), 1.0 / n)
    total = 0.0
    for node in spec.output_nodes:
        sq = jnp.sum((batch["y"][node] - outputs[node]) ** 2, axis=-1)
        if node in gates:
            sq = sq * gates[node]
        total = total + sq
    return 0.5 * jnp.sum(weight * total)


def active_path_loss(spec: GatedLinearNet, batch: dict):
    r"""``(params, batch) -> L`` for ONE network, like :func:`gated_linear_loss` but computing
    only the paths that ``batch``'s gates switch on (see :func:`active_paths`).

    The sparsity pattern is fixed from this ``batch``: call the loss with the same examples in
    the same order (full-batch training); gate *values* are read from the batch at call time.
    The loss reads only the edges in ``active_paths(spec, gates, N).active_edges``, so ``params``
    may leave out the others (they would get zero gradient): train just the used sub-network.

    Raises:
        ValueError: bad gates (see :func:`active_paths`); at trace time, a batch of another size.
    """
    n = next(iter(batch["x"].values())).shape[0]
    _check_inputs(spec, batch["x"], batch.get("gates"))
    layout = active_paths(spec, batch.get("gates"), n)

    def loss_fn(params, batch):
        size = next(iter(batch["x"].values())).shape[0]
        if size != layout.n_examples:
            raise ValueError(f"active_path_loss was built for {layout.n_examples} examples, batch has {size}")
        outputs = _active_outputs(spec, layout, params, batch["x"], batch.get("gates", {}))
        return _weighted_error(spec, outputs, batch)

    return loss_fn
