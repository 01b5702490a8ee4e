r"""Connectivity graphs: neurons as dots at their coordinates, weights as lines (BIMT figures).

Each weight is a line between its two neurons with width proportional to
:math:`|w| / \max |w|` over its weight layer, blue if positive and red if negative; all weights
are drawn (thin ones simply vanish). Coordinates come from
:func:`toyscope.bimt.neuron_coordinates`: a 2-D embedding is drawn as is (x across, layers
up); a 3-D one (grids) is drawn in an oblique projection, each grid's second axis slanting up
and right.

Reference: Liu, Gan & Tegmark, Entropy 26 (2024) 41, Section 2 ("Connectivity graphs") and
Figures 2-8.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.figure
import numpy as np
from matplotlib.collections import LineCollection

POSITIVE, NEGATIVE = "#1f4fd1", "#d62728"
RASTERIZE_ABOVE = 5000  # line segments per layer drawn as an image inside vector (SVG) output


def plane_positions(coordinates: Sequence[np.ndarray], n_tokens: int) -> list[np.ndarray]:
    """2-D drawing positions per neuron layer; token groups of layer 0 stacked just below."""
    extent = max(float(np.ptp(np.concatenate([c[:, 0] for c in coordinates]))), 1e-9)
    positions = []
    for layer, coords in enumerate(coordinates):
        x = coords[:, 0].astype(float)
        y = np.full(len(coords), float(layer))
        if coords.shape[1] == 3:  # oblique projection of the grid's second axis
            x = x + 0.5 * coords[:, 1]
            y = y + 0.6 * coords[:, 1] / extent
        pos = np.stack([x, y], axis=1)
        if layer == 0 and n_tokens > 1:
            pos = np.concatenate([pos + np.array([0.0, -0.18 * t]) for t in range(n_tokens)])
        positions.append(pos)
    return positions


def draw_connectivity(ax, weights: Sequence[np.ndarray], coordinates: Sequence[np.ndarray], *, n_tokens: int = 0,
                      input_names: Sequence[str] | None = None, output_names: Sequence[str] | None = None,
                      max_linewidth: float = 2.5, title: str | None = None) -> None:
    """Draw ONE network's connectivity graph on a matplotlib ``ax``.

    Args:
        ax: a matplotlib Axes.
        weights: one ``(n_{i-1}, n_i)`` matrix per weight layer, neurons in slot order (for a
            token network the first has ``n_tokens * d_0`` rows).
        coordinates: ``(n_i, D)`` per neuron layer (``d_0`` positions for the embedding layer).
        n_tokens: tokens sharing the first layer's positions (drawn slightly apart).
        input_names, output_names: labels of the input / output slots (already permuted).
        max_linewidth: line width of the largest weight of each layer.
        title: axes title.

    Raises:
        ValueError: ``weights`` and ``coordinates`` do not match.
    """
    if len(coordinates) != len(weights) + 1:
        raise ValueError(f"need one coordinate array per neuron layer ({len(weights) + 1}), got {len(coordinates)}")
    positions = plane_positions(coordinates, n_tokens)
    for index, weight in enumerate(weights):
        if weight.shape != (len(positions[index]), len(positions[index + 1])):
            raise ValueError(f"weights[{index}] has shape {weight.shape}, the coordinates give "
                             f"{(len(positions[index]), len(positions[index + 1]))}")
        weight = np.asarray(weight, dtype=float)
        scale = np.abs(weight).max() or 1.0
        rows, cols = np.nonzero(np.abs(weight) / scale > 1e-3)
        segments = np.stack([positions[index][rows], positions[index + 1][cols]], axis=1)
        values = weight[rows, cols]
        # beyond a few thousand lines (MNIST: 89,000) vector output is slow and huge: rasterise them
        ax.add_collection(LineCollection(segments, linewidths=max_linewidth * np.abs(values) / scale,
                                         colors=np.where(values > 0, POSITIVE, NEGATIVE), zorder=1,
                                         rasterized=len(segments) > RASTERIZE_ABOVE))
    for pos in positions:
        ax.scatter(pos[:, 0], pos[:, 1], s=6 if len(pos) < 200 else 1, c="black", zorder=2)
    for names, pos, offset, va in ((input_names, positions[0], -0.12, "top"), (output_names, positions[-1], 0.12, "bottom")):
        if names is not None and len(names) <= 64:
            for name, (x, y) in zip(names, pos):
                ax.text(x, y + offset, str(name), ha="center", va=va, fontsize=6, rotation=90 if len(names) > 6 else 0)
    ax.autoscale_view()
    ax.margins(0.08)
    ax.set_axis_off()
    if title:
        ax.set_title(title, fontsize=9, pad=22 if output_names is not None else 6)


def connectivity_figure(weights, coordinates, *, title: str | None = None, size=(4.0, 4.0), **kwargs):
    """A ``matplotlib.figure.Figure`` with ONE connectivity graph (see :func:`draw_connectivity`)."""
    fig = matplotlib.figure.Figure(figsize=size)
    draw_connectivity(fig.add_subplot(), weights, coordinates, title=title, **kwargs)
    return fig


def network_connectivity_figure(spec, params, *, input_names: Sequence[str] | None = None,
                                output_names: Sequence[str] | None = None, title: str | None = None,
                                size=(5.0, 5.0)):
    """The connectivity graph of ONE MLP or layered network, at the BIMT layout's coordinates
    (:func:`toyscope.bimt.mlp_layout`, one line per layer); a layered network's swapped slots are
    labelled by the input and output they hold.

    Example:
        >>> import jax
        >>> from toyscope import nets, viz
        >>> spec = nets.mlp([2, 3, 1], "sigmoid")
        >>> fig = viz.network_connectivity_figure(spec, nets.init(spec, key=jax.random.key(0)))
        >>> len(fig.axes)
        1
    """
    from .. import bimt, nets

    layered = spec if isinstance(spec, nets.LayeredNetwork) else nets.LayeredNetwork(spec)
    layers = params["layers"] if isinstance(spec, nets.LayeredNetwork) else params
    weights = [np.asarray(layer["weight"]) for layer in layers]
    d_in, d_out = layered.mlp.widths[0], layered.mlp.widths[-1]
    ins = list(input_names) if input_names is not None else [f"x{i + 1}" for i in range(d_in)]
    outs = list(output_names) if output_names is not None else [f"y{i + 1}" for i in range(d_out)]
    if isinstance(spec, nets.LayeredNetwork):
        outs = [outs[int(o)] for o in np.asarray(params["output_order"])]
        ins = None if spec.n_tokens else [ins[int(i)] for i in np.asarray(params["input_order"])]
    coordinates = bimt.network_coordinates(bimt.mlp_layout(layered))
    return connectivity_figure(weights, coordinates, title=title, size=size, n_tokens=layered.n_tokens,
                               input_names=ins, output_names=outs)


def connectivity_evolution_figure(panels: Sequence[tuple[str, Sequence[np.ndarray], dict]], coordinates, *,
                                  panel_size=(2.6, 3.2), **kwargs):
    """Connectivity graphs side by side, e.g. over training (Figures 4 and 8).

    Args:
        panels: ``(title, weights, extra)`` per panel; ``extra`` overrides keyword arguments of
            :func:`draw_connectivity` for that panel (e.g. permuted ``input_names``).
        coordinates: shared neuron coordinates.
        **kwargs: passed to :func:`draw_connectivity`.
    """
    fig = matplotlib.figure.Figure(figsize=(panel_size[0] * len(panels), panel_size[1]))
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    for ax, (title, weights, extra) in zip(axes, panels):
        draw_connectivity(ax, weights, coordinates, title=title, **{**kwargs, **extra})
    return fig


def pruning_frontier_figure(frontiers: Sequence[tuple[np.ndarray, np.ndarray]], *, ylabel: str = "test loss",
                            max_labels: int = 5, labels: Sequence[str] | None = None,
                            bands: Sequence[tuple[np.ndarray, np.ndarray]] | None = None,
                            reference: float | None = None):
    """Pruning frontiers on log-log axes, one line per seed: surviving parameters :math:`N_u`
    against the loss after pruning (``toyscope.analysis.pruning_frontier``'s output per seed).

    Args:
        frontiers: ``(survivors, loss)`` pairs of equal-length arrays, one per line.
        ylabel: the loss's axis label; max_labels: lines named in the legend.
        labels: one legend name per line (default ``seed 0``, ``seed 1``, ...), e.g. the methods
            of Figure A1.
        bands: per line, ``(low, high)`` arrays as long as its ``survivors``, shaded around it
            (e.g. the spread over seeds).
        reference: a loss drawn as a dotted horizontal line (e.g. a target), or ``None``.

    Example:
        >>> import numpy as np
        >>> n = np.array([40, 20, 10])
        >>> fig = pruning_frontier_figure([(n, np.array([1e-3, 1e-2, 0.1]))], labels=["bimt"])
        >>> [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
        ['bimt']
    """
    if labels is not None and len(labels) != len(frontiers):
        raise ValueError(f"labels must name every line: {len(frontiers)} lines, got {len(labels)} labels")
    if bands is not None and len(bands) != len(frontiers):
        raise ValueError(f"bands must have one (low, high) per line: {len(frontiers)} lines, got {len(bands)}")
    fig = matplotlib.figure.Figure(figsize=(5, 3.2))
    ax = fig.add_subplot()
    for index, (survivors, loss) in enumerate(frontiers):
        name = labels[index] if labels is not None else f"seed {index}"
        line, = ax.loglog(survivors, loss, marker=".", ms=3, lw=0.8, label=name if index < max_labels else None)
        if bands is not None:
            ax.fill_between(survivors, bands[index][0], bands[index][1], color=line.get_color(), alpha=0.15, lw=0)
    if reference is not None:
        ax.axhline(reference, color="grey", ls=":", lw=0.8)
    ax.set_xlabel("surviving parameters $N_u$")
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=7)
    return fig


def penalised_training_figure(steps: np.ndarray, train_loss: np.ndarray, test_loss: np.ndarray,
                              schedule_boundaries: Sequence[int], *, train_label: str = "train loss (per seed)",
                              test_label: str = "test loss (per seed)", ylabel: str = "loss (no penalty)"):
    """Train and test loss of every seed on a log scale, with dotted lines where the penalty
    schedule changes.

    Args:
        steps: ``(T,)``; train_loss, test_loss: ``(T,)`` or ``(T, E)`` (one line per seed).
        schedule_boundaries: steps at which the penalty strength changes.
    """
    fig = matplotlib.figure.Figure(figsize=(5, 3.2))
    ax = fig.add_subplot()
    ax.semilogy(steps, train_loss, color="C0", alpha=0.5, lw=0.8)
    ax.semilogy(steps, test_loss, color="C1", alpha=0.5, lw=0.8)
    ax.plot([], [], color="C0", label=train_label)
    ax.plot([], [], color="C1", label=test_label)
    for boundary in schedule_boundaries:
        ax.axvline(boundary, color="grey", ls=":", lw=0.8)
    ax.set_xlabel("step")
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=7)
    return fig
