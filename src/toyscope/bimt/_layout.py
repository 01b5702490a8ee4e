r"""A network as BIMT sees it: lines of neurons, the linear layers joining them, and the groups
of neurons that share one permutation.

BIMT (Liu, Gan & Tegmark, Entropy 26 (2024) 41) needs three facts about a network, whatever its
architecture:

* **lines** (Step 1): the neurons lie on consecutive lines (or grids) ``y*`` apart, bottom to
  top; line :math:`i` has ``shape`` neurons;
* **linear layers** (Step 2): each joins line :math:`i` to line :math:`i + 1` through one or
  more weight matrices ``y = x @ W + b`` (found by their params path); a connection has the
  length of the segment between its two neurons. With token inputs a weight's rows are
  ``row_groups`` copies of line :math:`i` (one per token, sharing its coordinates);
* **neuron groups** (Step 3): neurons that one permutation moves. A group names the weight
  leaves whose *columns* are its neurons (incoming weights), whose *rows* are (outgoing), the
  1-D leaves indexed by it (biases, input/output orders), and ``unplaced_columns`` whose cost
  does not depend on position (an embedding table: moved and scored, never in the swap cost).
  Swaps stay within consecutive blocks of ``head_size`` slots (attention heads), and a group
  may name the group its heads move with (``heads_move_with``: query-key with value-output).

:func:`mlp_layout` (groups = neuron layers) and :func:`transformer_layout` (Appendix F.1: the
residual stream one group, query-key and value-output dimensions within heads, MLP neurons,
inputs, outputs) build the two layouts toyscope uses; geometry, connection cost and swaps are
written once against this description.

Reference: Liu, Gan & Tegmark, Entropy 26 (2024) 41, Section 2 and Appendix F.1.
"""

from __future__ import annotations

import dataclasses

from ..nets import LayeredNetwork, TinyTransformer

Path = tuple


@dataclasses.dataclass(frozen=True)
class LinearLayer:
    """One BIMT "linear layer": the param dicts (paths to dicts holding ``"weight"`` and, if
    any, ``"bias"``) of the weight matrices joining line ``line`` to line ``line + 1``; the
    weights' rows are ``row_groups`` consecutive copies of line ``line``'s neurons."""

    name: str
    paths: tuple[Path, ...]
    line: int
    row_groups: int = 1


@dataclasses.dataclass(frozen=True)
class NeuronGroup:
    """Neurons sharing one permutation; see the module docstring.

    Attributes:
        name: e.g. ``"input"``, ``"hidden1"``, ``"residual"``, ``"block0.qk"``.
        size: number of neurons.
        head_size: swaps stay within consecutive blocks of this many slots (``size``: free).
        columns: weight paths whose columns are these neurons (incoming weights).
        rows: weight paths whose rows are these neurons (outgoing weights), ``row_groups``
            consecutive copies (token groups) of them.
        vectors: paths of 1-D leaves indexed by these neurons (biases, orders).
        unplaced_columns: leaves whose columns are these neurons but whose cost does not depend
            on where the neurons sit (an embedding table): moved and scored, not in the swap cost.
        row_groups: copies of the neurons in the rows of ``rows`` (tokens).
        heads_move_with: the group whose heads are swapped together with this group's, before
            this group's own swaps (``None``: no head swaps).
    """

    name: str
    size: int
    head_size: int
    columns: tuple[Path, ...] = ()
    rows: tuple[Path, ...] = ()
    vectors: tuple[Path, ...] = ()
    unplaced_columns: tuple[Path, ...] = ()
    row_groups: int = 1
    heads_move_with: str | None = None


@dataclasses.dataclass(frozen=True)
class NetworkLayout:
    """Lines, linear layers (forward order), neuron groups (swap order) and the leaves charged
    :math:`y^* |x|` (an embedding table: one-hot tokens one layer gap away)."""

    lines: tuple[tuple[str, int | tuple[int, int]], ...]
    linear_layers: tuple[LinearLayer, ...]
    groups: tuple[NeuronGroup, ...]
    charged: tuple[Path, ...] = ()

    def group(self, name: str) -> NeuronGroup:
        """The :class:`NeuronGroup` called ``name``.

        Raises:
            ValueError: unknown name.
        """
        groups = {g.name: g for g in self.groups}
        if name not in groups:
            raise ValueError(f"unknown neuron group {name!r}; valid: {', '.join(groups)}")
        return groups[name]

    @property
    def line_shapes(self) -> list:
        """The shape of every line, bottom to top (for :func:`neuron_coordinates`)."""
        return [shape for _, shape in self.lines]


def mlp_layout(spec: LayeredNetwork, *, line_shapes=None) -> NetworkLayout:
    """The layout of a BIMT MLP (:func:`toyscope.nets.layered_network`): one line and one group
    per neuron layer (``"input"``, ``"hidden1"``, ..., ``"output"``), one linear layer per weight
    layer (``("layers", i)``).

    Args:
        spec: the network.
        line_shapes: one shape per neuron layer, an int or ``(rows, cols)`` grid (default the
            widths, every layer a line); a grid must hold the layer's neurons.

    Raises:
        ValueError: ``line_shapes`` that do not match the neuron layers.

    Example:
        >>> from toyscope import bimt, nets
        >>> layout = bimt.mlp_layout(nets.layered_network([4, 20, 2]))
        >>> [g.name for g in layout.groups]
        ['input', 'hidden1', 'output']
    """
    widths = spec.neuron_widths
    n_layers = spec.mlp.n_layers
    shapes = list(widths) if line_shapes is None else list(line_shapes)
    if len(shapes) != len(widths):
        raise ValueError(f"line_shapes needs one shape per neuron layer ({len(widths)}), got {len(shapes)}")
    tokens = spec.n_tokens
    names = ["input", *(f"hidden{layer}" for layer in range(1, n_layers)), "output"]
    linear = tuple(LinearLayer(f"layer{i}", (("layers", i),), i, row_groups=tokens if i == 0 and tokens else 1)
                   for i in range(n_layers))
    groups = []
    for layer, width in enumerate(widths):
        columns, vectors, rows, unplaced = (), (), (), ()
        if layer > 0:
            columns = (("layers", layer - 1, "weight"),)
            if spec.mlp.biases[layer - 1]:
                vectors = (("layers", layer - 1, "bias"),)
        if layer < n_layers:
            rows = (("layers", layer, "weight"),)
        if layer == 0:
            if tokens:
                unplaced = (("embedding",),)
            else:
                vectors = (*vectors, ("input_order",))
        if layer == n_layers:
            vectors = (*vectors, ("output_order",))
        groups.append(NeuronGroup(names[layer], width, width, columns=columns, rows=rows, vectors=vectors,
                                  unplaced_columns=unplaced, row_groups=tokens if layer == 0 and tokens else 1))
    return NetworkLayout(tuple(zip(names, shapes)), linear, tuple(groups), (("embedding",),) if tokens else ())


def transformer_layout(spec: TinyTransformer) -> NetworkLayout:
    r"""The layout of a tiny transformer (:func:`toyscope.nets.tiny_transformer`, Appendix F.1).

    Lines, bottom to top: ``input, res0, attn1, res1, mlp1, res2, attn2, res3, mlp2, res4, output``
    (for 2 layers); ``attn*`` holds a block's query, key and value neurons at the same positions.
    Linear layers: embed (input -> res0), query/key/value together (res -> attn), the output
    projection (attn -> res), MLP in (res -> mlp), MLP out (mlp -> res), unembed (res -> output).
    Groups, in swap order: ``input`` (embed rows, ``input_order``); ``residual`` (ONE permutation
    of the stream for every layer); per block ``block{l}.qk`` (the query-key dimension, jointly in
    :math:`W_Q` and :math:`W_K`, within a head; heads move with ``block{l}.vo``), ``block{l}.vo``
    (the value dimension in :math:`W_V` and :math:`W_O`, within a head) and ``block{l}.mlp``;
    ``output`` (unembed columns and bias, ``output_order``).

    Example:
        >>> from toyscope import bimt, nets
        >>> layout = bimt.transformer_layout(nets.tiny_transformer(2, 2, d_model=8, n_layers=1))
        >>> [name for name, _ in layout.lines]
        ['input', 'res0', 'attn1', 'res1', 'mlp1', 'res2', 'output']
    """
    lines = [("input", spec.d_in), ("res0", spec.d_model)]
    for layer in range(spec.n_layers):
        lines += [(f"attn{layer + 1}", spec.d_model), (f"res{2 * layer + 1}", spec.d_model),
                  (f"mlp{layer + 1}", spec.d_mlp), (f"res{2 * layer + 2}", spec.d_model)]
    lines.append(("output", spec.d_out))
    linear = [LinearLayer("embed", (("embed",),), 0)]
    for layer in range(spec.n_layers):
        block = ("blocks", layer)
        base = 1 + 4 * layer
        linear += [LinearLayer(f"block{layer}.qkv", tuple((*block, n) for n in ("query", "key", "value")), base),
                   LinearLayer(f"block{layer}.attn_out", ((*block, "attn_out"),), base + 1),
                   LinearLayer(f"block{layer}.mlp_in", ((*block, "mlp_in"),), base + 2),
                   LinearLayer(f"block{layer}.mlp_out", ((*block, "mlp_out"),), base + 3)]
    linear.append(LinearLayer("unembed", (("unembed",),), 1 + 4 * spec.n_layers))
    groups = [NeuronGroup("input", spec.d_in, spec.d_in, rows=(("embed", "weight"),), vectors=(("input_order",),))]
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
                        vectors=((*b, "query", "bias"), (*b, "key", "bias")), heads_move_with=f"block{layer}.vo"),
            NeuronGroup(f"block{layer}.vo", spec.d_model, spec.d_head, columns=((*b, "value", "weight"),),
                        rows=((*b, "attn_out", "weight"),), vectors=((*b, "value", "bias"),)),
            NeuronGroup(f"block{layer}.mlp", spec.d_mlp, spec.d_mlp, columns=((*b, "mlp_in", "weight"),),
                        rows=((*b, "mlp_out", "weight"),), vectors=((*b, "mlp_in", "bias"),)),
        ]
    groups.append(NeuronGroup("output", spec.d_out, spec.d_out, columns=(("unembed", "weight"),),
                              vectors=(("unembed", "bias"), ("output_order",))))
    return NetworkLayout(tuple(lines), tuple(linear), tuple(groups))


def get_path(tree, path: Path):
    """The leaf or subtree of ``tree`` at ``path`` (dict keys and list indices)."""
    for key in path:
        tree = tree[key]
    return tree


def set_path(tree, path: Path, value):
    """A copy of ``tree`` with ``value`` at ``path`` (only the dicts and lists on the path are copied)."""
    if not path:
        return value
    head, rest = path[0], path[1:]
    new = list(tree) if isinstance(tree, (list, tuple)) else dict(tree)
    new[head] = set_path(tree[head], rest, value)
    return new
