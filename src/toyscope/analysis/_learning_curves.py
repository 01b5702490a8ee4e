r"""Reading learning curves: when a curve first falls below a fraction of its start or rises past
a fraction of its maximum, how far a curve strays from a reference, and the ensemble's loss
relative to its start.

Curves are ``(T, ...)`` arrays recorded at ``times`` ``(T,)``; trailing axes (e.g. ensemble
members) are read independently.
"""

from __future__ import annotations

from typing import Literal

import numpy as np


def _first_time(times, reached) -> np.ndarray | float:
    index = np.argmax(reached, axis=0)
    found = np.asarray(reached).any(axis=0)
    out = np.where(found, np.asarray(times)[index], np.nan)
    return float(out) if out.ndim == 0 else out


def first_time_below(times, values, fraction: float):
    r"""First recorded time with :math:`v(t) \le f\, v(t_0)` (NaN if never).

    Args:
        times: ``(T,)``. values: ``(T, ...)``. fraction: f (e.g. 0.5 for the half-loss time).

    Returns:
        A float for 1-D ``values``, else an array of the trailing shape ``(...)``.

    Example:
        >>> import numpy as np
        >>> from toyscope import analysis
        >>> analysis.first_time_below(np.arange(4.0), np.array([4.0, 3.0, 2.0, 1.0]), 0.5)
        2.0
        >>> analysis.first_time_below(np.arange(3.0), np.array([[2.0, 2.0], [1.0, 2.0], [0.5, 2.0]]), 0.5).tolist()
        [1.0, nan]
    """
    values = np.asarray(values)
    return _first_time(times, values <= fraction * values[0])


def first_time_above(times, values, fraction: float):
    r"""First recorded time with :math:`v(t) \ge f \max_t v(t)` (NaN when :math:`\max_t v \le 0`),
    e.g. when a growing mode strength reaches half its final size.

    Args:
        times: ``(T,)``. values: ``(T, ...)``. fraction: f.

    Returns:
        A float for 1-D ``values``, else an array of the trailing shape ``(...)``.

    Example:
        >>> import numpy as np
        >>> from toyscope import analysis
        >>> analysis.first_time_above(np.arange(4.0), np.array([0.0, 0.2, 0.6, 1.0]), 0.5)
        2.0
    """
    values = np.asarray(values)
    peak = values.max(axis=0)
    reached = (values >= fraction * peak) & (peak > 0)
    return _first_time(times, reached)


def curve_gap(values, reference, *, scale: Literal["initial", "max"] = "initial") -> float:
    r"""Largest distance of a curve from a reference, relative to the reference:
    :math:`\max_t |v(t) - r(t)| / r(t_0)` (``"initial"``) or :math:`/\max |r|` (``"max"``).

    Args:
        values, reference: arrays of one shape, time first.

    Example:
        >>> import numpy as np
        >>> from toyscope import analysis
        >>> round(analysis.curve_gap(np.array([2.0, 1.1, 0.5]), np.array([2.0, 1.0, 0.4])), 6)
        0.05
    """
    values, reference = np.asarray(values), np.asarray(reference)
    gap = np.abs(values - reference).max()
    return float(gap / (reference[0] if scale == "initial" else np.abs(reference).max()))


def loss_fraction(loss) -> np.ndarray:
    r"""The ensemble-mean loss relative to its start, :math:`\bar L(t) / \bar L(t_0)`.

    Args:
        loss: ``(T, E)``.

    Returns:
        ``(T,)``.

    Example:
        >>> import numpy as np
        >>> from toyscope import analysis
        >>> analysis.loss_fraction(np.array([[1.0, 3.0], [0.5, 0.5]])).tolist()
        [1.0, 0.25]
    """
    loss = np.asarray(loss)
    return loss.mean(1) / loss[0].mean()
