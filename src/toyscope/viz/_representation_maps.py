"""Figures of shared representations: hidden-code similarity matrices and the outputs of every
route (neural race Figs. 4g-h, 6c; similarity from :func:`toyscope.analysis.cosine_similarity`,
outputs from :func:`toyscope.analysis.route_output_grid`)."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.patches
import numpy as np

from ._plots import new_figure


def similarity_outputs_figure(similarity, outputs, routes, *, n_items: int, d_out: int):
    """Left: a cosine-similarity matrix on a fixed [-1, 1] scale (Fig. 4g). Right: the outputs of
    every route, untrained routes boxed in red (Fig. 4h).

    Args:
        similarity: ``(M * n_items, M * n_items)`` (one member).
        outputs: ``(M * n_items, M * d_out)`` route output grid (one member).
        routes: ``(M, M)`` bool trained routes.
        n_items, d_out: block sizes of the grid.

    Example:
        >>> import numpy as np
        >>> from toyscope import viz
        >>> fig = viz.similarity_outputs_figure(np.eye(8), np.zeros((8, 14)), np.eye(2, dtype=bool), n_items=4, d_out=7)
        >>> len(fig.axes)  # two panels and a colour bar
        3
    """
    fig, axes = new_figure(8.4, 3.6, ncols=2)
    im = axes[0].imshow(similarity, vmin=-1, vmax=1, cmap="RdBu_r")
    axes[0].set(title="hidden-1 similarity, rep 0\n(rows: domain x item)", xlabel="domain, item", ylabel="domain, item")
    fig.colorbar(im, ax=axes[0], shrink=0.8)
    axes[1].imshow(outputs, cmap="viridis", aspect="auto")
    for i, o in zip(*np.nonzero(~np.asarray(routes, bool))):
        axes[1].add_patch(matplotlib.patches.Rectangle((o * d_out - 0.5, i * n_items - 0.5), d_out, n_items,
                                                       fill=False, ec="red", lw=0.8))
    axes[1].set(title="outputs, rep 0 (red: untrained routes)", xlabel="output domain x feature",
                ylabel="input domain x item")
    return fig


def similarity_panels_figure(similarities: Sequence, titles: Sequence[str]):
    """Similarity matrices side by side on a fixed [-1, 1] scale, without ticks (Fig. 6c).

    Args:
        similarities: ``(R, R)`` matrices. titles: one per matrix.

    Example:
        >>> import numpy as np
        >>> from toyscope import viz
        >>> len(viz.similarity_panels_figure([np.eye(3), np.eye(3)], ["a", "b"]).axes)
        2
    """
    fig, axes = new_figure(3.4 * len(similarities), 3.6, ncols=len(similarities))
    for ax, sim, title in zip(np.atleast_1d(axes), similarities, titles):
        ax.imshow(sim, vmin=-1, vmax=1, cmap="RdBu_r")
        ax.set(title=title, xticks=[], yticks=[])
    return fig
