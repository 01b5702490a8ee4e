"""Figures of update attribution: q against r, the per-input correlation map, R^2 by setting and
against training length (see :mod:`toyscope.analysis` for the quantities)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from ._plots import new_figure


def _fit_line(ax, fit) -> None:
    if np.isfinite(fit.slope):
        xs = np.array([0.0, 1.0])
        ax.plot(xs, fit.intercept + fit.slope * xs, "k-", lw=1)


def relative_scatter_figure(r_blocks, q_blocks, r_biases, q_biases, fit_weights, fit_biases):
    """q against r: weights ``(m, n_blocks)`` as tiny markers coloured by block (hidden unit),
    biases ``(n,)`` beside them, each with its least-squares line (:class:`toyscope.analysis.LinearFit`)."""
    fig, (ax_w, ax_b) = new_figure(10, 4.2, ncols=2)
    r_blocks, q_blocks = np.asarray(r_blocks), np.asarray(q_blocks)
    units = np.broadcast_to(np.arange(r_blocks.shape[1]), r_blocks.shape)
    # tens of thousands of markers: an image inside the SVG (a vector copy of each made it 12 MB)
    ax_w.scatter(r_blocks.ravel(), q_blocks.ravel(), s=0.3, c=units.ravel(), cmap="hsv", alpha=0.5, linewidths=0,
                 rasterized=True)
    ax_b.scatter(r_biases, q_biases, s=8, c="tab:blue")
    for ax, fit, title in ((ax_w, fit_weights, "weights"), (ax_b, fit_biases, "biases")):
        _fit_line(ax, fit)
        ax.set(xlabel="r = relative updating due to group A", ylabel="q = relative fork difference (A split)",
               title=f"{title}: R$^2$ = {fit.r2:.3f}, n = {fit.n}", xlim=(0, 1), ylim=(0, 1))
    return fig


def correlation_map_figure(correlation_map, title: str = "corr(r, q) per input pixel"):
    """An image-shaped map of correlations on a fixed [-1, 1] diverging scale."""
    fig, ax = new_figure(4.5, 4)
    image = ax.imshow(correlation_map, cmap="RdBu_r", vmin=-1, vmax=1)
    ax.set(xticks=[], yticks=[], title=title)
    fig.colorbar(image, ax=ax)
    return fig


def r2_by_setting_figure(stats: Mapping[str, Mapping[str, Mapping]], reference: Mapping[str, Mapping[str, float]]):
    """R^2 per setting for weights and biases: seeds as dots, mean with its interval as a bar.

    Args:
        stats: setting -> {"weights"|"biases" -> {"mean", "low", "high", "per_seed"}} (an
            :func:`toyscope.analysis.interval_summary`; its ``"centre"``, when given, is the point drawn
            with the interval).
        reference: setting -> {"weights"|"biases" -> value} drawn as red crosses (e.g. the paper's).
    """
    settings = list(stats)
    fig, axes = new_figure(7, 3.5, ncols=2)
    for ax, kind in zip(axes, ("weights", "biases")):
        for i, setting in enumerate(settings):
            d = stats[setting][kind]
            ax.scatter(np.full(len(d["per_seed"]), i), d["per_seed"], s=12, c="tab:gray")
            centre = d.get("centre", d["mean"])  # the value the interval is built around
            if d["low"] is not None and np.isfinite(d["low"]):
                ax.errorbar(i + 0.15, centre, yerr=[[centre - d["low"]], [d["high"] - centre]], fmt="o", c="k")
        marked = [s for s in settings if s in reference]
        if marked:
            ax.scatter([settings.index(s) for s in marked], [reference[s][kind] for s in marked], marker="x",
                       c="tab:red", s=40, label="paper")
            ax.legend()
        ax.set_xticks(range(len(settings)), settings)
        ax.set(title=f"R$^2$ ({kind})", ylim=(0, None))
    return fig


def r2_against_steps_figure(steps: Sequence[int], stats: Mapping[str, Sequence[Mapping]],
                            reference: Mapping[str, float], xlabel: str = "fork steps"):
    """R^2 (the centre of each interval summary) with its interval band against training steps, for
    weights and biases (no band where the spread cannot be estimated)."""
    fig, ax = new_figure(5, 3.2)
    for kind, colour in (("weights", "tab:blue"), ("biases", "tab:orange")):
        mean = np.array([d.get("centre", d["mean"]) for d in stats[kind]], dtype=float)
        low = np.array([np.nan if d["low"] is None else d["low"] for d in stats[kind]], dtype=float)
        high = np.array([np.nan if d["high"] is None else d["high"] for d in stats[kind]], dtype=float)
        ax.plot(steps, mean, "o-", c=colour, label=f"{kind} (paper {reference[kind]})")
        ax.fill_between(steps, low, high, color=colour, alpha=0.2)
    ax.set(xlabel=xlabel, ylabel="R$^2$", ylim=(0, None))
    ax.legend()
    return fig


def running_loss_figure(losses: Mapping[str, np.ndarray], window: int = 50):
    """Per-step losses (one curve per name), as a running mean over ``window`` steps, log scale."""
    fig, ax = new_figure(5, 3.2)
    for name, loss in losses.items():
        width = min(window, len(loss))
        ax.plot(np.convolve(loss, np.ones(width) / width, mode="valid"), label=name)
    ax.set(xlabel="step", ylabel="loss", yscale="log")
    ax.legend()
    return fig


def attribution_map_figure(cells: Sequence[Mapping], reference: Mapping[str, float]):
    """The update-attribution regime map: R^2 against fork length, one line per fork learning rate.

    Rows: weights, biases; columns: one per (activation, phase-1 window, phase-1 rate). Each cell
    mapping needs ``activation``, ``phase1_images_of_60000``, ``phase1_learning_rate``,
    ``fork_learning_rate``, ``fork_steps`` and ``r2_weights`` / ``r2_biases`` as ``{"mean", "low",
    "high"}``; ``reference`` the paper's ``{"weights": ..., "biases": ...}`` (dashed lines).
    """
    panels = list(dict.fromkeys((c["activation"], c["phase1_images_of_60000"], c["phase1_learning_rate"]) for c in cells))
    rates = sorted({c["fork_learning_rate"] for c in cells}, reverse=True)
    fig, axes = new_figure(3.6 * len(panels), 6, nrows=2, ncols=len(panels))
    axes = np.asarray(axes).reshape(2, len(panels))
    colours = [f"C{i}" for i in range(len(rates))]
    for col, panel in enumerate(panels):
        for row, kind in enumerate(("weights", "biases")):
            ax = axes[row, col]
            for rate, colour in zip(rates, colours, strict=True):
                chosen = sorted((c for c in cells if (c["activation"], c["phase1_images_of_60000"],
                                                      c["phase1_learning_rate"]) == panel
                                 and c["fork_learning_rate"] == rate), key=lambda c: c["fork_steps"])
                if not chosen:
                    continue
                steps = [c["fork_steps"] for c in chosen]
                stat = [c[f"r2_{kind}"] for c in chosen]
                ax.plot(steps, [s["mean"] for s in stat], "o-", ms=3, c=colour, label=f"fork lr {rate:g}")
                ax.fill_between(steps, [s["low"] for s in stat], [s["high"] for s in stat], color=colour, alpha=0.15)
            ax.axhline(reference[kind], ls="--", c="k", lw=1, label=f"paper {reference[kind]}")
            ax.set(xlabel="fork steps", ylabel=f"R$^2$ ({kind})", ylim=(0, None))
            ax.set_title(f"{panel[0]}, window {panel[1]:,}/60k, lr {panel[2]:g}", fontsize=9)
            if row == 0 and col == 0:
                ax.legend(fontsize=7)
    return fig
