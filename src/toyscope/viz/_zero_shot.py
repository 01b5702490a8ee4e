"""Figures of zero-shot generalisation: error on trained and untrained routes against the
fraction of trained routes and against the initialisation scale (neural race Figs. 5c, 6a-b,
7c-d; errors from :func:`toyscope.analysis.route_errors` and
:func:`toyscope.analysis.route_classification_errors`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from ..analysis import seed_interval
from ._plots import new_figure


def route_error_figure(fractions, trained: Sequence, untrained: Sequence, *, title: str, paper_fraction: float = 0.4):
    """Error on trained (blue) and untrained (red) routes against K/M: the geometric mean over
    members with its 95% interval on the log scale (:func:`toyscope.analysis.seed_interval`,
    ``"positive"``; no bar where fewer than three members give no spread), on a symlog axis,
    with the paper's threshold dotted (Fig. 5c).

    Args:
        fractions: ``(S,)`` K/M per setting. trained, untrained: ``S`` arrays ``(E,)`` of per-member errors.
        title: the axes title. paper_fraction: where to draw the dotted line.

    Example:
        >>> import numpy as np
        >>> from toyscope import viz
        >>> fig = viz.route_error_figure([0.1, 0.5], [np.ones(3), np.ones(3)], [np.ones(3), np.zeros(3)], title="M = 10")
        >>> len(fig.axes)
        1
    """
    fig, ax = new_figure(5.0, 3.6)
    x = np.asarray(fractions)
    for series, color, label in ((trained, "tab:blue", "trained"), (untrained, "tab:red", "untrained")):
        intervals = [seed_interval(s, "positive") for s in series]
        centre = np.array([iv.estimate for iv in intervals])
        low = np.array([iv.low if iv.spread_known else iv.estimate for iv in intervals])
        high = np.array([iv.high if iv.spread_known else iv.estimate for iv in intervals])
        ax.errorbar(x, centre, yerr=[centre - low, high - centre], color=color, marker="o", capsize=3, label=label)
    ax.set(xlabel="K / M", ylabel="error ||Y_hat - Y||^2 / ||Y||^2", title=title, yscale="symlog")
    ax.axvline(paper_fraction, color="gray", ls=":", lw=0.8)
    ax.legend()
    return fig


def init_scale_figure(times, losses: Sequence, scales: Sequence[float], trained_means, untrained_means):
    """Left: member-mean loss relative to its start for each init scale (log axis, Fig. 6a).
    Right: mean error on trained (blue) and untrained (red) routes against sigma0 (Fig. 6b).

    Args:
        times: ``(T,)``. losses: one ``(T, E)`` per scale. scales: the sigma0 values.
        trained_means, untrained_means: ``(len(scales),)`` mean errors.

    Example:
        >>> import numpy as np
        >>> from toyscope import viz
        >>> fig = viz.init_scale_figure(np.arange(3), [np.ones((3, 2))], [0.2], [0.0], [1.0])
        >>> len(fig.axes)
        2
    """
    fig, axes = new_figure(10.0, 3.6, ncols=2)
    for si, (loss, sigma0) in enumerate(zip(losses, scales)):
        loss = np.asarray(loss)
        axes[0].plot(times, loss.mean(1) / loss[0].mean(), color=f"C{si}", label=f"sigma0 = {sigma0}")
    for means, color, label in ((trained_means, "tab:blue", "trained"), (untrained_means, "tab:red", "untrained")):
        axes[1].plot(scales, means, "o-", color=color, label=label)
    axes[0].set(xlabel="t", ylabel="loss / initial", yscale="log", title="Fig. 6a: loss")
    axes[0].legend(fontsize=7)
    axes[1].set(xlabel="sigma0", ylabel="error", title="Fig. 6b: error vs init scale", yscale="symlog")
    axes[1].legend()
    return fig


def classification_error_figure(panels: Sequence[Mapping], *, chance: float):
    """Side-by-side panels of test classification error on trained (blue) and untrained (orange)
    routes, chance dotted (Fig. 7c-d).

    Args:
        panels: per panel ``{"x": (S,), "trained": (S,), "untrained": (S,), "xlabel": str, "title": str}``
            with mean errors per setting.
        chance: the error of guessing (0.9 for ten classes).

    Example:
        >>> from toyscope import viz
        >>> panel = {"x": [0.1, 0.4], "trained": [0.1, 0.1], "untrained": [0.8, 0.2], "xlabel": "K / M", "title": ""}
        >>> len(viz.classification_error_figure([panel, panel], chance=0.9).axes)
        2
    """
    fig, axes = new_figure(5.0 * len(panels), 3.6, ncols=len(panels))
    for ax, panel in zip(np.atleast_1d(axes), panels):
        for name, color in (("trained", "tab:blue"), ("untrained", "tab:orange")):
            ax.plot(panel["x"], panel[name], "o-", color=color, label=name)
        ax.set(xlabel=panel["xlabel"], ylabel="test classification error", title=panel["title"])
        ax.axhline(chance, color="gray", ls=":", lw=0.8)
        ax.legend()
    return fig
