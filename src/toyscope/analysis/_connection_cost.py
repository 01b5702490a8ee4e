r"""The connection cost of a layered network (BIMT, Step 2).

.. math::

    \ell_w = \sum_{i=1}^{L}\sum_{j,k} d_{ijk}\,|w_{ijk}|, \qquad
    \ell_b = \sum_{i=1}^{L}\sum_k y^*\,|b_{ik}|,

added to the loss as :math:`\lambda(\ell_w + \ell_b)`. With token inputs the first weight
layer's rows are ``n_tokens`` copies of the embedding positions (they share coordinates), and
the embedding table is charged :math:`y^* |E|` (one-hot tokens one layer gap away).
:math:`A = 0` (every :math:`d_{ijk} = y^*`) is plain L1 regularisation.

``normalization="mean"`` divides each layer's weight term by its number of weights (and the
bias and embedding terms by theirs), as the authors' modular-addition and :math:`S_4` code does
(``torch.mean``); the paper's formula is the sum.

Reference: Liu, Gan & Tegmark, Entropy 26 (2024) 41, Section 2, Step 2.
"""

from __future__ import annotations

from collections.abc import Sequence

import jax.numpy as jnp


def _as_network(params) -> dict:
    return params if isinstance(params, dict) else {"layers": list(params)}


def _row_distances(weight_rows: int, distance):
    """Tile a ``(d_0, n_1)`` distance matrix over token groups to match ``weight_rows`` rows."""
    groups = weight_rows // distance.shape[0]
    return jnp.tile(distance, (groups, 1)) if groups > 1 else distance


def check_distances(params, distances: Sequence) -> None:
    """Raise ``ValueError`` unless ``distances`` has one matrix per weight layer of the right shape."""
    layers = _as_network(params)["layers"]
    if len(distances) != len(layers):
        raise ValueError(f"distances needs one matrix per weight layer ({len(layers)}), got {len(distances)}")
    for index, (layer, dist) in enumerate(zip(layers, distances)):
        rows, cols = layer["weight"].shape[-2:]
        if dist.shape[1] != cols or rows % dist.shape[0]:
            raise ValueError(f"distances[{index}] has shape {tuple(dist.shape)}; weight layer {index} is ({rows}, {cols})")


NORMALIZATIONS = ("sum", "mean")


def connection_cost(params, distances: Sequence, *, layer_gap: float, penalize_bias: bool = True,
                    normalization: str = "sum"):
    r"""The connection cost :math:`\ell_w + \ell_b` of ONE network.

    Args:
        params: a :func:`toyscope.nets.init` dict of a layered network, or plain
            ``toyscope.nets`` MLP params (a list of layer dicts).
        distances: one ``(n_{i-1}, n_i)`` matrix :math:`d_{ijk}` per weight layer (from
            :func:`~toyscope.analysis.connection_distances`).
        layer_gap: :math:`y^*`, the length charged for a bias (and an embedding entry).
        penalize_bias: include :math:`\ell_b` (the paper's default).
        normalization: ``"sum"`` (the paper's formula) or ``"mean"`` (per-layer means).

    Returns:
        A scalar.

    Raises:
        ValueError: unknown ``normalization``, or distances that do not match the weights.
    """
    if normalization not in NORMALIZATIONS:
        raise ValueError(f"unknown normalization {normalization!r}; valid: {', '.join(NORMALIZATIONS)}")
    check_distances(params, distances)
    reduce = jnp.sum if normalization == "sum" else jnp.mean
    network = _as_network(params)
    total = jnp.zeros(())
    for layer, dist in zip(network["layers"], distances):
        weight = layer["weight"]
        total = total + reduce(jnp.abs(weight) * _row_distances(weight.shape[0], jnp.asarray(dist)))
        if penalize_bias and "bias" in layer:
            total = total + layer_gap * reduce(jnp.abs(layer["bias"]))
    if "embedding" in network:
        total = total + layer_gap * reduce(jnp.abs(network["embedding"]))
    return total
