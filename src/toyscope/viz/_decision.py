"""Decision boundaries of 2-input classifiers on the unit square (pink = 1, green = 0, as in the XOR paper)."""

from __future__ import annotations

import numpy as np
from matplotlib.colors import LinearSegmentedColormap

from .. import nets

#: green (class 0) to pink (class 1)
DECISION_CMAP = LinearSegmentedColormap.from_list("toyscope_decision", ["#2e9e5b", "#f4f4f4", "#e75480"])


def decision_grid(spec: nets.MLP, params, resolution: int = 64, limits=(0.0, 1.0)) -> np.ndarray:
    """Probability of class 1 (sigmoid of the logit) on a ``resolution x resolution`` grid.

    Args:
        spec: a 2-input, 1-output network with logit output; params: one network or an ensemble.

    Returns:
        ``(resolution, resolution)`` or ``(E, resolution, resolution)``; row i is ``x2 = grid[i]``,
        column j is ``x1 = grid[j]``.
    """
    if spec.widths[0] != 2 or spec.widths[-1] != 1:
        raise ValueError(f"decision grids need a 2-input, 1-output network, got widths {spec.widths}")
    axis = np.linspace(*limits, resolution, dtype=np.float32)
    x1, x2 = np.meshgrid(axis, axis)
    points = np.stack([x1.ravel(), x2.ravel()], axis=1)
    logits = np.asarray(nets.apply(spec, params, points))[..., 0]
    probability = 1.0 / (1.0 + np.exp(-np.clip(logits, -60, 60)))
    return probability.reshape(probability.shape[:-1] + (resolution, resolution))


def plot_decision(ax, grid: np.ndarray, x=None, y=None, title: str = "", limits=(0.0, 1.0)) -> None:
    """Draw one decision grid (from :func:`decision_grid`) with the 0.5 contour and the data points."""
    ax.imshow(grid, origin="lower", extent=(*limits, *limits), cmap=DECISION_CMAP, vmin=0, vmax=1,
              interpolation="bilinear")
    axis = np.linspace(*limits, grid.shape[-1])
    if grid.min() < 0.5 < grid.max():
        ax.contour(axis, axis, grid, levels=[0.5], colors="k", linewidths=0.8)
    if x is not None:
        x, y = np.asarray(x), np.asarray(y).reshape(-1)
        ax.scatter(x[:, 0], x[:, 1], c=np.where(y > 0.5, "#e75480", "#2e9e5b"), edgecolors="k", s=40, zorder=3,
                   clip_on=False)
    pad = 0.04 * (limits[1] - limits[0])
    ax.set_xlim(limits[0] - pad, limits[1] + pad)
    ax.set_ylim(limits[0] - pad, limits[1] + pad)
    ax.set_xticks([0, 1])
    ax.set_yticks([0, 1])
    ax.set_title(title, fontsize=8)
