"""Figures of an activation covariance: the matrix as a heatmap beside its singular values."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from ._plots import PALETTE, heatmap, new_figure


def covariance_spectrum_figure(covariance, spectra: Mapping[str, np.ndarray], *, labels: Sequence[str] | None = None,
                               title: str = "", relative_threshold: float = 0.01):
    r"""Left: the covariance ``(U, U)`` as a heatmap; right: singular values (log scale) of each
    of ``spectra`` (name -> ``(U,)``, values below 1e-12 drawn at 1e-12), with a dashed line at
    ``relative_threshold`` times the largest singular value of the FIRST spectrum.

    >>> cov = np.diag([2.0, 1.0, 1e-3])
    >>> fig = covariance_spectrum_figure(cov, {"now": np.diag(cov)}, labels=["a", "b", "c"])
    >>> len(fig.axes[1].lines)  # the spectrum and the threshold
    2
    """
    fig, (ax_c, ax_s) = new_figure(10, 4, ncols=2)
    heatmap(ax_c, covariance, labels=labels, title=title)
    for i, (name, s) in enumerate(spectra.items()):
        ax_s.semilogy(np.arange(1, len(s) + 1), np.maximum(s, 1e-12), marker="o", color=PALETTE[i], label=name)
    first = np.asarray(next(iter(spectra.values())))
    ax_s.axhline(relative_threshold * first.max(), color="grey", linestyle="--",
                 label=f"{100 * relative_threshold:g}% of largest")
    ax_s.set_xlabel("index")
    ax_s.set_ylabel("singular value")
    ax_s.legend(fontsize=8, frameon=False)
    return fig
