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


def singular_vectors_figure(covariance, *, labels: Sequence[str] | None = None, title: str = ""):
    r"""Heatmaps of the left and right singular vectors of a covariance ``C = U S V^T`` ``(U, U)``:
    column ``j`` of each panel is the j-th singular vector (singular values in decreasing order),
    rows are the units. For a symmetric positive semi-definite ``C`` the two agree up to the sign
    of each column (the panels show the SVD as computed, which the paper drew as two matrices).

    >>> fig = singular_vectors_figure(np.diag([3.0, 2.0, 1.0]), labels=["a", "b", "c"])
    >>> [ax.get_title() for ax in fig.axes[:2]]
    ['left singular vectors U', 'right singular vectors V']
    """
    covariance = np.asarray(covariance, np.float64)
    u, s, vt = np.linalg.svd(covariance)
    names = [f"s{j + 1}" for j in range(len(s))]
    fig, (ax_u, ax_v) = new_figure(10, 4.2, ncols=2)
    for ax, matrix, name in ((ax_u, u, "left singular vectors U"), (ax_v, vt.T, "right singular vectors V")):
        image = ax.imshow(matrix, cmap="RdBu_r", vmin=-1, vmax=1)
        ax.set_xticks(range(len(s)), names, fontsize=7)
        ax.set_yticks(range(len(s)), list(labels) if labels is not None else [str(i) for i in range(len(s))],
                      fontsize=7)
        ax.set_xlabel("singular vector (largest first)")
        ax.set_title(name)
    fig.colorbar(image, ax=[ax_u, ax_v], shrink=0.8)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig
