r"""BIMT for the tiny transformer: neuron lines, connection cost, swaps, the neuron graph.

**Geometry** (Appendix F.1; the authors' ``incontext_3.4.ipynb`` and Figure 7). The neurons lie
on consecutive lines ``y*`` apart, each line :math:`x_j = A (j + 1/2)/n`:

``input, res0, attn1, res1, mlp1, res2, attn2, res3, mlp2, res4, output`` (for 2 layers).

``res*`` are the residual stream (``d_model`` neurons; one permutation for all of them),
``attn*`` holds a block's query, key and value neurons at the same positions (query ``j``,
key ``j`` and value ``j`` share :math:`x_j`), ``mlp*`` the MLP hidden neurons. Every linear
layer joins one line to the next: embed (input -> res0), query/key/value (res -> attn), the
output projection (attn -> res), MLP in (res -> mlp), MLP out (mlp -> res) and unembed
(res -> output), so every connection has length :math:`A|x_j - x_k|/\ldots + y^*` as in an MLP.

**Cost** (Section 2, Step 2): :math:`\sum d_{jk}|w_{jk}|` over every weight matrix plus
:math:`y^*|b|` for biases; ``normalization="mean"`` (the authors' code) divides each linear
layer's term by its number of weights (query, key and value together are ONE linear layer,
:math:`[W_Q, W_K, W_V]`, as in the paper) and its bias term by its number of biases.

**Swaps** (Appendix F.1). A :class:`NeuronGroup` is a set of neurons sharing one permutation:

* ``input``: embed rows and ``input_order``; ``output``: unembed columns, bias, ``output_order``;
* ``residual``: ONE permutation of the stream for every layer (embed, attention-output and
  MLP-out columns and biases; query, key, value, MLP-in and unembed rows);
* ``block{l}.qk``: the query-key dimension, jointly in :math:`W_Q` and :math:`W_K` (and their
  biases), within a head (:math:`q\cdot k` is invariant);
* ``block{l}.vo``: the value dimension, jointly in :math:`W_V` (columns, bias) and
  :math:`W_O` (rows), within a head;
* ``block{l}.mlp``: MLP hidden neurons.

Heads (with ``n_heads > 1``) are swapped as blocks first, moving a head's ``qk`` and ``vo``
slots together. Within a group no weight joins two of its neurons, so the cost change of
exchanging neurons :math:`a, b` is :math:`\Delta_{ab} = M_{ab}+M_{ba}-M_{aa}-M_{bb}` with
:math:`M_{as}` the cost of neuron :math:`a`'s weights if it sat at slot :math:`s`
(:math:`M = \sum |W_\text{in}|^\top D + \sum |W_\text{out}| D^\top`), as in
:mod:`toyscope.analysis._bimt_swaps`, whose greedy top-k loop is reused (with a same-head mask).
Adam's moments are permuted with the weights (``toyscope.train.map_param_shaped``).

**Neuron graph** (for modularity, fixed before the measured runs; :func:`transformer_neuron_graph`):
one node per neuron: inputs, outputs, the ``d_model`` residual neurons ONCE (the stream is one
set of neurons that every layer reads and writes; the residual connections are identities),
and per block its query, key, value and MLP neurons. Edges are the weights of every linear
layer, with weight :math:`|w|` summed over the weights joining the same two neurons (a residual
neuron and an MLP neuron are joined by an MLP-in and an MLP-out weight; a residual and a value
neuron by :math:`W_V` and :math:`W_O`). Biases, softmax and the :math:`q\cdot k` product are not
edges, so query and key neurons hang off the residual neurons. :func:`transformer_weight_chain`
gives the drawn chain of lines instead (each residual line separate, no skip edges), whose
modularity is reported beside it: a long chain of dense layers already has a high Q.

Reference: Liu, Gan & Tegmark, Entropy 26 (2024) 41, Section 3.4, Appendix F.1, Figure 7.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import jax
import jax.numpy as jnp
import networkx as nx
import numpy as np

from .. import train
from ..nets import TinyTransformer
from ._bimt_geometry import connection_distances, neuron_coordinates
from ._bimt_swaps import _layer_swaps
from ._connection_cost import NORMALIZATIONS

Path = tuple


@dataclasses.dataclass(frozen=True)
class LinearLayer:
    """One BIMT "linear layer": weight matrices (by params path, without ``"weight"``) joining
    neuron line ``line`` to line ``line + 1``."""

    name: str
    paths: tuple[Path, ...]
    line: int


@dataclasses.dataclass(frozen=True)
class NeuronGroup:
    """Neurons sharing one permutation; see the module docstring.

    Attributes:
        name: e.g. ``"residual"``, ``"block0.qk"``.
        size: number of neurons.
        head_size: swaps stay within consecutive blocks of this many slots (``size``: free).
        columns: weight paths whose columns are these neurons (incoming weights).
        rows: weight paths whose rows are these neurons (outgoing weights).
        vectors: paths of 1-D leaves indexed by these neurons (biases, orders).
    """

    name: str
    size: int
    head_size: int
    columns: tuple[Path, ...] = ()
    rows: tuple[Path, ...] = ()
    vectors: tuple[Path, ...] = ()


def transformer_lines(spec: TinyTransformer) -> list[tuple[str, int]]:
    """The neuron lines ``(name, width)`` bottom to top (see the module docstring)."""
    lines = [("input", spec.d_in), ("res0", spec.d_model)]
    for layer in range(spec.n_layers):
        lines += [(f"attn{layer + 1}", spec.d_model), (f"res{2 * layer + 1}", spec.d_model),
                  (f"mlp{layer + 1}", spec.d_mlp), (f"res{2 * layer + 2}", spec.d_model)]
    return [*lines, ("output", spec.d_out)]


def transformer_linear_layers(spec: TinyTransformer) -> list[LinearLayer]:
    """The linear layers in forward order; layer ``i`` joins line ``i`` to line ``i + 1``."""
    out = [LinearLayer("embed", (("embed",),), 0)]
    for layer in range(spec.n_layers):
        block = ("blocks", layer)
        base = 1 + 4 * layer
        out += [LinearLayer(f"block{layer}.qkv", tuple((*block, n) for n in ("query", "key", "value")), base),
                LinearLayer(f"block{layer}.attn_out", ((*block, "attn_out"),), base + 1),
                LinearLayer(f"block{layer}.mlp_in", ((*block, "mlp_in"),), base + 2),
                LinearLayer(f"block{layer}.mlp_out", ((*block, "mlp_out"),), base + 3)]
    return [*out, LinearLayer("unembed", (("unembed",),), 1 + 4 * spec.n_layers)]


def transformer_coordinates(spec: TinyTransformer, *, extent: float = 2.0, layer_gap: float = 0.5) -> list[np.ndarray]:
    """``(n, 2)`` coordinates ``(x, depth)`` of every line (:func:`neuron_coordinates`)."""
    return neuron_coordinates([width for _, width in transformer_lines(spec)], extent=extent, layer_gap=layer_gap)


def transformer_distances(spec: TinyTransformer, *, extent: float = 2.0, layer_gap: float = 0.5,
                          norm: str = "l1") -> dict[Path, np.ndarray]:
    r"""Connection lengths :math:`d_{jk}` for every weight matrix: ``path -> (rows, cols)``.

    ``extent = 0`` gives every connection length :math:`y^*` (plain L1).

    Raises:
        ValueError: negative ``extent``, non-positive ``layer_gap`` or unknown ``norm``.
    """
    between = connection_distances(transformer_coordinates(spec, extent=extent, layer_gap=layer_gap), norm=norm)
    return {path: between[linear.line] for linear in transformer_linear_layers(spec) for path in linear.paths}


def _get(tree, path: Path):
    for key in path:
        tree = tree[key]
    return tree


def _set(tree, path: Path, value):
    if not path:
        return value
    head, rest = path[0], path[1:]
    new = list(tree) if isinstance(tree, (list, tuple)) else dict(tree)
    new[head] = _set(tree[head], rest, value)
    return new


def _check_normalization(normalization: str) -> None:
    if normalization not in NORMALIZATIONS:
        raise ValueError(f"unknown normalization {normalization!r}; valid: {', '.join(NORMALIZATIONS)}")


def _weight_scales(spec: TinyTransformer, params, normalization: str) -> dict[Path, float]:
    """Factor of each weight matrix's term in the cost (1, or 1 / weights of its linear layer)."""
    scales = {}
    for linear in transformer_linear_layers(spec):
        count = sum(int(np.prod(_get(params, (*p, "weight")).shape[-2:])) for p in linear.paths)
        for path in linear.paths:
            scales[path] = 1.0 / count if normalization == "mean" else 1.0
    return scales


def transformer_connection_cost(spec: TinyTransformer, params, distances: Mapping[Path, np.ndarray], *,
                                layer_gap: float, penalize_bias: bool = True, normalization: str = "mean"):
    r"""The connection cost of ONE tiny transformer (see the module docstring).

    Args:
        spec: the network; params: one network's params.
        distances: from :func:`transformer_distances` (local, or ``extent=0`` for plain L1).
        layer_gap: :math:`y^*`, the length charged for a bias.
        penalize_bias: include the bias term.
        normalization: ``"mean"`` (per linear layer, the authors' code) or ``"sum"``.

    Returns:
        A scalar.

    Raises:
        ValueError: unknown ``normalization`` or a distance matrix of the wrong shape.
    """
    _check_normalization(normalization)
    scales = _weight_scales(spec, params, normalization)
    total = jnp.zeros(())
    for linear in transformer_linear_layers(spec):
        weights = [_get(params, (*p, "weight")) for p in linear.paths]
        for path, weight in zip(linear.paths, weights):
            if tuple(np.shape(distances[path])) != tuple(weight.shape):
                raise ValueError(f"distances[{path}] has shape {np.shape(distances[path])}, weight is {weight.shape}")
        total = total + sum(scales[p] * jnp.sum(jnp.abs(w) * jnp.asarray(distances[p]))
                            for p, w in zip(linear.paths, weights))
        if penalize_bias:
            biases = [_get(params, (*p, "bias")) for p in linear.paths]
            term = sum(jnp.sum(jnp.abs(b)) for b in biases)
            total = total + layer_gap * term / (sum(b.size for b in biases) if normalization == "mean" else 1)
    return total


def transformer_neuron_groups(spec: TinyTransformer, *, swap_inputs: bool = True,
                              swap_outputs: bool = True) -> list[NeuronGroup]:
    """The permutation groups in swap order (see the module docstring)."""
    groups = []
    if swap_inputs:
        groups.append(NeuronGroup("input", spec.d_in, spec.d_in, rows=(("embed", "weight"),), vectors=(("input_order",),)))
    blocks = [("blocks", layer) for layer in range(spec.n_layers)]
    groups.append(NeuronGroup(
        "residual", spec.d_model, spec.d_model,
        columns=(("embed", "weight"), *((*b, n, "weight") for b in blocks for n in ("attn_out", "mlp_out"))),
        rows=(*((*b, n, "weight") for b in blocks for n in ("query", "key", "value", "mlp_in")), ("unembed", "weight")),
        vectors=(("embed", "bias"), *((*b, n, "bias") for b in blocks for n in ("attn_out", "mlp_out")))))
    for layer, b in enumerate(blocks):
        groups += [
            NeuronGroup(f"block{layer}.qk", spec.d_model, spec.d_head,
                        columns=((*b, "query", "weight"), (*b, "key", "weight")),
                        vectors=((*b, "query", "bias"), (*b, "key", "bias"))),
            NeuronGroup(f"block{layer}.vo", spec.d_model, spec.d_head, columns=((*b, "value", "weight"),),
                        rows=((*b, "attn_out", "weight"),), vectors=((*b, "value", "bias"),)),
            NeuronGroup(f"block{layer}.mlp", spec.d_mlp, spec.d_mlp, columns=((*b, "mlp_in", "weight"),),
                        rows=((*b, "mlp_out", "weight"),), vectors=((*b, "mlp_in", "bias"),)),
        ]
    if swap_outputs:
        groups.append(NeuronGroup("output", spec.d_out, spec.d_out, columns=(("unembed", "weight"),),
                                  vectors=(("unembed", "bias"), ("output_order",))))
    return groups


def transformer_group(spec: TinyTransformer, name: str) -> NeuronGroup:
    """The :class:`NeuronGroup` called ``name``.

    Raises:
        ValueError: unknown name.
    """
    groups = {g.name: g for g in transformer_neuron_groups(spec)}
    if name not in groups:
        raise ValueError(f"unknown neuron group {name!r}; valid: {', '.join(groups)}")
    return groups[name]


def _strip(path: Path) -> Path:
    return path[:-1]


def _placement_costs(spec, params, distances, group: NeuronGroup, normalization: str):
    """:math:`M_{as}` ``(n, n)``: cost of neuron a's weights if it sat at slot s."""
    scales = _weight_scales(spec, params, normalization)
    placement = jnp.zeros((group.size, group.size))
    for path in group.columns:
        weight, dist = jnp.abs(_get(params, path)), jnp.asarray(distances[_strip(path)])
        placement = placement + scales[_strip(path)] * (weight.T @ dist)
    for path in group.rows:
        weight, dist = jnp.abs(_get(params, path)), jnp.asarray(distances[_strip(path)])
        placement = placement + scales[_strip(path)] * (weight @ dist.T)
    return placement


def transformer_neuron_scores(params, group: NeuronGroup):
    r"""Importance :math:`\sum |w_\text{in}| + \sum |w_\text{out}|` of each neuron of ``group``, ``(n,)``."""
    score = jnp.zeros((group.size,))
    for path in group.columns:
        score = score + jnp.abs(_get(params, path)).sum(axis=0)
    for path in group.rows:
        score = score + jnp.abs(_get(params, path)).sum(axis=1)
    return score


def _same_head(group: NeuronGroup):
    head = jnp.arange(group.size) // group.head_size
    return head[:, None] == head[None, :]


def transformer_swap_cost_changes(spec: TinyTransformer, params, distances: Mapping[Path, np.ndarray],
                                  group: NeuronGroup, *, normalization: str = "mean"):
    r"""Cost change :math:`\Delta_{ab}` if neurons a and b of ``group`` exchanged places,
    ``(n, n)`` symmetric with zero diagonal, for ONE network (pairs in different heads included:
    they are not allowed swaps but the number is still the cost change of exchanging them)."""
    _check_normalization(normalization)
    placement = _placement_costs(spec, params, distances, group, normalization)
    diag = jnp.diag(placement)
    return placement + placement.T - diag[:, None] - diag[None, :]


def permute_transformer_group(tree, group: NeuronGroup, order):
    """Put neuron ``order[s]`` of ``group`` at slot ``s`` in a params-shaped ``tree`` (params or
    Adam's moments): its columns, rows and vectors move."""
    for path in group.columns:
        tree = _set(tree, path, _get(tree, path)[:, order])
    for path in group.rows:
        tree = _set(tree, path, _get(tree, path)[order])
    for path in group.vectors:
        tree = _set(tree, path, _get(tree, path)[order])
    return tree


def _head_swaps(placement, score, n_heads: int, head_size: int, top_k: int):
    """Greedy swaps of whole heads (blocks of slots); returns (slot order, n_swaps, change)."""
    n = placement.shape[0]
    head_score = score.reshape(n_heads, head_size).mean(axis=1)
    important = jax.lax.top_k(head_score, min(top_k, n_heads))[1]
    offsets = jnp.arange(head_size)

    def body(i, carry):
        head_order, n_swaps, change = carry  # head_order[h] = original head sitting at head slot h
        order = (head_order[:, None] * head_size + offsets).reshape(-1)
        rows = placement[order]
        diag = jnp.diag(rows)
        pair = rows + rows.T - diag[:, None] - diag[None, :]
        block = jnp.einsum("hiki->hk", pair.reshape(n_heads, head_size, n_heads, head_size))
        slot = jnp.argmax(head_order == important[i])
        partner = jnp.argmin(block[slot])
        gain = block[slot, partner]
        do = gain < 0
        swap = jnp.arange(n_heads).at[slot].set(partner).at[partner].set(slot)
        swap = jnp.where(do, swap, jnp.arange(n_heads))
        return head_order[swap], n_swaps + do.astype(jnp.int32), change + jnp.where(do, gain, 0.0)

    init = (jnp.arange(n_heads), jnp.zeros((), jnp.int32), jnp.zeros(()))
    head_order, n_swaps, change = jax.lax.fori_loop(0, important.shape[0], body, init)
    return (head_order[:, None] * head_size + offsets).reshape(-1), n_swaps, change


def _apply_order(tree_and_state, group, order, template):
    params, opt_state = tree_and_state
    if opt_state is not None:
        opt_state = train.map_param_shaped(lambda t: permute_transformer_group(t, group, order), opt_state, template)
    return permute_transformer_group(params, group, order), opt_state


def swap_transformer_neurons(spec: TinyTransformer, params, distances: Mapping[Path, np.ndarray], *, top_k: int,
                             swap_inputs: bool = True, swap_outputs: bool = True, opt_state=None,
                             normalization: str = "mean"):
    r"""One round of BIMT swaps on ONE tiny transformer, group by group.

    Per group: score each neuron by :math:`\sum|w_\text{in}|+\sum|w_\text{out}|`, take the top
    ``k`` and swap each with the neuron (in its head, for ``qk``/``vo``) that lowers the cost most,
    if any. Before a block's ``qk`` group, heads are swapped as blocks (``n_heads > 1``).

    Args:
        spec: the network; params: its params.
        distances: :func:`transformer_distances` (the local geometry, also for "L1 + swap").
        top_k: :math:`k` per group.
        swap_inputs, swap_outputs: whether input and output neurons may move.
        opt_state: optax state whose param-shaped parts (Adam's moments) are permuted too.
        normalization: the cost's ``"mean"`` or ``"sum"``.

    Returns:
        ``(params, opt_state, n_swaps, cost_change)``; the function computed is unchanged.

    Raises:
        ValueError: ``top_k < 1`` or unknown ``normalization``.
    """
    if top_k < 1:
        raise ValueError(f"top_k must be >= 1, got {top_k}")
    _check_normalization(normalization)
    n_swaps, change = jnp.zeros((), jnp.int32), jnp.zeros(())
    groups = {g.name: g for g in transformer_neuron_groups(spec, swap_inputs=swap_inputs, swap_outputs=swap_outputs)}
    for group in groups.values():
        if group.name.endswith(".qk") and spec.n_heads > 1:
            vo = groups[group.name[:-3] + ".vo"]
            placement = (_placement_costs(spec, params, distances, group, normalization)
                         + _placement_costs(spec, params, distances, vo, normalization))
            score = transformer_neuron_scores(params, group) + transformer_neuron_scores(params, vo)
            order, head_swaps, head_change = _head_swaps(placement, score, spec.n_heads, spec.d_head, top_k)
            template = params
            params, opt_state = _apply_order((params, opt_state), group, order, template)
            params, opt_state = _apply_order((params, opt_state), vo, order, template)
            n_swaps, change = n_swaps + head_swaps, change + head_change
        placement = _placement_costs(spec, params, distances, group, normalization)
        allowed = None if group.head_size == group.size else _same_head(group)
        order, group_swaps, group_change = _layer_swaps(placement, transformer_neuron_scores(params, group), top_k,
                                                        allowed=allowed)
        params, opt_state = _apply_order((params, opt_state), group, order, params)
        n_swaps, change = n_swaps + group_swaps, change + group_change
    return params, opt_state, n_swaps, change


def transformer_swap_hook(spec: TinyTransformer, distances: Mapping[Path, np.ndarray], *, top_k: int,
                          swap_inputs: bool = True, swap_outputs: bool = True, normalization: str = "mean"):
    """A ``toyscope.train.train`` ``periodic_hook`` running :func:`swap_transformer_neurons`;
    ``aux`` must be a dict with an int ``"n_swaps"`` counter."""
    distances = {path: jnp.asarray(d) for path, d in distances.items()}

    def hook(params, opt_state, aux):
        params, opt_state, n_swaps, _ = swap_transformer_neurons(
            spec, params, distances, top_k=top_k, swap_inputs=swap_inputs, swap_outputs=swap_outputs,
            opt_state=opt_state, normalization=normalization)
        return params, opt_state, {**aux, "n_swaps": aux["n_swaps"] + n_swaps}

    return hook


def transformer_neuron_graph(spec: TinyTransformer, params):
    """The undirected neuron graph of ONE network (see the module docstring), a ``networkx.Graph``
    with nodes ``(kind, slot)``: ``("input", j)``, ``("res", j)``, ``("q0", j)``, ``("k0", j)``,
    ``("v0", j)``, ``("mlp0", j)``, ..., ``("output", j)`` and edge attribute ``weight``."""
    get = lambda *path: np.abs(np.asarray(_get(params, (*path, "weight")), dtype=float))  # noqa: E731
    edges: dict = {}

    def add(kind_in, kind_out, weight):
        rows, cols = np.nonzero(weight)
        for r, c in zip(rows.tolist(), cols.tolist()):
            key = frozenset(((kind_in, r), (kind_out, c)))
            edges[key] = edges.get(key, 0.0) + float(weight[r, c])

    graph = nx.Graph()
    nodes = [("input", spec.d_in), ("res", spec.d_model), ("output", spec.d_out)]
    for layer in range(spec.n_layers):
        nodes += [(f"q{layer}", spec.d_model), (f"k{layer}", spec.d_model), (f"v{layer}", spec.d_model),
                  (f"mlp{layer}", spec.d_mlp)]
    for kind, width in nodes:
        graph.add_nodes_from((kind, j) for j in range(width))
    add("input", "res", get("embed"))
    for layer in range(spec.n_layers):
        b = ("blocks", layer)
        for name, kind in (("query", "q"), ("key", "k"), ("value", "v")):
            add("res", f"{kind}{layer}", get(*b, name))
        add(f"v{layer}", "res", get(*b, "attn_out"))
        add("res", f"mlp{layer}", get(*b, "mlp_in"))
        add(f"mlp{layer}", "res", get(*b, "mlp_out"))
    add("res", "output", get("unembed"))
    graph.add_weighted_edges_from((*sorted(key), w) for key, w in edges.items())
    return graph


def transformer_weight_chain(spec: TinyTransformer, params) -> list[np.ndarray]:
    """ONE network's weights as a chain of matrices for the neuron graph and pruning counts:
    ``[W_E, [W_Q | W_K | W_V], [0; 0; W_O], W_1, W_2, ..., W_U]`` (the attention line has
    ``3 d_model`` nodes: queries, keys, values)."""
    get = lambda *path: np.asarray(_get(params, (*path, "weight")))  # noqa: E731
    chain = [get("embed")]
    d = spec.d_model
    for layer in range(spec.n_layers):
        b = ("blocks", layer)
        chain.append(np.concatenate([get(*b, "query"), get(*b, "key"), get(*b, "value")], axis=1))
        chain.append(np.concatenate([np.zeros((2 * d, d), chain[-1].dtype), get(*b, "attn_out")], axis=0))
        chain += [get(*b, "mlp_in"), get(*b, "mlp_out")]
    return [*chain, get("unembed")]


def transformer_weights(spec: TinyTransformer, params) -> list[np.ndarray]:
    """Every weight matrix of ONE network (forward order), e.g. to count active weights."""
    return [np.asarray(_get(params, (*p, "weight"))) for linear in transformer_linear_layers(spec) for p in linear.paths]
