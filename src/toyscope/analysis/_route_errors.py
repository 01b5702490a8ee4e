r"""Errors of a routing network on trained and untrained routes (zero-shot generalisation).

A route (i, o) maps input domain i to output domain o through the gated pathway network of
:func:`toyscope.nets.pathway_net`; only some routes are trained (``routes[i, o]``). These
functions measure every route, trained or not, and find where untrained routes become as good
as trained ones.

Reference: Saxe, Sodhani & Lewallen, *The Neural Race Reduction* (ICML 2022), Figs. 4h, 5c, 6b, 7b-d.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from .. import nets, tasks


def route_errors(spec: nets.GatedLinearNet, params, encodings, targets, *, group_size: int | None = None) -> np.ndarray:
    r"""Normalised error of every route: :math:`e_{io} = \sum_n\lVert\hat y_{ion} - y_n\rVert^2 / \sum_n\lVert y_n\rVert^2`
    over the items n.

    Args:
        spec: a :func:`toyscope.nets.pathway_net`.
        params: its weights with a leading ensemble axis E.
        encodings: ``(M, n_items, d_in)`` per-domain inputs (:func:`toyscope.tasks.orthogonal_encodings`).
        targets: ``(n_items, d_out)`` (:func:`toyscope.tasks.hierarchical_targets`).
        group_size: the pathway grouping of the net (default M).

    Returns:
        ``(E, M, M)`` float64, ``[e, i, o]`` the error of member e on route i -> o.

    Example:
        >>> import jax, numpy as np
        >>> from toyscope import analysis, nets, tasks
        >>> spec = nets.pathway_net(2, 2, 4, 4, 7)
        >>> params = nets.init(spec, key=jax.random.key(0), n_networks=3)
        >>> params = jax.tree_util.tree_map(lambda w: 0 * w, params)
        >>> codes, y = tasks.orthogonal_encodings(2, 4, 4, seed=0), tasks.hierarchical_targets()
        >>> analysis.route_errors(spec, params, codes, y).tolist()[0]  # zero weights: error 1 everywhere
        [[1.0, 1.0], [1.0, 1.0]]
    """
    encodings, targets = np.asarray(encodings), np.asarray(targets)
    m, n_items = encodings.shape[:2]
    data = tasks.routing_task(np.ones((m, m), bool), encodings, targets, group_size=group_size)
    out = nets.apply(spec, params, data["x"], data["gates"])
    err = np.zeros((np.asarray(next(iter(out.values()))).shape[0], m, m))
    for o in range(m):
        rows = data["output_domain"] == o
        diff = np.asarray(out[f"out{o}"])[:, rows] - data["y"][f"out{o}"][rows]
        per_item = (diff ** 2).sum(-1).reshape(diff.shape[0], m, n_items)  # (E, input domain, item)
        err[:, :, o] = per_item.sum(-1) / (targets ** 2).sum()
    return err


def route_output_grid(spec: nets.GatedLinearNet, params, encodings, targets) -> np.ndarray:
    r"""Outputs of one network on every route as one image: row block i (input domain, ``n_items``
    rows), column block o (output domain, ``d_out`` columns) holds :math:`\hat y_o` for domain i's items.

    Args:
        spec: a :func:`toyscope.nets.pathway_net` with one shared pathway.
        params: weights of one network (no ensemble axis).
        encodings: ``(M, n_items, d_in)``. targets: ``(n_items, d_out)``.

    Returns:
        ``(M * n_items, M * d_out)``.

    Example:
        >>> import jax
        >>> from toyscope import analysis, nets, tasks
        >>> spec = nets.pathway_net(2, 2, 4, 4, 7)
        >>> params = nets.init(spec, key=jax.random.key(0))
        >>> codes, y = tasks.orthogonal_encodings(2, 4, 4, seed=0), tasks.hierarchical_targets()
        >>> analysis.route_output_grid(spec, params, codes, y).shape
        (8, 14)
    """
    encodings, targets = np.asarray(encodings), np.asarray(targets)
    m, n_items = encodings.shape[:2]
    d_out = targets.shape[1]
    data = tasks.routing_task(np.ones((m, m), bool), encodings, targets)
    out = nets.apply(spec, params, data["x"], data["gates"])
    grid = np.zeros((m * n_items, m * d_out))
    for o in range(m):
        rows = data["output_domain"] == o
        grid[:, o * d_out:(o + 1) * d_out] = np.asarray(out[f"out{o}"])[rows]  # input-domain major
    return grid


def route_error_means(errors, routes) -> tuple[np.ndarray, np.ndarray]:
    r"""Mean error per member over the trained and over the untrained routes.

    Args:
        errors: ``(E, M, M)`` from :func:`route_errors`.
        routes: ``(M, M)`` bool, the trained routes.

    Returns:
        ``(trained (E,), untrained (E,))``; untrained is NaN when every route is trained.

    Example:
        >>> import numpy as np
        >>> from toyscope import analysis
        >>> errors = np.array([[[0.0, 1.0], [3.0, 0.5]]])
        >>> [v.tolist() for v in analysis.route_error_means(errors, np.eye(2, dtype=bool))]
        [[0.25], [2.0]]
    """
    errors, routes = np.asarray(errors), np.asarray(routes, bool)
    trained = errors[:, routes].mean(-1)
    untrained = errors[:, ~routes].mean(-1) if (~routes).any() else np.full(len(errors), np.nan)
    return trained, untrained


def routes_reproduced(errors, routes, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    r"""Share of the trained and of the untrained routes whose output reproduces the targets, per member:
    :math:`\frac{1}{|R|}\sum_{(i,o)\in R} [e_{io} \le \theta]` for R the trained, then the untrained routes.

    What Fig. 6d shows by eye (the outputs on every route), counted: a route is reproduced when its
    normalised error :math:`e_{io}` (:func:`route_errors`; 1 = predicting zero) is at most ``threshold``.

    Args:
        errors: ``(E, M, M)`` from :func:`route_errors`.
        routes: ``(M, M)`` bool, the trained routes.
        threshold: :math:`\theta >= 0`.

    Returns:
        ``(trained (E,), untrained (E,))`` fractions in [0, 1]; untrained is NaN when every route is trained.

    Raises:
        ValueError: a negative threshold, or routes of another shape than the errors' last two axes.

    Example:
        >>> import numpy as np
        >>> from toyscope import analysis
        >>> errors = np.array([[[0.01, 0.5], [0.9, 0.05]]])
        >>> [v.tolist() for v in analysis.routes_reproduced(errors, np.eye(2, dtype=bool), 0.1)]
        [[1.0], [0.0]]
    """
    errors, routes = np.asarray(errors), np.asarray(routes, bool)
    if not threshold >= 0:
        raise ValueError(f"threshold must be >= 0, got {threshold!r}")
    if errors.ndim != 3 or errors.shape[1:] != routes.shape:
        raise ValueError(f"errors must be (E, M, M) with routes (M, M); got {errors.shape} and {routes.shape}")
    good = errors <= threshold
    trained = good[:, routes].mean(-1)
    untrained = good[:, ~routes].mean(-1) if (~routes).any() else np.full(len(errors), np.nan)
    return trained, untrained


def route_classification_errors(spec: nets.GatedLinearNet, params, evaluation: dict, permutations,
                                routes) -> tuple[np.ndarray, np.ndarray]:
    r"""Classification error per member on trained and on untrained routes of a transformed routing task.

    An example of route (i, o) is wrong when :math:`\arg\max_c \hat y_{oc} \ne \pi_o(\text{label})`.

    Args:
        spec: a :func:`toyscope.nets.pathway_net` with one shared pathway.
        params: its weights with a leading ensemble axis E.
        evaluation: :func:`toyscope.tasks.transformed_routing_task` over (usually) every route, or
            the compact :func:`toyscope.tasks.transformed_route_examples` (``"x"`` one array; the
            outputs then come from :func:`toyscope.nets.route_indexed_apply`).
        permutations: ``(M, n_classes)`` output-domain label permutations :math:`\pi_o`.
        routes: ``(M, M)`` bool, the trained routes.

    Returns:
        ``(trained (E,), untrained (E,))`` error fractions; untrained is NaN when ``evaluation``
        has no untrained route.

    Example:
        >>> import jax, numpy as np
        >>> from toyscope import analysis, nets, tasks
        >>> feats, labels = np.random.default_rng(0).normal(size=(2, 30, 5)), np.arange(30) % 3
        >>> perms = tasks.label_permutations(2, 3, seed=0)
        >>> data = tasks.transformed_routing_task(feats, labels, perms, np.ones((2, 2), bool), 10, seed=0)
        >>> spec = nets.pathway_net(2, 2, 5, 4, 3)
        >>> params = nets.init(spec, key=jax.random.key(0), n_networks=2)
        >>> trained, untrained = analysis.route_classification_errors(spec, params, data, perms, np.eye(2, dtype=bool))
        >>> trained.shape, bool(((0 <= trained) & (trained <= 1)).all())
        ((2,), True)
    """
    permutations, routes = np.asarray(permutations), np.asarray(routes, bool)
    if not isinstance(evaluation["x"], dict):  # compact layout: one output per example
        outputs = nets.route_indexed_apply(spec, params, evaluation["x"], evaluation["input_domain"],
                                           evaluation["output_domain"])
        wrong = outputs.argmax(-1) != permutations[evaluation["output_domain"], evaluation["label"]]
        trained_rows = routes[evaluation["input_domain"], evaluation["output_domain"]]
        untrained = wrong[:, ~trained_rows].mean(-1) if (~trained_rows).any() else np.full(len(wrong), np.nan)
        return wrong[:, trained_rows].mean(-1), untrained
    out = nets.apply(spec, params, evaluation["x"], evaluation["gates"])
    n_members = np.asarray(next(iter(out.values()))).shape[0]
    wrong = np.zeros((n_members, len(evaluation["label"])), bool)
    for o in range(permutations.shape[0]):
        rows = evaluation["output_domain"] == o
        predicted = np.asarray(out[f"out{o}"])[:, rows].argmax(-1)
        wrong[:, rows] = predicted != permutations[o][evaluation["label"][rows]]
    trained_rows = routes[evaluation["input_domain"], evaluation["output_domain"]]
    trained = wrong[:, trained_rows].mean(-1)
    untrained = wrong[:, ~trained_rows].mean(-1) if (~trained_rows).any() else np.full(n_members, np.nan)
    return trained, untrained


def first_zero_shot(settings: Sequence, trained, untrained, *, factor: float = 2.0, floor: float = 0.0,
                    ceiling: float = math.inf):
    r"""The first setting whose untrained routes are about as good as its trained ones:
    :math:`\bar e_{untrained} \le c\,\max(\bar e_{trained}, f)` and :math:`\bar e_{trained} \le e_{max}`,
    means over members, untrained finite.

    Args:
        settings: ``(S,)`` labels in the order to search (e.g. K values).
        trained, untrained: ``S`` sequences of per-member errors (arrays ``(E,)`` or scalars).
        factor: c. floor: f, the smallest trained error the comparison uses. ceiling: :math:`e_{max}`,
            the largest trained error that counts as learnt.

    Returns:
        The first setting meeting the criterion, or ``None``.

    Example:
        >>> from toyscope import analysis
        >>> analysis.first_zero_shot([1, 2, 3], [[0.1], [0.1], [0.1]], [[0.9], [0.15], [0.1]])
        2
    """
    for setting, tr, un in zip(settings, trained, untrained):
        tr, un = float(np.mean(tr)), float(np.mean(un))
        if math.isfinite(un) and un <= factor * max(tr, floor) and tr <= ceiling:
            return setting
    return None
