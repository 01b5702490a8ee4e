r"""Activation covariance of a network over a set of inputs, its spectrum and block structure.

With :math:`a(x) \in \mathbb{R}^U` the activations of all U units (every layer, concatenated)
and inputs :math:`x_1..x_N`, :math:`C = \frac{1}{N}\sum_n (a(x_n) - \bar a)(a(x_n) - \bar a)^\top`.
Its singular values (= eigenvalues, C is symmetric PSD) count how many independent directions
the activations vary in over the inputs: a rank of r means every unit is an affine function of
r underlying features *on these inputs*.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .. import nets


def unit_activations(spec: nets.MLP, params, x, *, output: str = "sigmoid") -> np.ndarray:
    """Post-activations of every unit of ONE network, layers concatenated: ``(N, U)``.

    ``output="sigmoid"`` reports a linear (logit) output layer as its probability, the unit's
    natural activation in a classifier; ``"raw"`` keeps the logits.
    """
    if nets.is_ensemble(spec, params):
        raise ValueError("unit_activations takes one network; index the ensemble first")
    if output not in ("sigmoid", "raw"):
        raise ValueError(f"output must be 'sigmoid' or 'raw', got {output!r}")
    _, post = nets.activations(spec, params, np.asarray(x, np.float32))
    post = [np.asarray(p, np.float64) for p in post]
    if output == "sigmoid" and spec.activations[-1] == "linear":
        post[-1] = 1.0 / (1.0 + np.exp(-post[-1]))
    return np.concatenate(post, axis=-1)


def activation_covariance(activations) -> np.ndarray:
    """Population covariance (divide by N) of ``(N, U)`` activations: ``(U, U)``."""
    a = np.asarray(activations, np.float64)
    centred = a - a.mean(axis=0)
    return centred.T @ centred / len(a)


def effective_rank(singular_values, relative_threshold: float = 0.01) -> int:
    """Number of singular values above ``relative_threshold`` times the largest."""
    s = np.asarray(singular_values)
    return int((s > relative_threshold * s.max()).sum()) if s.size and s.max() > 0 else 0


def block_structure_score(matrix, blocks: Sequence[Sequence[int]]) -> float:
    r"""Share of the off-diagonal squared mass of ``matrix`` that lies within the given blocks.

    :math:`\sum_{i \ne j,\ b(i) = b(j)} C_{ij}^2 / \sum_{i \ne j} C_{ij}^2`. Units not in any block
    count as between-block. A block-diagonal matrix scores 1; compare with the share expected if
    mass were spread evenly, :func:`block_structure_baseline`.
    """
    c = np.asarray(matrix, np.float64) ** 2
    n = len(c)
    label = np.full(n, -1)
    for b, units in enumerate(blocks):
        label[list(units)] = b
    same = (label[:, None] == label[None, :]) & (label[:, None] >= 0)
    off = ~np.eye(n, dtype=bool)
    total = c[off].sum()
    return float(c[same & off].sum() / total) if total > 0 else float("nan")


def block_structure_baseline(n_units: int, blocks: Sequence[Sequence[int]]) -> float:
    """The within-block share of off-diagonal entries: the score of a matrix with no block structure."""
    within = sum(len(b) * (len(b) - 1) for b in blocks)
    return within / (n_units * (n_units - 1))
