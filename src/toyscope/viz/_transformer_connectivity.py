r"""Connectivity graph of a tiny transformer, as the BIMT paper's Figure 7.

The neuron lines of lines of :func:`toyscope.bimt.transformer_layout` are drawn bottom to top
(``input, res0 (embed), attn1, res1, mlp1 hidden, res2, ..., output``), neurons at their BIMT
x-coordinates. The attention line holds three rows at the same positions, queries and keys a
little below the values (the output projection leaves from the values). Each weight is a line
with width :math:`\propto |w| / \max|w|` of its linear layer (query, key and value together),
blue positive, red negative, as :func:`toyscope.viz.draw_connectivity`. The graph is one
position's computation ("the last block"), without the attention to earlier positions.

Reference: Liu, Gan & Tegmark, Entropy 26 (2024) 41, Figure 7.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Sequence

import matplotlib.figure
import numpy as np
from matplotlib.collections import LineCollection

from .. import bimt
from ..nets import TinyTransformer
from ._connectivity import NEGATIVE, POSITIVE

_QKV_OFFSET = {"query": -0.36, "key": -0.18, "value": 0.0}


def draw_transformer_connectivity(ax, spec: TinyTransformer, params, *, extent: float = 2.0,
                                  input_names: Sequence[str] | None = None, output_names: Sequence[str] | None = None,
                                  show_qk: bool = True, max_linewidth: float = 2.0, title: str | None = None) -> None:
    """Draw ONE tiny transformer's connectivity graph on ``ax``.

    Args:
        ax: a matplotlib Axes.
        spec: the network; params: one network's params (numpy or jax), neurons in slot order.
        extent: :math:`A` (only sets the x scale).
        input_names, output_names: labels of the input / output slots (already permuted).
        show_qk: draw the query and key rows (else only values, as the paper's figure).
        max_linewidth: width of the largest weight of each linear layer.
        title: axes title.
    """
    layout = bimt.transformer_layout(spec)
    lines = layout.lines
    line_x = [xy[:, 0] for xy in bimt.network_coordinates(layout, extent=extent, layer_gap=0.5)]  # the BIMT geometry's x
    for linear in layout.linear_layers:
        weights = {path[-1]: np.asarray(functools.reduce(operator.getitem, path, params)["weight"], dtype=float)
                   for path in linear.paths}
        scale = max(np.abs(w).max() for w in weights.values()) or 1.0
        for name, weight in weights.items():
            if name in ("query", "key") and not show_qk:
                continue
            y_in = linear.line + (_QKV_OFFSET["value"] if name != "attn_out" else 0.0)
            y_out = linear.line + 1 + _QKV_OFFSET.get(name, 0.0)
            rows, cols = np.nonzero(np.abs(weight) / scale > 1e-3)
            x_in, x_out = line_x[linear.line], line_x[linear.line + 1]
            segments = np.stack([np.stack([x_in[rows], np.full(len(rows), y_in)], 1),
                                 np.stack([x_out[cols], np.full(len(cols), y_out)], 1)], axis=1)
            values = weight[rows, cols]
            ax.add_collection(LineCollection(segments, linewidths=max_linewidth * np.abs(values) / scale,
                                             colors=np.where(values > 0, POSITIVE, NEGATIVE), zorder=1))
    for depth, (name, width) in enumerate(lines):
        rows = [(k, off) for k, off in _QKV_OFFSET.items() if show_qk or k == "value"] if name.startswith("attn") else [("", 0.0)]
        for _, offset in rows:
            ax.scatter(line_x[depth], np.full(width, depth + offset), s=4 if width <= 64 else 1.5, c="black", zorder=2)
        label = {"res0": "embed (res0)"}.get(name, name + (" hidden" if name.startswith("mlp") else ""))
        ax.text(extent * 1.04, depth, label, fontsize=7, va="center")
        if name.startswith("attn") and show_qk:
            ax.text(extent * 1.04, depth - 0.3, "q, k below", fontsize=5, va="center", color="grey")
    for names, depth, offset, va in ((input_names, 0, -0.15, "top"), (output_names, len(lines) - 1, 0.15, "bottom")):
        if names is not None:
            for name, x in zip(names, line_x[depth]):
                ax.text(x, depth + offset, str(name), ha="center", va=va, fontsize=8)
    ax.set_xlim(-0.05 * extent, 1.35 * extent)
    ax.set_ylim(-0.8, len(lines) - 0.2)
    ax.set_axis_off()
    if title:
        ax.set_title(title, fontsize=9)


def transformer_connectivity_figure(spec: TinyTransformer, params, *, title: str | None = None, size=(5.0, 8.0),
                                    **kwargs):
    """A ``matplotlib.figure.Figure`` with ONE transformer graph (:func:`draw_transformer_connectivity`)."""
    fig = matplotlib.figure.Figure(figsize=size)
    draw_transformer_connectivity(fig.add_subplot(), spec, params, title=title, **kwargs)
    return fig


def transformer_evolution_figure(spec: TinyTransformer, panels: Sequence[tuple[str, object, dict]], *,
                                 panel_size=(3.0, 6.0), **kwargs):
    """Transformer graphs side by side, ``panels`` = ``(title, params, extra kwargs)``."""
    fig = matplotlib.figure.Figure(figsize=(panel_size[0] * len(panels), panel_size[1]))
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    for ax, (title, params, extra) in zip(axes, panels):
        draw_transformer_connectivity(ax, spec, params, title=title, **{**kwargs, **extra})
    return fig
