"""The scaling figure of ``toyscope bench --scaling``: cost against size on log-log axes, one
panel per benchmark, with the fitted power law of each."""

from __future__ import annotations

import numpy as np

from ._plots import new_figure


def fit_exponent(sizes, costs) -> tuple[float, float]:
    r"""``(alpha, log10 a)`` of the least-squares fit :math:`\log_{10} y = \alpha \log_{10} x + \log_{10} a`.

    Raises:
        ValueError: fewer than two positive points.

    Example:
        >>> round(fit_exponent([1, 10, 100], [2, 20, 200])[0], 6)
        1.0
    """
    x, y = np.asarray(sizes, float), np.asarray(costs, float)
    keep = (x > 0) & (y > 0) & np.isfinite(x) & np.isfinite(y)
    if keep.sum() < 2:
        raise ValueError(f"need at least two positive (size, cost) points, got {int(keep.sum())}")
    slope, intercept = np.polyfit(np.log10(x[keep]), np.log10(y[keep]), 1)
    return float(slope), float(intercept)


def scaling_figure(series: dict[str, tuple[str, list, dict[str, list]]]):
    """One log-log panel per benchmark.

    Args:
        series: benchmark -> ``(size label, sizes, {cost label: costs})``; each cost is drawn
            with its fitted exponent in the legend.

    Returns:
        A matplotlib ``Figure``.
    """
    fig, axes = new_figure(3.6 * len(series), 3.2, ncols=len(series))
    axes = np.atleast_1d(axes)
    for ax, (name, (size_label, sizes, costs)) in zip(axes, series.items()):
        for label, values in costs.items():
            line, = ax.loglog(sizes, values, "o-", label=label)
            try:
                alpha, log_a = fit_exponent(sizes, values)
            except ValueError:
                continue
            grid = np.geomspace(min(sizes), max(sizes), 20)
            ax.loglog(grid, 10 ** log_a * grid ** alpha, "--", color=line.get_color(), alpha=0.6,
                      label=f"fit: exponent {alpha:.2f}")
        ax.set_title(name)
        ax.set_xlabel(size_label)
        ax.legend(fontsize=7)
    return fig
