r"""Measurements of trained BIMT MLPs from the paper's Section 3.3: module knock-outs (modular
addition) and the active embedding neurons with their correlation to the permutation sign
(:math:`S_4`).

Reference: Liu, Gan & Tegmark, Entropy 26 (2024) 41, Section 3.3 and Figures 5-6.
"""

from __future__ import annotations

from collections.abc import Sequence

import jax
import jax.numpy as jnp
import numpy as np

from .. import analysis, nets


def module_knockouts(spec: nets.LayeredNetwork, params, communities: Sequence, x, labels, *,
                     min_share: float = 0.05) -> list[tuple[str, int, float]]:
    """Test accuracy of ONE network, intact and after knocking out each Newman module.

    A module's non-output neurons (``(layer, slot)`` nodes of :func:`toyscope.analysis.neuron_graph`
    below the output layer) are knocked out (:func:`toyscope.analysis.knock_out_neurons`) if the
    module holds at least ``min_share`` of the graph's total :math:`|w|`.

    Args:
        spec: the network; params: its params (numpy or jax).
        communities: from ``toyscope.analysis.modularity(..., return_communities=True)``.
        x, labels: test inputs and integer labels.
        min_share: smallest share of the total edge weight a knocked-out module holds.

    Returns:
        ``[("none", 0, accuracy), ("module i", n_neurons, accuracy), ...]``.
    """
    x, labels = jnp.asarray(x), jnp.asarray(labels)
    accuracy = lambda p: float(jnp.mean(jnp.argmax(nets.apply(spec, p, x), -1) == labels))  # noqa: E731
    n_layers = spec.mlp.n_layers
    rows = [("none", 0, accuracy(params))]
    graph = analysis.neuron_graph([np.asarray(layer["weight"]) for layer in params["layers"]])
    total = graph.size(weight="weight")
    for index, community in enumerate(communities):
        neurons = [n for n in community if n[0] < n_layers]
        strength = graph.subgraph(community).size(weight="weight")
        if not neurons or strength < min_share * total:
            continue
        knocked = analysis.knock_out_neurons(spec, jax.tree_util.tree_map(jnp.asarray, params), neurons)
        rows.append((f"module {index}", len(neurons), accuracy(knocked)))
    return rows


def active_embedding_neurons(params, signs, threshold: float) -> list[tuple[int, float, float]]:
    """The active embedding neurons of ONE two-token network and their correlation with a sign.

    A slot is active if its embedding column and its outgoing weights (either token's) both have
    an entry above ``threshold`` in magnitude.

    Args:
        params: a token network's params (``embedding`` ``(vocab, d)``, first weight ``(2 d, h)``).
        signs: ``(vocab,)`` the permutation sign of each token.
        threshold: the activity threshold.

    Returns:
        ``[(slot, max |E[:, slot]|, Pearson r of E[:, slot] with signs), ...]`` (r = 0 for a
        constant column), slots in increasing order.
    """
    embedding = np.asarray(params["embedding"])
    width = embedding.shape[1]
    outgoing = np.abs(np.asarray(params["layers"][0]["weight"])).reshape(2, width, -1).max(axis=(0, 2))
    active = np.flatnonzero((outgoing > threshold) & (np.abs(embedding).max(axis=0) > threshold))
    signs = np.asarray(signs).astype(float)
    rows = []
    for slot in active:
        column = embedding[:, slot]
        r = float(np.corrcoef(column, signs)[0, 1]) if column.std() > 0 else 0.0
        rows.append((int(slot), float(np.abs(column).max()), r))
    return rows


def feature_neurons(spec: nets.LayeredNetwork, params, x, features, layer: int, *, threshold: float = 0.1):
    r"""Which neurons of hidden neuron layer ``layer`` of ONE MLP are active, and how each one's
    activation correlates with given features (the paper's Figure 3b/3c claims, Section 3.1).

    A neuron :math:`j` of layer :math:`l` is *active* when it has an incoming weight with
    :math:`|W^{(l)}_{ij}| \ge` ``threshold`` :math:`\max|W^{(l)}|` and an outgoing one with
    :math:`|W^{(l+1)}_{jk}| \ge` ``threshold`` :math:`\max|W^{(l+1)}|` (slot order). For each
    active neuron, :math:`r_{jf}` is the Pearson correlation over the rows of ``x`` of its
    post-activation :math:`h_j(x)` with feature column :math:`f`.

    Args:
        spec: a vector-input layered network; params: ONE network's params.
        x: ``(n, d_0)`` inputs (feature order, as ``nets.apply`` takes them).
        features: ``(n, F)`` quantities to correlate with (e.g. :math:`x_1^2, x_2^2, x_3^2`).
        layer: hidden neuron layer, 1 ... L-1 (0 is the input).
        threshold: relative weight threshold in (0, 1].

    Returns:
        ``(active_slots, r)``: a list of slots and ``(len(active_slots), F)`` correlations (a
        constant activation gives ``nan``).

    Raises:
        ValueError: ``layer`` not a hidden layer, or ``threshold`` outside (0, 1].

    Example:
        >>> import numpy as np
        >>> from toyscope import nets
        >>> spec = nets.layered_network([2, 3, 1])
        >>> p = {"layers": [{"weight": np.array([[1.0, 0, 0], [0, 0, 0]]), "bias": np.zeros(3)},
        ...                 {"weight": np.array([[1.0], [0], [0]]), "bias": np.zeros(1)}],
        ...      "input_order": np.arange(2.0), "output_order": np.zeros(1)}
        >>> x = np.linspace(-1, 1, 9)[:, None].repeat(2, 1)
        >>> slots, r = feature_neurons(spec, p, x, x[:, :1], 1)
        >>> slots, bool(r[0, 0] > 0.9)
        ([0], True)
    """
    n_layers = len(params["layers"])
    if not 1 <= layer < n_layers:
        raise ValueError(f"layer must be a hidden neuron layer, 1 ... {n_layers - 1}, got {layer}")
    if not 0 < threshold <= 1:
        raise ValueError(f"threshold must be in (0, 1], got {threshold}")
    w_in = np.abs(np.asarray(params["layers"][layer - 1]["weight"]))
    w_out = np.abs(np.asarray(params["layers"][layer]["weight"]))
    active = np.flatnonzero((w_in.max(axis=0) >= threshold * w_in.max()) & (w_out.max(axis=1) >= threshold * w_out.max()))
    h = np.asarray(nets.activations(spec, params, jnp.asarray(x))[layer], dtype=np.float64)[:, active]
    f = np.asarray(features, dtype=np.float64)
    hc, fc = h - h.mean(axis=0), f - f.mean(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (hc.T @ fc) / np.outer(np.linalg.norm(hc, axis=0), np.linalg.norm(fc, axis=0))
    return [int(s) for s in active], r
