"""Small plotting helpers shared by studies: labelled scatters, quantile bands, heatmaps.

Every function draws on a matplotlib ``Axes`` it is given (no global pyplot state) and a
``new_figure`` helper makes figures that are safe to build off the main thread.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

#: colours for categories, colour-blind safe (Okabe-Ito)
PALETTE = ["#d55e00", "#0072b2", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#f0e442", "#000000", "#999999"]


def new_figure(width: float = 6.0, height: float = 4.0, *, nrows: int = 1, ncols: int = 1, **kwargs):
    """A ``(Figure, axes)`` pair built without pyplot; ``axes`` is an array when there are several."""
    fig = Figure(figsize=(width, height), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=True, **kwargs)
    return fig, axes


def scatter_by_label(ax, points, labels, *, order=None, names=None, size: float = 6.0, alpha: float = 0.7,
                     legend: bool = True) -> None:
    """Scatter 2-D ``points`` ``(n, 2)`` coloured by ``labels`` ``(n,)``, one legend entry per label."""
    points, labels = np.asarray(points), np.asarray(labels)
    order = list(order) if order is not None else sorted(set(labels.tolist()), key=str)
    for i, label in enumerate(order):
        chosen = labels == label
        if chosen.any():
            name = names[label] if names is not None else str(label)
            ax.scatter(points[chosen, 0], points[chosen, 1], s=size, alpha=alpha, color=PALETTE[i % len(PALETTE)],
                       label=f"{name} ({chosen.sum()})", linewidths=0)
    if legend:
        ax.legend(fontsize=7, markerscale=2, frameon=False)


def quantile_band(ax, x, values, *, color, label: str, quantiles=(0.1, 0.5, 0.9)) -> None:
    """Median line and a shaded band between two quantiles of ``values`` ``(len(x), n)`` over its columns."""
    values = np.asarray(values, np.float64)
    low, mid, high = np.quantile(values, quantiles, axis=1)
    ax.plot(x, mid, color=color, label=label)
    ax.fill_between(x, low, high, color=color, alpha=0.2, linewidth=0)


def heatmap(ax, matrix, *, labels=None, cmap: str = "RdBu_r", symmetric: bool = True, title: str = "") -> None:
    """A matrix as an image with a colour bar; ``symmetric`` centres the colour scale on 0."""
    matrix = np.asarray(matrix)
    vmax = np.abs(matrix).max() if symmetric else None
    image = ax.imshow(matrix, cmap=cmap, vmin=-vmax if symmetric else None, vmax=vmax)
    if labels is not None:
        ax.set_xticks(range(len(labels)), labels, rotation=90, fontsize=7)
        ax.set_yticks(range(len(labels)), labels, fontsize=7)
    ax.set_title(title, fontsize=9)
    ax.figure.colorbar(image, ax=ax, shrink=0.8)
