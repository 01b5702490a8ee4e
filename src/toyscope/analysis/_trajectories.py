r"""Training trajectories as point clouds: every snapshot of every network as a flat parameter
vector, and their projection on the top two principal axes of all snapshot points together."""

from __future__ import annotations

import numpy as np

from .. import nets
from ._embedding import pca_embedding, tsne_embedding


def flat_snapshots(snapshots, n_snapshots: int) -> np.ndarray:
    r"""Flatten stacked snapshots of an ensemble: ``(T, E, P)``.

    Args:
        snapshots: MLP params whose leaves carry ``(T, E, ...)`` (snapshot, member, ...), as in
            a training result's ``snapshots``.
        n_snapshots: T.

    Returns:
        ``(T, E, P)``; row ``[t, e]`` is member e at snapshot t in :func:`toyscope.nets.flatten_params` order.

    >>> import jax
    >>> from toyscope import nets
    >>> spec = nets.mlp([2, 2, 1], "sigmoid")
    >>> params = nets.init(spec, key=jax.random.key(0), n_networks=3)
    >>> stacked = jax.tree_util.tree_map(lambda a: np.stack([a, 2 * a]), params)
    >>> flat_snapshots(stacked, 2).shape
    (2, 3, 9)
    """
    snaps = [{k: np.asarray(v) for k, v in layer.items()} for layer in snapshots]
    return np.stack([np.asarray(nets.flatten_params([{k: v[t] for k, v in layer.items()} for layer in snaps]))
                     for t in range(n_snapshots)])


def trajectory_plane(flat) -> np.ndarray:
    r"""Project trajectories ``(T, M, P)`` on the top two principal axes of all ``T M`` points.

    Returns:
        ``(T, M, 2)`` coordinates in that plane.

    >>> rng = np.random.default_rng(0)
    >>> trajectory_plane(rng.normal(size=(4, 3, 5))).shape
    (4, 3, 2)
    """
    flat = np.asarray(flat)
    points, _ = pca_embedding(flat.reshape(-1, flat.shape[-1]))
    return points.reshape(flat.shape[0], flat.shape[1], 2)


def trajectory_tsne(flat, *, seed: int, perplexity: float = 30.0, iterations: int = 1000) -> np.ndarray:
    r"""Embed trajectories ``(T, M, P)`` with one t-SNE of all ``T M`` points (as the xor-basins
    paper drew its trajectory graphs), seeded: ``(T, M, 2)``. Unlike :func:`trajectory_plane`,
    distances in the picture are not distances in parameter space (t-SNE keeps neighbourhoods).

    >>> rng = np.random.default_rng(0)
    >>> trajectory_tsne(rng.normal(size=(5, 4, 3)), seed=0, iterations=250).shape
    (5, 4, 2)
    """
    flat = np.asarray(flat)
    points = tsne_embedding(flat.reshape(-1, flat.shape[-1]), seed=seed, perplexity=perplexity, iterations=iterations)
    return points.reshape(flat.shape[0], flat.shape[1], 2)
