"""Decision boundaries of a 2-input softmax classifier over training (BIMT Figure 4, bottom)."""

from __future__ import annotations

from collections.abc import Sequence

import jax
import jax.numpy as jnp
import matplotlib.figure
import numpy as np

from .. import nets
from ._decision import plot_decision


def softmax_grid(spec: nets.LayeredNetwork, params, *, limits=(-1.5, 2.5), resolution: int = 80,
                 class_index: int = 1) -> np.ndarray:
    """Softmax probability of class ``class_index`` of ONE 2-input BIMT MLP on a square grid,
    ``(resolution, resolution)``: row i is ``x2 = grid[i]``, column j is ``x1 = grid[j]``."""
    axis = np.linspace(*limits, resolution, dtype=np.float32)
    grid_x, grid_y = np.meshgrid(axis, axis)
    points = jnp.asarray(np.stack([grid_x.ravel(), grid_y.ravel()], axis=1))
    probability = jax.nn.softmax(nets.apply(spec, params, points))[:, class_index]
    return np.asarray(probability).reshape(resolution, resolution)


def decision_snapshots_figure(spec: nets.LayeredNetwork, snapshots: Sequence, titles: Sequence[str], x, y, *,
                              limits=(-1.5, 2.5), resolution: int = 80):
    """One panel per snapshot: the class-2 softmax probability (:func:`softmax_grid`) with the
    points ``x`` ``(n, 2)`` coloured by label ``y`` ``(n,)``.

    Args:
        spec: the network; snapshots: ONE network's params per panel; titles: one per panel.
        x, y: the points drawn on every panel.
    """
    fig = matplotlib.figure.Figure(figsize=(2.4 * len(snapshots), 2.6))
    axes = fig.subplots(1, len(snapshots), squeeze=False)[0]
    for ax, params, title in zip(axes, snapshots, titles):
        plot_decision(ax, softmax_grid(spec, params, limits=limits, resolution=resolution), limits=limits, title=title)
        ax.scatter(np.asarray(x)[:, 0], np.asarray(x)[:, 1], c=y, s=2, cmap="coolwarm", alpha=0.4)
    return fig
