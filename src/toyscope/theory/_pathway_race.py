r"""The race between parallel pathways inside one gated network (the neural race, Fig. 5b).

When a route (input node s, output node t) has several paths p through different hidden
pathways, all of them fit the same targets. Per mode :math:`\alpha`, the reduced dynamics
(:mod:`toyscope.theory._gdln`) stop where :math:`\sum_j d_{jp\alpha} b_{j\alpha} = s_{p\alpha}`: for
parallel paths that see the same examples (:math:`d_{jp} = d_{pp}`) the *target shares*

.. math:: \rho_{p\alpha} = \frac{d_{pp\alpha}\, b_{p\alpha}}{s_{p\alpha}},\qquad b_p = \prod_{e\in p} b_e,

of a route's paths sum to 1 once it is learnt, and :math:`\rho_p` says how much of the route's
map path p carries. The pathway that learns fastest (the one shared by the most routes) takes
the error away from the others, which then stop growing: "in a single network where subparts
share structure to different degrees, the maximally shared dynamics dominate the race".

:func:`path_strengths` turns edge mode strengths into path strengths; :func:`pathway_shares`
averages :math:`\rho` over the trained routes of each group of paths (e.g. by sharing level).
Both take path strengths from the reduced ODE or from a simulation
(:func:`toyscope.theory.path_mode_projections` of trained weights).

Reference: Saxe, Sodhani & Lewallen, *The Neural Race Reduction* (ICML 2022), Fig. 5b and its caption.
"""

from __future__ import annotations

from collections.abc import Sequence

import jax.numpy as jnp
import numpy as np

from ._gdln import PathwayModes


def path_strengths(modes: PathwayModes, strengths) -> np.ndarray:
    r"""Path strengths :math:`b_{p\alpha} = \prod_{e \in p} b_{e\alpha}` of edge mode strengths.

    Args:
        modes: from :func:`toyscope.theory.pathway_modes`.
        strengths: ``(..., E, K)`` edge mode strengths (e.g. ``(T, E, K)`` from
            :func:`toyscope.theory.reduced_dynamics`).

    Returns:
        ``(..., P, K)`` float64, paths in the order of ``modes.paths``.

    Raises:
        ValueError: ``strengths`` whose last two axes are not ``(E, K)``.

    Example:
        >>> import numpy as np
        >>> from toyscope import nets, tasks, theory
        >>> spec = nets.pathway_net(2, 2, 4, 4, 7)
        >>> modes = theory.pathway_modes(spec, tasks.routing_task(np.eye(2, dtype=bool),
        ...     tasks.orthogonal_encodings(2, 4, 4, seed=0), tasks.hierarchical_targets()))
        >>> theory.path_strengths(modes, np.full((len(modes.edges), 4), 0.5))[0].tolist()  # 3 edges: 0.5^3
        [0.125, 0.125, 0.125, 0.125]
    """
    b = np.asarray(strengths, np.float64)
    shape = (len(modes.edges), modes.n_modes)
    if b.shape[-2:] != shape:
        raise ValueError(f"strengths must end in (E, K) = {shape}, got shape {b.shape}")
    on = modes.incidence  # (P, E)
    return np.prod(np.where(on[..., None], b[..., None, :, :], 1.0), axis=-2)


def pathway_shares(modes: PathwayModes, strengths_of_paths, groups: Sequence) -> dict:
    r"""Mean target share :math:`\rho_{p\alpha} = d_{pp\alpha} b_{p\alpha} / s_{p\alpha}` of each group
    of paths, over the group's paths that carry data on mode :math:`\alpha` (trained routes).

    Args:
        modes: from :func:`toyscope.theory.pathway_modes`.
        strengths_of_paths: ``(..., P, K)`` path strengths (:func:`path_strengths`, or
            :func:`toyscope.theory.path_mode_projections` of a network's weights).
        groups: ``P`` hashable labels, one per path (e.g. the pathway's sharing level).

    Returns:
        label -> ``(..., K)`` mean share (NaN on a mode where no path of the group has data), labels
        in order of first appearance.

    Raises:
        ValueError: ``groups`` not of length P, or path strengths not ending in ``(P, K)``.

    Example:
        >>> import numpy as np
        >>> from toyscope import nets, tasks, theory
        >>> spec = nets.parallel_pathway_net(2, 4, 4, 7, (1, 2))
        >>> data = tasks.routing_task(np.eye(2, dtype=bool), tasks.orthogonal_encodings(2, 4, 4, seed=0),
        ...                           tasks.hierarchical_targets(), group_size=(1, 2))
        >>> modes = theory.pathway_modes(spec, data)
        >>> labels = [spec.path_nodes(p)[1].split("_")[1] for p in modes.paths]  # "g1" or "g2"
        >>> target = modes.singular_values / np.einsum("ppk->pk", modes.input_overlaps).clip(1e-300)
        >>> shares = theory.pathway_shares(modes, np.where(np.array(labels)[:, None] == "g2", target, 0), labels)
        >>> {k: v.round(6).tolist() for k, v in shares.items()}  # the shared pathway carries every trained route
        {'g1': [0.0, 0.0, 0.0, 0.0], 'g2': [1.0, 1.0, 1.0, 1.0]}
    """
    bp = np.asarray(strengths_of_paths, np.float64)
    n_paths, k = modes.singular_values.shape
    if len(groups) != n_paths:
        raise ValueError(f"groups must have one label per path (P = {n_paths}), got {len(groups)}")
    if bp.shape[-2:] != (n_paths, k):
        raise ValueError(f"path strengths must end in (P, K) = {(n_paths, k)}, got shape {bp.shape}")
    s = modes.singular_values
    d = np.einsum("ppk->pk", modes.input_overlaps)
    scale = max(float(np.abs(s).max()), 1e-300)
    live = (np.abs(s) > 1e-9 * scale) & (d > 0)  # (P, K) paths with data on the mode
    share = np.where(live, d * bp / np.where(live, s, 1.0), 0.0)
    labels = np.asarray([str(g) for g in groups])
    out = {}
    for label in dict.fromkeys(groups):
        member = (labels == str(label))[:, None] & live  # (P, K)
        count = member.sum(0)
        total = np.sum(np.where(member, share, 0.0), axis=-2)
        out[label] = np.where(count > 0, total / np.maximum(count, 1), np.nan)
    return out


def pathway_share_metrics(modes: PathwayModes, groups: Sequence, n_modes: int | None = None) -> dict:
    r"""Training metrics of the race: ``f"{label} mode {a}"`` -> ``params -> scalar``, the share
    :func:`pathway_shares` of group ``label`` on mode a, computed in jax from ONE network's weights
    (the path projections :math:`\rho_{p\alpha} = d_{pp\alpha}\, v_{s(p)\alpha}^\top W_{e_1}\cdots W_{e_L}
    u_{t(p)\alpha} / s_{p\alpha}`, averaged over the group's paths with data on the mode).

    For :func:`toyscope.train.train`'s ``Record(metrics=...)``: the race is recorded at every
    record step without parameter snapshots. Only edges on paths with data are read.

    Args:
        modes: from :func:`toyscope.theory.pathway_modes` (its input and output bases are used).
        groups: ``P`` labels, one per path. n_modes: the first modes to track (default all K).

    Returns:
        A dict of metrics, groups in order of first appearance, then modes.

    Raises:
        ValueError: ``groups`` not of length P, or n_modes outside 1..K.

    Example:
        >>> import jax, numpy as np
        >>> from toyscope import nets, tasks, theory
        >>> spec = nets.parallel_pathway_net(2, 4, 4, 7, (1, 2))
        >>> data = tasks.routing_task(np.eye(2, dtype=bool), tasks.orthogonal_encodings(2, 4, 4, seed=0),
        ...                           tasks.hierarchical_targets(), group_size=(1, 2))
        >>> modes = theory.pathway_modes(spec, data)
        >>> labels = [spec.path_nodes(p)[1].split("_")[1] for p in modes.paths]
        >>> metrics = theory.pathway_share_metrics(modes, labels, n_modes=1)
        >>> sorted(metrics)
        ['g1 mode 0', 'g2 mode 0']
    """
    n_paths, k = modes.singular_values.shape
    if len(groups) != n_paths:
        raise ValueError(f"groups must have one label per path (P = {n_paths}), got {len(groups)}")
    n_modes = k if n_modes is None else int(n_modes)
    if not 1 <= n_modes <= k:
        raise ValueError(f"n_modes must lie in 1..{k}, got {n_modes}")
    s = modes.singular_values
    d = np.einsum("ppk->pk", modes.input_overlaps)
    scale = max(float(np.abs(s).max()), 1e-300)
    live = (np.abs(s) > 1e-9 * scale) & (d > 0)
    weight = np.where(live, d / np.where(live, s, 1.0), 0.0)  # (P, K): rho = weight * projection
    metrics = {}
    for label in dict.fromkeys(groups):
        members = [p for p in range(n_paths) if groups[p] == label and live[p, :n_modes].any()]
        projections = _projection_fn(modes, members, n_modes)
        for a in range(n_modes):
            coef = np.array([weight[p, a] for p in members])
            count = int(sum(live[p, a] for p in members))

            def share(params, projections=projections, coef=coef, count=count, a=a):
                if count == 0:
                    return jnp.asarray(jnp.nan)
                return jnp.sum(jnp.asarray(coef, projections(params).dtype) * projections(params)[:, a]) / count

            metrics[f"{label} mode {a}"] = share
    return metrics


def _projection_fn(modes: PathwayModes, members: list[int], n_modes: int):
    """``params -> (len(members), n_modes)``: each path's end-to-end map projected on its modes,
    one batched product per group of equally shaped paths (jax)."""
    by_length: dict[int, list[int]] = {}
    for position, p in enumerate(members):
        by_length.setdefault(len(modes.paths[p]), []).append(position)

    def ends(p):
        path = modes.paths[p]
        return path[0].split("->")[0], path[-1].split("->")[1]

    def projections(params):
        out = [None] * len(members)
        for positions in by_length.values():
            paths = [modes.paths[members[i]] for i in positions]
            shapes = {tuple(params[name].shape for name in path) for path in paths}
            blocks = [positions] if len(shapes) == 1 else [[i] for i in positions]
            for block in blocks:
                chosen = [members[i] for i in block]
                v = jnp.asarray(np.stack([modes.bases[ends(p)[0]][:, :n_modes] for p in chosen]))  # (n, d, K)
                u = jnp.asarray(np.stack([modes.bases[ends(p)[1]][:, :n_modes] for p in chosen]))  # (n, C, K)
                row = jnp.swapaxes(v, 1, 2).astype(params[modes.paths[chosen[0]][0]].dtype)  # (n, K, d)
                for step in range(len(modes.paths[chosen[0]])):
                    w = jnp.stack([params[modes.paths[p][step]] for p in chosen])  # (n, d_s, d_t)
                    row = jnp.einsum("nka,nab->nkb", row, w)
                values = jnp.einsum("nkc,nck->nk", row, u.astype(row.dtype))
                for j, i in enumerate(block):
                    out[i] = values[j]
        return jnp.stack(out)

    return projections
