r"""The routing task of the neural-race paper: M input domains, M output domains, a subset of
input-output routes trained.

Every input domain presents the same items through its own encoding (e.g. a random orthogonal
matrix per domain); every output domain asks for the same targets. An example is a triple
(input domain i, output domain o, item); it switches on the input node ``in{i}``, the hidden
pathway its domain groups share, and the output node ``out{o}`` of
:func:`toyscope.nets.pathway_net`.

Reference: Saxe, Sodhani & Lewallen, *The Neural Race Reduction* (ICML 2022), Fig. 4c-d.
"""

from __future__ import annotations

import numpy as np


def hierarchical_targets(dtype=np.float32) -> np.ndarray:
    """The paper's 4 items x 7 features (Fig. 4c): feature 1 = 6 for all items, feature 2 = 4
    for items 1-2, feature 3 = 4 for items 3-4, features 4-7 = 3 x identity.

    Its singular values are :math:`\\sqrt{185}=13.60, \\sqrt{41}=6.40, 3, 3`.

    Returns:
        ``(4, 7)`` targets, one row per item.
    """
    y = np.zeros((4, 7), dtype)
    y[:, 0] = 6
    y[:2, 1] = 4
    y[2:, 2] = 4
    y[:, 3:] = 3 * np.eye(4)
    return y


def orthogonal_encodings(n_domains: int, n_items: int, dim: int, *, seed: int, dtype=np.float32) -> np.ndarray:
    """One random orthonormal code per domain: ``(n_domains, n_items, dim)``, rows orthonormal.

    Raises:
        ValueError: ``dim < n_items``.
    """
    if dim < n_items:
        raise ValueError(f"dim must be >= n_items={n_items} for orthonormal codes, got {dim}")
    rng = np.random.default_rng(seed)
    codes = []
    for _ in range(n_domains):
        q, r = np.linalg.qr(rng.standard_normal((dim, dim)))
        q = q * np.sign(np.diag(r))
        codes.append(q[:n_items])
    return np.stack(codes).astype(dtype)


def band_routes(n_domains: int, n_trained: int) -> np.ndarray:
    """Input domain i trained with the K output domains i-1, i, ..., i+K-2 (mod M) (Fig. 4d).

    Returns:
        ``(M, M)`` bool, ``[i, o]`` true where route i -> o is trained.

    Raises:
        ValueError: M < 1, or K outside 1..M.
    """
    if int(n_domains) < 1:
        raise ValueError(f"n_domains must be >= 1, got {n_domains}")
    if not 1 <= int(n_trained) <= int(n_domains):
        raise ValueError(f"n_trained (K) must lie in 1..M={n_domains}, got {n_trained}")
    routes = np.zeros((n_domains, n_domains), bool)
    for i in range(n_domains):
        for k in range(n_trained):
            routes[i, (i - 1 + k) % n_domains] = True
    return routes


def check_routes(routes: np.ndarray) -> np.ndarray:
    """Validate a route pattern: a square bool matrix where every input domain and every
    output domain has at least one trained route.

    Raises:
        ValueError: not square, or naming the first untrained input or output domain.
    """
    routes = np.asarray(routes, bool)
    if routes.ndim != 2 or routes.shape[0] != routes.shape[1]:
        raise ValueError(f"routes must be a square (M, M) matrix, got shape {routes.shape}")
    for i in np.flatnonzero(~routes.any(axis=1)):
        raise ValueError(f"input domain {i} has no trained route; every input domain needs one")
    for o in np.flatnonzero(~routes.any(axis=0)):
        raise ValueError(f"output domain {o} has no trained route; every output domain needs one")
    return routes


def routing_task(routes: np.ndarray, encodings: np.ndarray, targets: np.ndarray, *,
                 group_size: int | tuple[int, ...] | None = None,
                 dtype=np.float32) -> dict:
    """Examples for every true entry of ``routes``, in the batch layout of
    :func:`toyscope.nets.gated_linear_loss`.

    Args:
        routes: ``(M, M)`` bool, which routes i -> o to include (not validated here: pass
            every route to build an evaluation set; see :func:`check_routes`).
        encodings: ``(M, n_items, d_in)`` per-domain inputs.
        targets: ``(n_items, d_out)``, shared by all output domains.
        group_size: the pathway grouping of :func:`toyscope.nets.pathway_net` (default M), or a
            tuple of group sizes for :func:`toyscope.nets.parallel_pathway_net` (hidden gates
            ``h1_g{g}_{a}_{c}`` for every grouping g).

    Returns:
        ``{"x": {"in{i}": (N, d_in)}, "y": {"out{o}": (N, d_out)}, "gates": {node: (N,)},
        "weight": (N,) = 1/N, "input_domain": (N,), "output_domain": (N,), "item": (N,)}``,
        examples ordered by route (row-major) then item.

    Raises:
        ValueError: shapes that disagree, or no route.
    """
    routes = np.asarray(routes, bool)
    n_domains, n_items, d_in = encodings.shape
    if routes.shape != (n_domains, n_domains):
        raise ValueError(f"routes has shape {routes.shape}, encodings imply ({n_domains}, {n_domains})")
    if targets.shape[0] != n_items:
        raise ValueError(f"targets has {targets.shape[0]} items, encodings have {n_items}")
    parallel = isinstance(group_size, (tuple, list))
    groups = [int(g) for g in group_size] if parallel else [n_domains if group_size is None else int(group_size)]
    if not groups or any(g < 1 or n_domains % g for g in groups):
        raise ValueError(f"group_size must divide M={n_domains}, got {group_size}")
    pairs = np.argwhere(routes)
    if len(pairs) == 0:
        raise ValueError("routes selects no route")
    i_dom = np.repeat(pairs[:, 0], n_items)
    o_dom = np.repeat(pairs[:, 1], n_items)
    item = np.tile(np.arange(n_items), len(pairs))
    n = len(item)
    x = {f"in{i}": np.where((i_dom == i)[:, None], encodings[i][item], 0).astype(dtype) for i in range(n_domains)}
    y = {f"out{o}": np.where((o_dom == o)[:, None], targets[item], 0).astype(dtype) for o in range(n_domains)}
    gates = {f"in{i}": (i_dom == i).astype(dtype) for i in range(n_domains)}
    gates |= {f"out{o}": (o_dom == o).astype(dtype) for o in range(n_domains)}
    for group in groups:
        prefix = f"g{group}_" if parallel else ""
        n_groups = n_domains // group
        for a in range(n_groups):
            for c in range(n_groups):
                on = ((i_dom // group == a) & (o_dom // group == c)).astype(dtype)
                gates[f"h1_{prefix}{a}_{c}"] = on
                gates[f"h2_{prefix}{a}_{c}"] = on
    return {"x": x, "y": y, "gates": gates, "weight": np.full((n,), 1.0 / n, dtype),
            "input_domain": i_dom, "output_domain": o_dom, "item": item}
