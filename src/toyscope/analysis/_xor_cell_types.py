r"""The four cell types of a bias-free ReLU network trained on XOR with inputs in {+-1}^2.

A unit :math:`j` with input weights :math:`w_j \in \mathbb R^2` and output weight :math:`a_j` is
*active* when its strength :math:`|a_j|\,\lVert w_j\rVert` exceeds a fraction of the strongest
unit's; it is of one of the four *cell types* when :math:`w_j` points within a tolerance of a
diagonal :math:`(\pm1, \pm1)`, i.e. along one input, so that it is active on that example alone.

Reference: Saxe, Sodhani & Lewallen, *The Neural Race Reduction* (ICML 2022), Fig. 3a.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

#: sign patterns of the four quadrants, in the order of :attr:`XorCellTypes.quadrant_counts`
XOR_QUADRANTS = ((1, 1), (1, -1), (-1, 1), (-1, -1))


class XorCellTypes(NamedTuple):
    """Active units and their cell types, per member.

    Attributes:
        active: ``(E, N_h)`` bool.
        in_type: ``(E, N_h)`` bool, active and within the tolerance of a diagonal.
        quadrant_counts: ``(E, 4)`` active units per quadrant of :math:`w_j` (order :data:`XOR_QUADRANTS`).
    """

    active: np.ndarray
    in_type: np.ndarray
    quadrant_counts: np.ndarray


def xor_cell_types(first_weights, second_weights, *, active_fraction: float = 0.1,
                   tolerance_degrees: float = 15.0) -> XorCellTypes:
    r"""Classify the hidden units of 2-N_h-1 bias-free ReLU networks.

    Active: :math:`|a_j|\lVert w_j\rVert > f \max_k |a_k|\lVert w_k\rVert` (per member). In type:
    the angle of :math:`w_j` is within ``tolerance_degrees`` of 45 + 90 n degrees.

    Args:
        first_weights: ``(E, 2, N_h)`` input weights (row layout: column j is :math:`w_j`).
        second_weights: ``(E, N_h)`` output weights :math:`a_j`.
        active_fraction: f. tolerance_degrees: the angular tolerance.

    Returns:
        A :class:`XorCellTypes`.

    Example:
        >>> import numpy as np
        >>> from toyscope import analysis
        >>> w = np.array([[[1.0, 1.0, 0.01], [-1.0, 0.2, 0.0]]])  # units along (1,-1), (1, 0.2), tiny
        >>> types = analysis.xor_cell_types(w, np.ones((1, 3)))
        >>> types.active.tolist(), types.in_type.tolist(), types.quadrant_counts.tolist()
        ([[True, True, False]], [[True, False, False]], [[1, 1, 0, 0]])
    """
    w, a = np.asarray(first_weights), np.asarray(second_weights)
    strength = np.abs(a) * np.linalg.norm(w, axis=1)
    active = strength > active_fraction * strength.max(axis=1, keepdims=True)
    angles = np.degrees(np.arctan2(w[:, 1], w[:, 0]))
    off_diagonal = np.abs(((angles - 45) + 45) % 90 - 45)  # distance to the nearest diagonal direction
    in_type = (off_diagonal < tolerance_degrees) & active
    counts = np.array([[np.sum(active[e] & (np.sign(w[e, 0]) == sx) & (np.sign(w[e, 1]) == sy)) for sx, sy in XOR_QUADRANTS]
                       for e in range(len(w))])
    return XorCellTypes(active, in_type, counts)
