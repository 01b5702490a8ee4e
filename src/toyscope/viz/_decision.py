"""Decision boundaries of 2-input classifiers on the unit square (pink = 1, green = 0, as in the XOR paper)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.colors import LinearSegmentedColormap

from .. import nets
from ._plots import new_figure

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


def decision_boundaries_figure(spec: nets.MLP, networks: Sequence, titles: Sequence[str], x=None, y=None, *,
                               max_cols: int = 4, panel_size: float = 2.6):
    """One decision-grid panel per network (:func:`decision_grid`, :func:`plot_decision`), in rows of
    at most ``max_cols``, with the data points ``x`` ``(N, 2)``, ``y`` ``(N, 1)`` on every panel.

    Args:
        spec: 2-input, 1-output network; networks: single-network params, one per panel;
        titles: one per panel.

    >>> import jax
    >>> from toyscope import nets
    >>> spec = nets.mlp([2, 2, 1], "sigmoid")
    >>> one = nets.init(spec, key=jax.random.key(0))
    >>> fig = decision_boundaries_figure(spec, [one] * 5, [str(i) for i in range(5)])
    >>> sum(ax.get_visible() for ax in fig.axes)
    5
    """
    n = len(networks)
    cols = min(n, max_cols)
    rows = int(np.ceil(n / cols))
    fig, axes = new_figure(panel_size * cols, panel_size * rows, nrows=rows, ncols=cols)
    axes = np.atleast_1d(axes).ravel()
    for ax, params, title in zip(axes, networks, titles):
        plot_decision(ax, decision_grid(spec, params), x, y, title)
    for ax in axes[n:]:
        ax.set_visible(False)
    return fig
