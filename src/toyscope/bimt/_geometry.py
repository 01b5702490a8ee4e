r"""Where the neurons of a network sit, and how long each connection is (BIMT, Step 1).

Neuron layer :math:`i` lies in the plane at depth :math:`i\,y^*`. Inside the plane a layer is
either a *line* of :math:`n` neurons at :math:`x_j = A (j + 1/2) / n` (uniform in
:math:`[0, A]`, centred so layers of different widths line up; the paper writes
:math:`A j / n`), or a *grid* of ``rows x cols`` neurons at
:math:`(A (c + 1/2)/\text{cols},\; A (r + 1/2)/\text{rows})` (images and the hidden layers of
the 3-D MNIST network, Section 3.5). A line in a 3-D embedding sits at the grid's middle row.

The length of the connection from neuron :math:`j` of layer :math:`i-1` to neuron :math:`k` of
layer :math:`i` is :math:`d_{ijk} = \lVert r_{i-1,j} - r_{ik}\rVert`, with the L1 norm
(:math:`|\Delta x| + |\Delta z| + y^*`, the paper's default) or the L2 norm.

:func:`network_distances` gives the length of every weight of a network described by a
:class:`~toyscope.bimt.NetworkLayout` (its lines and the linear layers joining them): the MLP and
the tiny transformer alike.

Reference: Liu, Gan & Tegmark, "Seeing is believing: brain-inspired modular training", Entropy
26 (2024) 41, Section 2 (Step 1) and Appendix G.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ._layout import NetworkLayout, Path

NORMS = ("l1", "l2")


def _layer_plane(shape, extent: float, plane_dims: int) -> np.ndarray:
    if isinstance(shape, (int, np.integer)):
        rows, cols = None, int(shape)
    else:
        rows, cols = (int(s) for s in shape)
    xs = extent * (np.arange(cols) + 0.5) / cols
    if rows is None:
        if plane_dims == 1:
            return xs[:, None]
        return np.stack([xs, np.full(cols, extent / 2)], axis=1)
    zs = extent * (np.arange(rows) + 0.5) / rows
    grid_z, grid_x = np.meshgrid(zs, xs, indexing="ij")
    return np.stack([grid_x.ravel(), grid_z.ravel()], axis=1)


def neuron_coordinates(layer_shapes: Sequence[int | tuple[int, int]], *, extent: float = 2.0,
                       layer_gap: float = 0.1) -> list[np.ndarray]:
    r"""Coordinates of every neuron, layer by layer.

    Args:
        layer_shapes: one entry per neuron layer (inputs first): an int ``n`` for a line of
            ``n`` neurons, or ``(rows, cols)`` for a grid (row-major neuron order, as a
            flattened image). Any grid makes the embedding 3-D.
        extent: :math:`A`, the width of every layer (``0`` puts a layer's neurons on one point,
            so every connection has length :math:`y^*`: plain L1).
        layer_gap: :math:`y^*`, the distance between consecutive layers.

    Returns:
        One ``(n_i, p + 1)`` array per layer: ``p`` in-plane coordinates (1 for a 2-D
        embedding, 2 for 3-D) and the depth :math:`i y^*` last.

    Example:
        >>> from toyscope import bimt
        >>> [c.tolist() for c in bimt.neuron_coordinates([2, 1], extent=2.0, layer_gap=0.5)]
        [[[0.5, 0.0], [1.5, 0.0]], [[1.0, 0.5]]]

    Raises:
        ValueError: fewer than two layers, a non-positive size, negative ``extent`` or
            non-positive ``layer_gap``.
    """
    if len(layer_shapes) < 2:
        raise ValueError(f"layer_shapes needs at least two layers, got {list(layer_shapes)!r}")
    for shape in layer_shapes:
        sizes = [shape] if isinstance(shape, (int, np.integer)) else list(shape)
        if len(sizes) not in (1, 2) or any(int(s) < 1 for s in sizes):
            raise ValueError(f"every layer shape must be n >= 1 or (rows, cols) >= 1, got {shape!r}")
    if extent < 0:
        raise ValueError(f"extent (A) must be >= 0, got {extent}")
    if not layer_gap > 0:
        raise ValueError(f"layer_gap (y*) must be > 0, got {layer_gap}")
    plane_dims = 2 if any(not isinstance(s, (int, np.integer)) for s in layer_shapes) else 1
    coords = []
    for depth, shape in enumerate(layer_shapes):
        plane = _layer_plane(shape, float(extent), plane_dims)
        coords.append(np.concatenate([plane, np.full((len(plane), 1), depth * layer_gap)], axis=1))
    return coords


def connection_distances(coordinates: Sequence[np.ndarray], *, norm: str = "l1") -> list[np.ndarray]:
    r"""The length :math:`d_{ijk}` of every possible connection between consecutive layers.

    Args:
        coordinates: from :func:`neuron_coordinates`, ``(n_i, D)`` per layer.
        norm: ``"l1"`` (:math:`\sum |\Delta|`) or ``"l2"`` (Euclidean).

    Returns:
        One ``(n_{i-1}, n_i)`` float32 array per weight layer, matching ``weight`` of
        ``y = x @ W + b``.

    Raises:
        ValueError: unknown ``norm``.
    """
    if norm not in NORMS:
        raise ValueError(f"unknown norm {norm!r}; valid: {', '.join(NORMS)}")
    out = []
    for before, after in zip(coordinates[:-1], coordinates[1:]):
        diff = np.abs(before[:, None, :] - after[None, :, :])
        dist = diff.sum(-1) if norm == "l1" else np.sqrt((diff**2).sum(-1))
        out.append(dist.astype(np.float32))
    return out


def network_coordinates(layout: NetworkLayout, *, extent: float = 2.0, layer_gap: float = 0.1) -> list[np.ndarray]:
    """Coordinates of every neuron of a network, line by line (:func:`neuron_coordinates` of
    ``layout.line_shapes``): one ``(n_i, D)`` array per line."""
    return neuron_coordinates(layout.line_shapes, extent=extent, layer_gap=layer_gap)


def network_distances(layout: NetworkLayout, *, extent: float = 2.0, layer_gap: float = 0.1,
                      norm: str = "l1") -> dict[Path, np.ndarray]:
    r"""Connection lengths :math:`d_{jk}` of every weight matrix of a network.

    A weight of linear layer ``linear`` (joining line :math:`i` to :math:`i + 1`) has the length
    :func:`connection_distances` gives between those lines; with ``row_groups`` token groups the
    rows repeat the line's neurons, so the matrix is tiled over them. ``extent = 0`` makes every
    length :math:`y^*` (plain L1).

    Args:
        layout: the network (:func:`~toyscope.bimt.mlp_layout`, :func:`~toyscope.bimt.transformer_layout`).
        extent, layer_gap, norm: as :func:`neuron_coordinates` and :func:`connection_distances`.

    Returns:
        ``{linear path: (rows, cols) float32}``, one entry per weight matrix, keyed by the path of
        the param dict holding it (e.g. ``("layers", 0)``, ``("blocks", 1, "query")``).

    Raises:
        ValueError: negative ``extent``, non-positive ``layer_gap`` or unknown ``norm``.

    Example:
        >>> from toyscope import bimt, nets
        >>> layout = bimt.mlp_layout(nets.layered_network([2, 3, 1]))
        >>> {path: d.shape for path, d in bimt.network_distances(layout).items()}
        {('layers', 0): (2, 3), ('layers', 1): (3, 1)}
    """
    between = connection_distances(network_coordinates(layout, extent=extent, layer_gap=layer_gap), norm=norm)
    out = {}
    for linear in layout.linear_layers:
        dist = between[linear.line]
        if linear.row_groups > 1:
            dist = np.tile(dist, (linear.row_groups, 1))
        for path in linear.paths:
            out[path] = dist
    return out
