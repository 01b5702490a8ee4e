r"""Route patterns and the routing problem of the neural-race paper (Fig. 4c-d), ready to train.

A pattern says which routes i -> o of M input and M output domains are trained: ``"band"``
(input domain i with output domains i-1, ..., i+K-2 mod M) or an explicit list ``"i:o,i:o,..."``.
:func:`routing_problem` draws the per-domain item encodings, takes the hierarchical targets and
builds the examples of the trained routes.

Reference: Saxe, Sodhani & Lewallen, *The Neural Race Reduction* (ICML 2022), Fig. 4c-d.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from ._routing import band_routes, check_routes, hierarchical_targets, orthogonal_encodings, routing_task

#: items of the hierarchical routing data (Fig. 4c)
N_ROUTING_ITEMS = 4


def parse_routes(text: str, n_domains: int, n_trained: int) -> np.ndarray:
    """A route pattern as a validated ``(M, M)`` bool matrix.

    Args:
        text: ``"band"`` (:func:`toyscope.tasks.band_routes` with K = ``n_trained``) or
            ``"i:o,i:o,..."`` with ``0 <= i, o < M``.
        n_domains: M. n_trained: K (used by ``"band"`` only).

    Returns:
        ``(M, M)`` bool, ``[i, o]`` true where route i -> o is trained.

    Raises:
        ValueError: (one line) text that is neither form, an index out of range, or a pattern that
            leaves an input or output domain without a trained route.

    Example:
        >>> from toyscope import tasks
        >>> tasks.parse_routes("0:0,1:1,1:0", 2, 1).astype(int).tolist()
        [[1, 0], [1, 1]]
    """
    if text == "band":
        return band_routes(n_domains, n_trained)
    routes = np.zeros((n_domains, n_domains), bool)
    try:
        for pair in text.split(","):
            i, o = (int(v) for v in pair.split(":"))
            if not (0 <= i < n_domains and 0 <= o < n_domains):
                raise IndexError
            routes[i, o] = True
    except (ValueError, IndexError):
        raise ValueError(f"routes must be 'band' or 'i:o,i:o,...' with 0 <= i, o < {n_domains}, got {text!r}") from None
    try:
        return check_routes(routes)
    except ValueError as err:
        raise ValueError(f"routes {text!r}: {err}") from None


class RoutingProblem(NamedTuple):
    """The routing data of Fig. 4c-d.

    Attributes:
        encodings: ``(M, n_items, n_items)`` one orthonormal item code per input domain.
        targets: ``(n_items, 7)`` hierarchical targets shared by every output domain.
        routes: ``(M, M)`` bool trained routes.
        data: :func:`toyscope.tasks.routing_task` of the trained routes.
    """

    encodings: np.ndarray
    targets: np.ndarray
    routes: np.ndarray
    data: dict


def routing_problem(routes, *, seed: int, group_size: int | tuple[int, ...] | None = None) -> RoutingProblem:
    r"""Orthonormal item codes per domain (:func:`toyscope.tasks.orthogonal_encodings`, 4 items
    in 4 dimensions), the paper's hierarchical targets (4 x 7) and the examples of the trained
    ``routes`` for a pathway net with groups of ``group_size`` domains.

    Args:
        routes: ``(M, M)`` bool (e.g. from :func:`parse_routes`).
        seed: draws the encodings.
        group_size: pathway grouping (default M: one shared pathway), or a tuple of groupings for
            :func:`toyscope.nets.parallel_pathway_net`.

    Returns:
        A :class:`RoutingProblem`.

    Example:
        >>> from toyscope import tasks
        >>> problem = tasks.routing_problem(tasks.band_routes(3, 2), seed=0)
        >>> problem.encodings.shape, problem.targets.shape, problem.data["weight"].shape  # 6 routes x 4 items
        ((3, 4, 4), (4, 7), (24,))
    """
    routes = np.asarray(routes, bool)
    encodings = orthogonal_encodings(routes.shape[0], N_ROUTING_ITEMS, N_ROUTING_ITEMS, seed=seed)
    targets = hierarchical_targets()
    return RoutingProblem(encodings, targets, routes, routing_task(routes, encodings, targets, group_size=group_size))


def gated_batch(data: dict) -> dict:
    """The training batch of a gated-network task: its ``"x"``, ``"y"``, ``"gates"`` and
    ``"weight"`` entries as jax arrays (the bookkeeping entries such as ``"item"`` are left out).

    Example:
        >>> from toyscope import tasks
        >>> sorted(tasks.gated_batch(tasks.xor_path_task()))
        ['gates', 'weight', 'x', 'y']
    """
    return {key: jax.tree_util.tree_map(jnp.asarray, data[key]) for key in ("x", "y", "gates", "weight")}
