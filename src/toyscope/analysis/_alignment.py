r"""Hidden-unit permutation symmetry: canonical orderings and alignment to a reference.

Permuting the units of a hidden layer (with their incoming and outgoing weights) leaves the
function unchanged, so every solution has :math:`k!` twins in parameter space. Two remedies:

- :func:`canonicalize_hidden_units` sorts each network's units by a key (default: the unit's
  total outgoing weight), so twins map to the same point when their keys differ;
- :func:`align_hidden_units` permutes each network to be closest (squared Euclidean distance of
  unit features :math:`[w_{in}, b, w_{out}]`) to a reference, the Hungarian matching, solved
  exactly by enumerating the :math:`k!` permutations for small k.
"""

from __future__ import annotations

import itertools

import numpy as np

from .. import nets

SORT_KEYS = ("outgoing", "incoming_norm", "bias")


def unit_features(spec: nets.MLP, params, layer: int = 0) -> np.ndarray:
    """Per hidden unit ``[incoming weights, bias, outgoing weights]``: ``(E, k, d_in + 1 + d_out)``."""
    if not 0 <= layer < spec.n_layers - 1:
        raise ValueError(f"layer must index a hidden layer, 0..{spec.n_layers - 2}, got {layer}")
    if not nets.is_ensemble(spec, params):
        raise ValueError("unit_features needs ensemble params (leading axis E)")
    w_in = np.asarray(params[layer]["weight"])  # (E, d_in, k)
    parts = [np.swapaxes(w_in, 1, 2)]
    if "bias" in params[layer]:
        parts.append(np.asarray(params[layer]["bias"])[:, :, None])
    parts.append(np.asarray(params[layer + 1]["weight"]))  # (E, k, d_out)
    return np.concatenate(parts, axis=2)


def canonical_permutation(spec: nets.MLP, params, *, key: str = "outgoing", layer: int = 0) -> np.ndarray:
    """Per network the permutation that sorts hidden units by ``key``, descending: ``(E, k)``.

    Keys: ``outgoing`` (sum of the unit's outgoing weights), ``incoming_norm`` (norm of its
    incoming weights), ``bias``.
    """
    if key not in SORT_KEYS:
        raise ValueError(f"unknown sort key {key!r}; valid: {', '.join(SORT_KEYS)}")
    if key == "outgoing":
        score = np.asarray(params[layer + 1]["weight"]).sum(axis=2)
    elif key == "incoming_norm":
        score = np.linalg.norm(np.asarray(params[layer]["weight"]), axis=1)
    else:
        if "bias" not in params[layer]:
            raise ValueError("sort key 'bias' needs a layer with biases")
        score = np.asarray(params[layer]["bias"])
    return np.argsort(-score, axis=1, kind="stable")


def canonicalize_hidden_units(spec: nets.MLP, params, *, key: str = "outgoing", layer: int = 0):
    """Params with every network's hidden units sorted by ``key`` (see :func:`canonical_permutation`)."""
    return nets.permute_hidden_units(spec, params, canonical_permutation(spec, params, key=key, layer=layer), layer)


def alignment_permutation(spec: nets.MLP, params, reference, *, layer: int = 0) -> np.ndarray:
    r"""Per network the unit permutation :math:`\pi` minimising :math:`\sum_i \|f^{ref}_i - f_{\pi(i)}\|^2`.

    Args:
        params: ensemble params (E members); reference: one network of the same spec, or an
            ensemble of E networks (member e is aligned to reference member e).

    Returns:
        ``(E, k)`` permutations (new unit i = old unit ``perm[i]``).
    """
    features = unit_features(spec, params, layer)  # (E, k, F)
    if nets.is_ensemble(spec, reference):
        ref = unit_features(spec, reference, layer)  # (E, k, F)
        if ref.shape[0] != features.shape[0]:
            raise ValueError(f"reference ensemble has {ref.shape[0]} members, params {features.shape[0]}")
    else:
        ref = unit_features(spec, [{n: np.asarray(v)[None] for n, v in p.items()} for p in reference], layer)
    k = features.shape[1]
    # cost[e, i, j] = || ref_i - feat_j ||^2
    cost = ((ref[:, :, None, :] - features[:, None, :, :]) ** 2).sum(-1)
    if k <= 7:
        perms = np.array(list(itertools.permutations(range(k))))  # (k!, k)
        totals = cost[:, np.arange(k)[None, :], perms].sum(-1)  # (E, k!)
        return perms[np.argmin(totals, axis=1)]
    from scipy.optimize import linear_sum_assignment

    return np.stack([linear_sum_assignment(c)[1] for c in cost])


def align_hidden_units(spec: nets.MLP, params, reference, *, layer: int = 0):
    """Params with every network's hidden units permuted to match ``reference`` best."""
    return nets.permute_hidden_units(spec, params, alignment_permutation(spec, params, reference, layer=layer), layer)


def align_networks(spec: nets.MLP, params, reference, *, max_sweeps: int = 20):
    r"""Permute the units of EVERY hidden layer of each network to match ``reference`` (weight matching).

    Coordinate descent over layers: each sweep solves, layer by layer from the input, the
    assignment of :func:`alignment_permutation` (unit features :math:`[w_{in}, b, w_{out}]` with
    the layers around already permuted), until a sweep changes nothing or ``max_sweeps`` sweeps
    ran. Each step lowers :math:`\sum_l \|\theta_l - \theta^{ref}_l\|^2`-type feature distances of
    one layer with the others fixed (Ainsworth et al. 2023, "Git Re-Basin", weight matching).
    One hidden layer: exactly :func:`align_hidden_units` (one sweep).

    Args:
        spec: an MLP with at least one hidden layer.
        params: ensemble params (E members); reference: one network, or E networks.
        max_sweeps: the most sweeps over the layers.

    Returns:
        ``(aligned_params, permutations)``: the permuted ensemble (the same functions) and per
        hidden layer the ``(E, k_l)`` permutation applied in total (new unit i = old unit ``perm[i]``).

    Raises:
        ValueError: no hidden layer, no ensemble axis, or a reference of another size.

    >>> import jax
    >>> from toyscope import nets
    >>> spec = nets.mlp([2, 4, 3, 1], "tanh")
    >>> a = nets.init(spec, key=jax.random.key(0), n_networks=1)
    >>> b = nets.permute_hidden_units(spec, a, np.array([2, 0, 3, 1]), 0)
    >>> aligned, perms = align_networks(spec, b, a)
    >>> bool(np.allclose(aligned[0]["weight"], a[0]["weight"]))
    True
    """
    if spec.n_layers < 2:
        raise ValueError(f"alignment needs at least one hidden layer, got widths {spec.widths}")
    if max_sweeps < 1:
        raise ValueError(f"max_sweeps must be >= 1, got {max_sweeps}")
    n_members = nets.ensemble_size(spec, params) if nets.is_ensemble(spec, params) else None
    if n_members is None:
        raise ValueError("align_networks needs ensemble params (leading axis E)")
    total = [np.tile(np.arange(w), (n_members, 1)) for w in spec.widths[1:-1]]
    for _ in range(max_sweeps):
        changed = False
        for layer in range(spec.n_layers - 1):
            perm = alignment_permutation(spec, params, reference, layer=layer)
            if (perm != np.arange(perm.shape[1])).any():
                changed = True
                params = nets.permute_hidden_units(spec, params, perm, layer)
                total[layer] = np.take_along_axis(total[layer], perm, axis=1)
        if not changed:
            break
    return params, total
