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
