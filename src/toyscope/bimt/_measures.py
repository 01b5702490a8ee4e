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
