"""Figures of an ensemble of small classifiers: accuracy classes and their loss curves, labelled
point clouds (embeddings), loss barriers against sharpness, trajectories in a plane, success
against the initialisation scale, and a histogram of final losses.

Colours follow the order of the classes given (``PALETTE[i]`` for the i-th class), so one class
has one colour in every figure of a report.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple

import numpy as np

from ._plots import PALETTE, new_figure, quantile_band, scatter_by_label


def accuracy_and_loss_figure(counts: Sequence[int], lows: Sequence[float], highs: Sequence[float],
                             class_names: Sequence[str], steps, losses, classes, *, title: str = ""):
    r"""Left: fraction of networks in each accuracy class with error bars; right: loss per class.

    Bar i has height :math:`k_i / E` (``counts[i]`` of E = ``len(classes)``) and error bars to
    ``[lows[i], highs[i]]`` (e.g. Wilson 95%). The right panel draws each class's median loss and
    10-90% band over training (log-log; step 0 drawn at step 1).

    Args:
        counts, lows, highs: per class, in the order of ``class_names``.
        steps: ``(T,)`` recorded steps; losses: ``(T, E)``; classes: ``(E,)`` class of each network.
        title: title of the bar panel.

    Returns:
        The matplotlib ``Figure``.

    >>> fig = accuracy_and_loss_figure([2, 1], [0.2, 0.05], [0.9, 0.8], ["1.0", "0.75"], np.arange(3),
    ...                                np.ones((3, 3)), np.array(["1.0", "1.0", "0.75"]))
    >>> len(fig.axes)
    2
    """
    fig, (ax_bar, ax_loss) = new_figure(10, 3.6, ncols=2)
    classes, losses = np.asarray(classes), np.asarray(losses)
    n = len(classes)
    for i, (k, low, high) in enumerate(zip(counts, lows, highs)):
        ax_bar.bar(i, k / n, color=PALETTE[i], yerr=[[max(k / n - low, 0)], [max(high - k / n, 0)]], capsize=4)
    ax_bar.set_xticks(range(len(class_names)), [f"{c} acc." for c in class_names])
    ax_bar.set_ylabel("fraction of networks (95% Wilson)")
    ax_bar.set_title(title, fontsize=9)
    for i, name in enumerate(class_names):
        chosen = classes == name
        if chosen.any():
            quantile_band(ax_loss, np.maximum(steps, 1), losses[:, chosen], color=PALETTE[i], label=f"{name} acc.")
    ax_loss.set_xscale("log")
    ax_loss.set_yscale("log")
    ax_loss.set_xlabel("step")
    ax_loss.set_ylabel("BCE loss (median, 10-90%)")
    ax_loss.legend(fontsize=8, frameon=False)
    return fig


class ScatterPanel(NamedTuple):
    """One panel of :func:`scatter_panels_figure`: ``points`` ``(n, 2)`` coloured by ``labels`` ``(n,)``.

    ``order`` and ``names`` are passed to :func:`scatter_by_label`.
    """

    points: np.ndarray
    labels: np.ndarray
    title: str
    order: Sequence | None = None
    names: Mapping | None = None


def scatter_panels_figure(panels: Sequence[ScatterPanel], *, ncols: int = 2, width: float = 11.0,
                          height: float = 7.5):
    """A grid of labelled 2-D scatters without ticks (embeddings: t-SNE, PCA), row by row.

    >>> rng = np.random.default_rng(0)
    >>> panel = ScatterPanel(rng.normal(size=(5, 2)), np.array([0, 1, 0, 1, 1]), "demo")
    >>> len(scatter_panels_figure([panel] * 4).axes)
    4
    """
    nrows = int(np.ceil(len(panels) / ncols))
    fig, axes = new_figure(width, height, nrows=nrows, ncols=ncols)
    axes = np.atleast_1d(axes).ravel()
    for ax, panel in zip(axes, panels):
        scatter_by_label(ax, panel.points, panel.labels, order=panel.order, names=panel.names)
        ax.set_title(panel.title, fontsize=9)
    for ax in axes:
        ax.set_xticks([])
        ax.set_yticks([])
    for ax in axes[len(panels):]:
        ax.set_visible(False)
    return fig


def barriers_and_sharpness_figure(barriers: Mapping[str, np.ndarray], gradient_norm, top_eigenvalue, classes,
                                  class_names: Sequence[str], *, floor: float = 1e-8):
    r"""Left: histograms of :math:`\log_{10}` loss barriers per kind of pair (values below
    ``floor`` drawn at ``log10(floor)``); right: :math:`\log_{10}\|\nabla L\|` against
    :math:`\log_{10}|\lambda_{max}|` per network, coloured by class.

    Args:
        barriers: kind (e.g. "within cluster") -> ``(M,)`` barriers.
        gradient_norm, top_eigenvalue, classes: ``(E,)`` each.

    >>> fig = barriers_and_sharpness_figure({"within": np.array([0.0, 1e-3])}, np.ones(2), np.ones(2),
    ...                                     np.array(["1.0", "0.5"]), ["1.0", "0.5"])
    >>> len(fig.axes)
    2
    """
    fig, (ax_b, ax_h) = new_figure(10, 3.6, ncols=2)
    for i, (kind, barrier) in enumerate(barriers.items()):
        ax_b.hist(np.log10(np.maximum(barrier, floor)), bins=40, alpha=0.6, color=PALETTE[i], label=kind)
    ax_b.set_xlabel("log10 loss barrier on the straight path (aligned)")
    ax_b.set_ylabel("pairs")
    ax_b.legend(fontsize=8, frameon=False)
    classes, gradient_norm, top_eigenvalue = np.asarray(classes), np.asarray(gradient_norm), np.asarray(top_eigenvalue)
    for i, name in enumerate(class_names):
        chosen = classes == name
        if chosen.any():
            ax_h.scatter(np.log10(np.maximum(gradient_norm[chosen], 1e-12)),
                         np.log10(np.maximum(np.abs(top_eigenvalue[chosen]), 1e-12)),
                         s=4, alpha=0.5, color=PALETTE[i], label=f"{name} acc.")
    ax_h.set_xlabel("log10 gradient norm at the end")
    ax_h.set_ylabel("log10 top Hessian eigenvalue")
    ax_h.legend(fontsize=8, frameon=False, markerscale=3)
    return fig


def trajectories_figure(plane, member_classes, class_names: Sequence[str], *, title: str = ""):
    """Trajectories ``(T, M, 2)`` in a plane: one line per member coloured by its class, a dot at
    each end, black dots at the starts.

    Args:
        plane: ``(T, M, 2)`` (e.g. :func:`toyscope.analysis.trajectory_plane`).
        member_classes: ``(M,)`` class of each member, each one of ``class_names``.

    >>> fig = trajectories_figure(np.zeros((3, 2, 2)), ["1.0", "0.5"], ["1.0", "0.5"])
    >>> len(fig.axes[0].lines)  # 2 trajectories + 2 legend entries
    4
    """
    plane = np.asarray(plane)
    fig, ax = new_figure(6, 5)
    for m in range(plane.shape[1]):
        colour = PALETTE[list(class_names).index(member_classes[m])]
        ax.plot(plane[:, m, 0], plane[:, m, 1], color=colour, alpha=0.5, linewidth=0.8)
        ax.scatter(plane[-1, m, 0], plane[-1, m, 1], color=colour, s=10)
    ax.scatter(plane[0, :, 0], plane[0, :, 1], color="k", s=4, label="initialisations")
    for i, name in enumerate(class_names):
        ax.plot([], [], color=PALETTE[i], label=f"ends at {name} acc.")
    ax.legend(fontsize=7, frameon=False)
    ax.set_title(title, fontsize=9)
    return fig


def rate_against_scale_figure(scales, rates, lows, highs, *, reference: float | None = None,
                              reference_label: str = "", xlabel: str = "", ylabel: str = ""):
    """A rate (e.g. fraction of nets that succeed) against a scale on a log axis, with error bars
    to ``[lows, highs]`` and an optional horizontal reference line.

    Args:
        scales, rates, lows, highs: ``(S,)`` each.

    >>> fig = rate_against_scale_figure([0.5, 1.0], [0.2, 0.4], [0.1, 0.3], [0.3, 0.5], reference=0.3,
    ...                                 reference_label="x")
    >>> fig.axes[0].get_xscale()
    'log'
    """
    rates, lows, highs = np.asarray(rates, float), np.asarray(lows, float), np.asarray(highs, float)
    fig, ax = new_figure(5.5, 3.6)
    ax.errorbar(np.asarray(scales), rates, yerr=[np.maximum(rates - lows, 0), np.maximum(highs - rates, 0)],
                marker="o", capsize=3)
    if reference is not None:
        ax.axhline(reference, color="grey", linestyle="--", label=reference_label)
        ax.legend(fontsize=8, frameon=False)
    ax.set_xscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    return fig


def loss_histogram_figure(losses, *, xlabel: str, band: tuple[float, float] | None = None, band_label: str = ""):
    """Histogram (60 bins) of final losses ``(E,)``, with an optional shaded reference band.

    >>> fig = loss_histogram_figure(np.linspace(0, 1, 50), xlabel="loss", band=(0.3, 0.6), band_label="paper")
    >>> fig.axes[0].get_xlabel()
    'loss'
    """
    fig, ax = new_figure(5.5, 3.6)
    ax.hist(np.asarray(losses), bins=60, color=PALETTE[1])
    ax.set_xlabel(xlabel)
    ax.set_ylabel("networks")
    if band is not None:
        ax.axvspan(*band, color="grey", alpha=0.2, label=band_label)
        ax.legend(fontsize=8, frameon=False)
    return fig
