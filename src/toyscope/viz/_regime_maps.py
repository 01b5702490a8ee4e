"""A regime map: quantities over a two-setting grid (e.g. learning rate x steps), one heatmap
panel per quantity, with cells marked (e.g. where a paper's description holds, where a default
run sits)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.patches import Rectangle

from ._plots import PALETTE, new_figure


def regime_map_figure(row_labels: Sequence[str], col_labels: Sequence[str], panels: Mapping[str, np.ndarray], *,
                      outlined: Sequence[tuple[int, int]] = (), outline_label: str = "",
                      dashed: Sequence[tuple[int, int]] = (), dashed_label: str = "",
                      starred: Sequence[tuple[int, int]] = (), star_label: str = "",
                      row_title: str = "", col_title: str = "", title: str = "", limits=(0.0, 1.0), fmt: str = "{:.2f}"):
    """One heatmap per entry of ``panels`` over the same ``(R, C)`` grid, each cell annotated.

    Args:
        row_labels, col_labels: ``R`` and ``C`` tick labels.
        panels: panel title -> ``(R, C)`` values (NaN cells are left blank).
        outlined: ``(row, col)`` cells drawn with a black frame on every panel (legend ``outline_label``).
        dashed: ``(row, col)`` cells drawn with a dashed frame (legend ``dashed_label``).
        starred: ``(row, col)`` cells marked with a star on every panel (legend ``star_label``).
        limits: colour scale limits shared by the panels; ``fmt`` formats the annotations.

    Returns:
        The matplotlib ``Figure`` (one row of panels).

    >>> fig = regime_map_figure(["0.1", "1"], ["1k", "5k"], {"solved": np.array([[0.1, 0.2], [0.8, 0.9]])},
    ...                         outlined=[(0, 1)], outline_label="paper", starred=[(1, 1)], star_label="default")
    >>> len(fig.axes)  # the panel and its colour bar
    2
    """
    names = list(panels)
    fig, axes = new_figure(3.2 * len(names) + 1.0, 0.45 * len(row_labels) + 1.6, ncols=len(names))
    axes = np.atleast_1d(axes)
    image = None
    for ax, name in zip(axes, names):
        values = np.asarray(panels[name], float)
        image = ax.imshow(values, vmin=limits[0], vmax=limits[1], cmap="viridis", aspect="auto")
        for (r, c), v in np.ndenumerate(values):
            if np.isfinite(v):
                ax.text(c, r, fmt.format(v), ha="center", va="center", fontsize=6.5,
                        color="white" if v < limits[0] + 0.6 * (limits[1] - limits[0]) else "black")
        for r, c in outlined:
            ax.add_patch(Rectangle((c - 0.5, r - 0.5), 1, 1, fill=False, edgecolor="black", linewidth=2.0))
        for r, c in dashed:
            ax.add_patch(Rectangle((c - 0.45, r - 0.45), 0.9, 0.9, fill=False, edgecolor="black", linewidth=1.2,
                                   linestyle="--"))
        for r, c in starred:
            ax.plot(c + 0.36, r - 0.3, marker="*", color="#d55e00", markersize=8)
        ax.set_xticks(range(len(col_labels)), list(col_labels), fontsize=7)
        ax.set_yticks(range(len(row_labels)), list(row_labels), fontsize=7)
        ax.set_xlabel(col_title, fontsize=8)
        ax.set_title(name, fontsize=9)
    axes[0].set_ylabel(row_title, fontsize=8)
    handles = []
    if outlined:
        handles.append(Rectangle((0, 0), 1, 1, fill=False, edgecolor="black", linewidth=2.0, label=outline_label))
    if dashed:
        handles.append(Rectangle((0, 0), 1, 1, fill=False, edgecolor="black", linewidth=1.2, linestyle="--",
                                 label=dashed_label))
    if starred:
        handles.append(axes[0].plot([], [], marker="*", linestyle="", color="#d55e00", label=star_label)[0])
    if handles:
        fig.legend(handles=handles, loc="outside lower center", ncols=len(handles), fontsize=8, frameon=False)
    if image is not None:
        fig.colorbar(image, ax=list(axes), shrink=0.8)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


def fractions_against_scale_figure(scales, series: Mapping[str, tuple], *, xlabel: str = "", ylabel: str = ""):
    """Several fractions against a scale on a log axis, each with error bars.

    Args:
        scales: ``(S,)``.
        series: label -> ``(rates, lows, highs)``, each ``(S,)`` (e.g. Wilson 95% bounds).

    >>> fig = fractions_against_scale_figure([0.5, 1.0], {"a": ([0.2, 0.4], [0.1, 0.3], [0.3, 0.5])})
    >>> fig.axes[0].get_xscale()
    'log'
    """
    fig, ax = new_figure(6.5, 3.8)
    styles = ["-", "--", ":", "-."]
    labels = list(series)
    for i, label in enumerate(labels):
        rates, lows, highs = (np.asarray(v, float) for v in series[label])
        ax.errorbar(np.asarray(scales) * (1 + 0.02 * i), rates,
                    yerr=[np.maximum(rates - lows, 0), np.maximum(highs - rates, 0)], marker="o", markersize=3,
                    capsize=2, color=PALETTE[i % 3], linestyle=styles[(i // 3) % len(styles)], label=label)
    ax.set_xscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_ylim(-0.02, 1.02)
    ax.legend(fontsize=6.5, frameon=False)
    return fig
