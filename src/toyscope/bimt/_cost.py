r"""The connection cost of a network (BIMT, Step 2), for any :class:`~toyscope.bimt.NetworkLayout`.

.. math::

    \ell_w = \sum_{\text{linear layers } i}\ \sum_{W \in i}\ \sum_{j,k} d_{jk}\,|W_{jk}|, \qquad
    \ell_b = \sum_{\text{linear layers } i}\ \sum_{b \in i}\ \sum_k y^*\,|b_k|,

added to the loss as :math:`\lambda(\ell_w + \ell_b)`; leaves the layout charges (an MLP's
embedding table: one-hot tokens one layer gap away) add :math:`y^*\sum|x|`. :math:`A = 0`
(every :math:`d_{jk} = y^*`) is plain L1 regularisation.

``normalization="mean"`` divides each linear layer's weight term by its number of weights (query,
key and value together are ONE linear layer, :math:`[W_Q, W_K, W_V]`, as in the paper), its bias
term by its number of biases and a charged leaf's term by its size, as the authors' modular-
addition, :math:`S_4` and transformer code does (``torch.mean``); the paper's formula is the sum.

Reference: Liu, Gan & Tegmark, Entropy 26 (2024) 41, Section 2, Step 2.
"""

from __future__ import annotations

from collections.abc import Mapping

import jax.numpy as jnp
import numpy as np

from ._layout import NetworkLayout, Path, get_path

NORMALIZATIONS = ("sum", "mean")


def check_normalization(normalization: str) -> None:
    """Raise ``ValueError`` unless ``normalization`` is one of :data:`NORMALIZATIONS`."""
    if normalization not in NORMALIZATIONS:
        raise ValueError(f"unknown normalization {normalization!r}; valid: {', '.join(NORMALIZATIONS)}")


def weight_scales(layout: NetworkLayout, params, normalization: str) -> dict[Path, float]:
    """Factor of each weight matrix's term in the cost: 1, or 1 / (weights of its linear layer)."""
    scales = {}
    for linear in layout.linear_layers:
        count = sum(int(np.prod(get_path(params, (*p, "weight")).shape[-2:])) for p in linear.paths)
        for path in linear.paths:
            scales[path] = 1.0 / count if normalization == "mean" else 1.0
    return scales


def check_distances(layout: NetworkLayout, params, distances: Mapping[Path, np.ndarray]) -> None:
    """Raise ``ValueError`` unless ``distances`` holds a matrix of each weight's shape."""
    for linear in layout.linear_layers:
        for path in linear.paths:
            weight = get_path(params, (*path, "weight"))
            if path not in distances:
                raise ValueError(f"distances has no matrix for weight {path}; it needs one per weight matrix")
            if tuple(np.shape(distances[path])) != tuple(weight.shape):
                raise ValueError(f"distances[{path}] has shape {tuple(np.shape(distances[path]))}, "
                                 f"weight is {tuple(weight.shape)}")


def connection_cost(layout: NetworkLayout, params, distances: Mapping[Path, np.ndarray], *, layer_gap: float,
                    penalize_bias: bool = True, normalization: str = "sum"):
    r"""The connection cost :math:`\ell_w + \ell_b` of ONE network (see the module docstring).

    Args:
        layout: the network (:func:`~toyscope.bimt.mlp_layout`, :func:`~toyscope.bimt.transformer_layout`).
        params: one network's params.
        distances: :func:`~toyscope.bimt.network_distances` (the local geometry, or
            ``extent=0`` for plain L1).
        layer_gap: :math:`y^*`, the length charged for a bias (and a charged leaf's entry).
        penalize_bias: include :math:`\ell_b` (the paper's default).
        normalization: ``"sum"`` (the paper's formula) or ``"mean"`` (per linear layer).

    Returns:
        A scalar.

    Raises:
        ValueError: unknown ``normalization``, or distances that do not match the weights.

    Example:
        >>> import jax
        >>> from toyscope import bimt, nets
        >>> spec = nets.layered_network([2, 3, 1])
        >>> layout = bimt.mlp_layout(spec)
        >>> params = nets.init(spec, key=jax.random.key(0))
        >>> float(bimt.connection_cost(layout, params, bimt.network_distances(layout), layer_gap=0.1)) > 0
        True
    """
    weight_terms, bias_terms, charged_terms = _layer_terms(layout, params, distances, layer_gap=layer_gap,
                                                           normalization=normalization)
    total = jnp.zeros(())
    for weight_term, bias_term in zip(weight_terms, bias_terms):  # layer by layer, as the paper's sum
        total = total + weight_term
        if penalize_bias and bias_term is not None:
            total = total + bias_term
    for term in charged_terms:
        total = total + term
    return total


def connection_cost_terms(layout: NetworkLayout, params, distances: Mapping[Path, np.ndarray], *, layer_gap: float,
                          normalization: str = "sum"):
    r"""The connection cost of ONE network in two parts, ``[ℓ_w, ℓ_b]``: the weights' (and
    charged leaves') term and the biases' term of :func:`connection_cost`, for a penalty that
    weighs them apart (the authors' symbolic notebooks penalise biases only in the last quarter).

    Returns:
        ``(2,)``; its sum is :func:`connection_cost` with ``penalize_bias=True`` up to rounding.

    Example:
        >>> import jax
        >>> from toyscope import bimt, nets
        >>> spec = nets.layered_network([2, 3, 1])
        >>> layout = bimt.mlp_layout(spec)
        >>> params = nets.init(spec, key=jax.random.key(0))
        >>> bimt.connection_cost_terms(layout, params, bimt.network_distances(layout), layer_gap=0.1).shape
        (2,)
    """
    weight_terms, bias_terms, charged_terms = _layer_terms(layout, params, distances, layer_gap=layer_gap,
                                                           normalization=normalization)
    weights = sum(weight_terms, jnp.zeros(())) + sum(charged_terms, jnp.zeros(()))
    biases = sum((b for b in bias_terms if b is not None), jnp.zeros(()))
    return jnp.stack([weights, biases])


def _layer_terms(layout, params, distances, *, layer_gap, normalization):
    """Per linear layer its weight term and bias term (``None``: no biases), and each charged
    leaf's term, of the connection cost."""
    check_normalization(normalization)
    check_distances(layout, params, distances)
    scales = weight_scales(layout, params, normalization)
    weight_terms, bias_terms = [], []
    for linear in layout.linear_layers:
        weights = [get_path(params, (*p, "weight")) for p in linear.paths]
        weight_terms.append(sum(scales[p] * jnp.sum(jnp.abs(w) * jnp.asarray(distances[p]))
                                for p, w in zip(linear.paths, weights)))
        biases = [get_path(params, p)["bias"] for p in linear.paths if "bias" in get_path(params, p)]
        bias_terms.append(layer_gap * sum(jnp.sum(jnp.abs(b)) for b in biases)
                          / (sum(b.size for b in biases) if normalization == "mean" else 1) if biases else None)
    charged_terms = [layer_gap * jnp.sum(jnp.abs(leaf)) / (leaf.size if normalization == "mean" else 1)
                     for leaf in (get_path(params, path) for path in layout.charged)]
    return weight_terms, bias_terms, charged_terms
