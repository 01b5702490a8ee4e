"""Optimisers by name (optax) and piecewise-constant schedules over steps."""

from __future__ import annotations

from collections.abc import Sequence

import jax.numpy as jnp
import numpy as np
import optax

OPTIMIZERS = ("sgd", "momentum", "adam", "adamw")


def make_optimizer(
    name: str, learning_rate: float, *, momentum: float = 0.9, weight_decay: float = 1e-4,
    b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8,
) -> optax.GradientTransformation:
    """An optax optimiser by name.

    ``sgd``: :math:`\\theta \\leftarrow \\theta - \\eta g`; ``momentum``: heavy-ball SGD with
    ``momentum``; ``adam`` and ``adamw`` (decoupled ``weight_decay``) with ``b1, b2, eps``.
    """
    if not learning_rate > 0:
        raise ValueError(f"learning_rate must be > 0, got {learning_rate}")
    if name == "sgd":
        return optax.sgd(learning_rate)
    if name == "momentum":
        return optax.sgd(learning_rate, momentum=momentum)
    if name == "adam":
        return optax.adam(learning_rate, b1=b1, b2=b2, eps=eps)
    if name == "adamw":
        return optax.adamw(learning_rate, b1=b1, b2=b2, eps=eps, weight_decay=weight_decay)
    raise ValueError(f"unknown optimizer {name!r}; valid: {', '.join(OPTIMIZERS)}")


def piecewise_constant(values: Sequence[float], durations: Sequence[int]):
    r"""A schedule :math:`\lambda(t)` that holds ``values[i]`` for ``durations[i]`` steps.

    After the last segment the last value holds. Returns a jittable ``step -> value``.
    E.g. BIMT's ``piecewise_constant((1e-3, 1e-2, 1e-3), (5000, 10000, 5000))``.
    """
    values = tuple(float(v) for v in values)
    durations = tuple(int(d) for d in durations)
    if len(values) != len(durations) or not values:
        raise ValueError(f"values and durations must be non-empty and of equal length, got {len(values)} and {len(durations)}")
    if any(d <= 0 for d in durations):
        raise ValueError(f"every duration must be > 0, got {durations}")
    boundaries = jnp.asarray(np.cumsum(durations)[:-1])
    table = jnp.asarray(values)

    def schedule(step):
        return table[jnp.searchsorted(boundaries, step, side="right")]

    return schedule
