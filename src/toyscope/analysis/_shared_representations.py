r"""Shared representations in routing networks: hidden codes of every domain, their cosine
similarity across domains, and the singular values of shared against domain-specific weights.

A network that routes M input domains through one shared pathway has learnt a shared
representation when the same item gets the same first-hidden-layer code from every domain
(high same-item cross-domain similarity), and its shared hidden weights then carry the
singular values of all :math:`M^2` routes (about :math:`\sqrt M` times those of an input matrix).

Reference: Saxe, Sodhani & Lewallen, *The Neural Race Reduction* (ICML 2022), Figs. 4f-g, 5b, 6c.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import jax.numpy as jnp
import numpy as np


def domain_codes(params, encodings, *, node: str = "h1_0_0") -> np.ndarray:
    r"""Codes :math:`h_{in} = x_{in} W_{in_i \to node}` of every (domain i, item n) at ``node``.

    Args:
        params: pathway-net weights (row layout) with a leading ensemble axis E; edges
            ``"in{i}->{node}"`` ``(E, d_in, N_h)``.
        encodings: ``(M, n_items, d_in)`` per-domain inputs.
        node: the hidden node every input domain feeds.

    Returns:
        ``(E, M * n_items, N_h)``, rows domain-major (domain 0's items first).

    Example:
        >>> import numpy as np
        >>> from toyscope import analysis
        >>> params = {"in0->h1_0_0": np.ones((1, 2, 3)), "in1->h1_0_0": np.zeros((1, 2, 3))}
        >>> analysis.domain_codes(params, np.eye(2)[None].repeat(2, 0)).shape
        (1, 4, 3)
    """
    encodings = np.asarray(encodings)
    return np.concatenate([np.einsum("nd,edh->enh", encodings[i], np.asarray(params[f"in{i}->{node}"]))
                           for i in range(encodings.shape[0])], axis=1)


def cosine_similarity(codes) -> np.ndarray:
    r"""Cosine similarity between rows, :math:`S_{rs} = h_r\cdot h_s / (\lVert h_r\rVert\lVert h_s\rVert)`
    (norms floored at 1e-12, so a zero row has similarity 0).

    Args:
        codes: ``(E, R, N)``.

    Returns:
        ``(E, R, R)``.

    Example:
        >>> import numpy as np
        >>> from toyscope import analysis
        >>> analysis.cosine_similarity(np.array([[[1.0, 0.0], [2.0, 2.0]]])).round(3).tolist()
        [[[1.0, 0.707], [0.707, 1.0]]]
    """
    codes = np.asarray(codes)
    unit = codes / np.maximum(np.linalg.norm(codes, axis=-1, keepdims=True), 1e-12)
    return np.einsum("erh,esh->ers", unit, unit)


def cross_domain_similarity(similarity, n_domains: int, n_items: int) -> tuple[np.ndarray, np.ndarray]:
    r"""Mean similarity between codes from different domains: of the same item, and of different items.

    .. math:: \bar S_{same} = \langle S_{(i,n),(j,n)}\rangle_{i\ne j},\qquad
              \bar S_{diff} = \langle S_{(i,n),(j,m)}\rangle_{i\ne j,\ n\ne m}.

    Args:
        similarity: ``(E, M * n_items, M * n_items)`` with domain-major rows (:func:`cosine_similarity`
            of :func:`domain_codes`).
        n_domains: M. n_items: items per domain.

    Returns:
        ``(same (E,), different (E,))``.

    Example:
        >>> import numpy as np
        >>> from toyscope import analysis
        >>> sim = np.tile(np.eye(2), (2, 2))[None]  # each item has one code shared by both domains
        >>> [v.tolist() for v in analysis.cross_domain_similarity(sim, 2, 2)]
        [[1.0], [0.0]]
    """
    domain = np.repeat(np.arange(n_domains), n_items)
    item = np.tile(np.arange(n_items), n_domains)
    cross = domain[:, None] != domain[None, :]
    same = cross & (item[:, None] == item[None, :])
    diff = cross & (item[:, None] != item[None, :])
    similarity = np.asarray(similarity)
    return similarity[:, same].mean(-1), similarity[:, diff].mean(-1)


def top_singular_values(weights, n: int) -> np.ndarray:
    """The ``n`` largest singular values of the trailing two axes: ``(..., d_s, d_t) -> (..., n)``.

    Example:
        >>> import numpy as np
        >>> from toyscope import analysis
        >>> analysis.top_singular_values(np.diag([1.0, 3.0, 2.0]), 2).tolist()
        [3.0, 2.0]
    """
    return np.linalg.svd(np.asarray(weights), compute_uv=False)[..., :n]


class RoutingSpectra(NamedTuple):
    """Top singular values of a routing net's shared hidden weights and of its input and output
    weights (each averaged over the M domains); arrays ``(..., n)`` with the leading axes of the
    weights (e.g. ``(S, E, n)`` for training snapshots)."""

    hidden: np.ndarray
    input: np.ndarray
    output: np.ndarray

    def hidden_to_input_ratio(self) -> np.ndarray:
        """Ratio of the top hidden to the top (domain-mean) input singular value: ``(...)``."""
        return self.hidden[..., 0] / self.input[..., 0]

    def hidden_to_output_ratio(self) -> np.ndarray:
        """Ratio of the top hidden to the top (domain-mean) output singular value: ``(...)``."""
        return self.hidden[..., 0] / self.output[..., 0]


def routing_spectra(params, n_domains: int, n: int = 4) -> RoutingSpectra:
    r"""Top-``n`` singular values of ``h1_0_0->h2_0_0`` and the domain means of those of
    ``in{i}->h1_0_0`` and ``h2_0_0->out{o}`` (one shared pathway, Fig. 4f: the hidden values are
    about :math:`\sqrt M` times the others).

    Args:
        params: pathway-net weights with any leading axes (e.g. snapshots ``(S, E, d_s, d_t)``).
        n_domains: M. n: how many singular values.

    Returns:
        A :class:`RoutingSpectra`.

    Example:
        >>> import numpy as np
        >>> from toyscope import analysis
        >>> params = {"h1_0_0->h2_0_0": 2 * np.eye(3), "in0->h1_0_0": np.eye(3), "in1->h1_0_0": np.eye(3),
        ...           "h2_0_0->out0": np.eye(3), "h2_0_0->out1": np.eye(3)}
        >>> float(analysis.routing_spectra(params, 2, n=1).hidden_to_input_ratio())
        2.0
    """
    hidden = top_singular_values(params["h1_0_0->h2_0_0"], n)
    inputs = np.mean([top_singular_values(params[f"in{i}->h1_0_0"], n) for i in range(n_domains)], axis=0)
    outputs = np.mean([top_singular_values(params[f"h2_0_0->out{o}"], n) for o in range(n_domains)], axis=0)
    return RoutingSpectra(hidden, inputs, outputs)


def top_singular_value_metric(edges: Sequence[str]):
    r"""A training metric ``params -> scalar``: the largest top singular value among ``edges``,
    :math:`\max_e \sigma_1(W_e)` (jax; for :func:`toyscope.train.train`'s ``metrics``).

    Args:
        edges: names of equally shaped weight matrices of one network.

    Example:
        >>> import jax.numpy as jnp
        >>> from toyscope import analysis
        >>> metric = analysis.top_singular_value_metric(["a", "b"])
        >>> float(metric({"a": jnp.eye(2), "b": 3 * jnp.eye(2)}))
        3.0
    """
    names = tuple(edges)

    def top_singular_value(params):
        return jnp.linalg.svd(jnp.stack([params[e] for e in names]), compute_uv=False)[:, 0].max()

    return top_singular_value
