r"""Update attribution: does the share of a parameter's SGD updates caused by one group of classes
predict how much that parameter encodes the distinction *within* that group?

Per parameter :math:`i`, from the |update| tallies :math:`a_i` (group A) and :math:`b_i`
(group B) and four forks trained on A1 vs B, A2 vs B, A vs B1, A vs B2:

.. math::

    r_i = \frac{a_i}{a_i + b_i}, \qquad
    q_i = \frac{c_i}{c_i + d_i},\quad c_i = |\theta_i^{A1,B} - \theta_i^{A2,B}|,\ d_i = |\theta_i^{A,B1} - \theta_i^{A,B2}|.

Parameters with :math:`a_i + b_i = 0` or :math:`c_i + d_i = 0` have no defined ratio: they are
NaN here and excluded (and counted) by the fits. The fit is least squares of q on r; since
weights cluster by hidden unit, :func:`block_permutation_test` gives a p-value that shuffles r
between whole hidden units.

Reference: "update-attribution-mnist" (``../shared/papers/update-attribution-mnist.txt``):
R^2 = 0.28 (weights), 0.17 (biases).
"""

from __future__ import annotations

import dataclasses
import math
import warnings

import jax
import numpy as np

from ._stats import correlation_interval


def relative_share(part, other) -> np.ndarray:
    r"""Elementwise :math:`p / (p + o)` of two non-negative arrays; NaN where :math:`p + o = 0`.

    Args:
        part, other: equal shapes, values >= 0.

    Raises:
        ValueError: shapes differ or a value is negative.
    """
    part, other = np.asarray(part, dtype=np.float64), np.asarray(other, dtype=np.float64)
    if part.shape != other.shape:
        raise ValueError(f"part and other must have equal shapes, got {part.shape} and {other.shape}")
    if (part < 0).any() or (other < 0).any():
        raise ValueError("part and other must be non-negative (sums of absolute values)")
    total = part + other
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, part / np.where(total > 0, total, 1.0), np.nan)


def relative_updating(tally_a, tally_b) -> np.ndarray:
    r"""Relative updating due to group A, :math:`r = a/(a+b)` (NaN where never updated).

    Args:
        tally_a, tally_b: per-parameter sums of :math:`|\Delta\theta|`, any equal shapes.
    """
    return relative_share(tally_a, tally_b)


def relative_difference(fork_a1, fork_a2, fork_b1, fork_b2) -> np.ndarray:
    r"""Relative difference :math:`q = c/(c+d)`, :math:`c = |\theta^{A1} - \theta^{A2}|`,
    :math:`d = |\theta^{B1} - \theta^{B2}|` (NaN where all four forks agree).

    Args:
        fork_a1, fork_a2: final params of the forks that split group A (A1 vs B, A2 vs B).
        fork_b1, fork_b2: final params of the forks that split group B (A vs B1, A vs B2).
            All four with equal shapes.
    """
    c = np.abs(np.asarray(fork_a1, np.float64) - np.asarray(fork_a2, np.float64))
    d = np.abs(np.asarray(fork_b1, np.float64) - np.asarray(fork_b2, np.float64))
    return relative_share(c, d)


@dataclasses.dataclass(frozen=True)
class LinearFit:
    """Least-squares fit of q on r over the parameters where both are defined.

    Attributes:
        r2: coefficient of determination (= squared Pearson correlation).
        slope, intercept: of :math:`q \\approx \\text{intercept} + \\text{slope}\\, r`.
        correlation: Pearson r; correlation_low/high: its Fisher-z 95% interval, which treats
            the points as independent (they are not for weights: see the block permutation test).
        p_ols: two-sided OLS t-test p-value of the slope (same independence assumption).
        n: points fitted; n_excluded: points with r or q undefined.
    """

    r2: float
    slope: float
    intercept: float
    correlation: float
    correlation_low: float
    correlation_high: float
    p_ols: float
    n: int
    n_excluded: int


def fit_relative(r, q) -> LinearFit:
    """Least squares of q on r (any equal shapes, flattened), excluding NaN pairs.

    Returns a :class:`LinearFit`; all-NaN statistics when fewer than 3 pairs or r or q constant.

    Raises:
        ValueError: shapes differ.
    """
    from scipy import stats  # imported on first use (about 0.8 s)

    r, q = np.asarray(r, np.float64).ravel(), np.asarray(q, np.float64).ravel()
    if r.shape != q.shape:
        raise ValueError(f"r and q must have equal sizes, got {r.size} and {q.size}")
    keep = np.isfinite(r) & np.isfinite(q)
    n = int(keep.sum())
    r, q = r[keep], q[keep]
    if n < 3 or np.ptp(r) == 0 or np.ptp(q) == 0:
        nan = math.nan
        return LinearFit(nan, nan, nan, nan, nan, nan, nan, n, int(keep.size - n))
    fit = stats.linregress(r, q)
    low, high = correlation_interval(float(fit.rvalue), n)
    return LinearFit(float(fit.rvalue**2), float(fit.slope), float(fit.intercept), float(fit.rvalue),
                     low, high, float(fit.pvalue), n, int(keep.size - n))


def block_permutation_test(r, q, *, n_permutations: int = 9999, seed: int = 0) -> float:
    r"""Two-sided permutation p-value of the r-q correlation, shuffling r between whole blocks.

    ``r`` and ``q`` are ``(m, n_blocks)``: column j holds the m parameters of block j (e.g. the
    784 incoming and 2 outgoing weights of hidden unit j). Each permutation :math:`\pi` pairs
    ``r[:, π(j)]`` with ``q[:, j]``, keeps the pairs where both are defined, and recomputes the
    Pearson correlation :math:`\rho_\pi`; the p-value is
    :math:`(1 + \#\{|\rho_\pi| \ge |\rho|\}) / (1 + n_{perm})`. All permutations are evaluated
    at once from the block-pair sums (``n_blocks x n_blocks`` matrices), so 10^4 are cheap.

    Args:
        r, q: ``(m, n_blocks)``, NaN where undefined.
        n_permutations: random permutations (>= 1).
        seed: for the permutations.

    Returns:
        The p-value in ``(0, 1]``; NaN if the observed correlation is undefined.

    Raises:
        ValueError: shapes differ or are not 2-D, or n_permutations < 1.
    """
    r, q = np.asarray(r, np.float64), np.asarray(q, np.float64)
    if r.ndim != 2 or r.shape != q.shape:
        raise ValueError(f"r and q must be equal 2-D shapes (m, n_blocks), got {r.shape} and {q.shape}")
    if n_permutations < 1:
        raise ValueError(f"n_permutations must be >= 1, got {n_permutations}")
    valid_r, valid_q = np.isfinite(r), np.isfinite(q)
    r0, q0 = np.where(valid_r, r, 0.0), np.where(valid_q, q, 0.0)
    vr, vq = valid_r.astype(np.float64), valid_q.astype(np.float64)
    # pair sums[k, j] over the rows, for r of block k with q of block j
    sums = {"n": vr.T @ vq, "r": r0.T @ vq, "q": vr.T @ q0, "rr": (r0**2).T @ vq, "qq": vr.T @ q0**2, "rq": r0.T @ q0}
    n_blocks = r.shape[1]
    rng = np.random.default_rng(seed)
    perms = np.vstack([np.arange(n_blocks), np.argsort(rng.random((n_permutations, n_blocks)), axis=1)])
    cols = np.arange(n_blocks)
    total = {name: m[perms, cols].sum(axis=1) for name, m in sums.items()}
    n = total["n"]
    with np.errstate(invalid="ignore", divide="ignore"):
        cov = total["rq"] - total["r"] * total["q"] / n
        var_r = total["rr"] - total["r"] ** 2 / n
        var_q = total["qq"] - total["q"] ** 2 / n
        rho = cov / np.sqrt(var_r * var_q)
    observed, null = rho[0], rho[1:]
    if not np.isfinite(observed):
        return math.nan
    null = np.where(np.isfinite(null), null, 0.0)
    return float((1 + np.sum(np.abs(null) >= abs(observed) - 1e-12)) / (1 + n_permutations))


def row_correlations(r, q, min_pairs: int = 3) -> np.ndarray:
    """Pearson correlation of r and q along each row (e.g. over a pixel's outgoing weights).

    Args:
        r, q: ``(m, n)``, NaN where undefined.
        min_pairs: rows with fewer defined pairs, or constant r or q, give NaN.

    Returns:
        ``(m,)`` correlations.
    """
    r, q = np.asarray(r, np.float64), np.asarray(q, np.float64)
    if r.ndim != 2 or r.shape != q.shape:
        raise ValueError(f"r and q must be equal 2-D shapes, got {r.shape} and {q.shape}")
    keep = np.isfinite(r) & np.isfinite(q)
    n = keep.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_r = np.where(keep, r, 0).sum(axis=1) / n
        mean_q = np.where(keep, q, 0).sum(axis=1) / n
        dr = np.where(keep, r - mean_r[:, None], 0)
        dq = np.where(keep, q - mean_q[:, None], 0)
        denom = np.sqrt((dr**2).sum(axis=1) * (dq**2).sum(axis=1))
        rho = (dr * dq).sum(axis=1) / denom
    return np.where((n >= min_pairs) & (denom > 1e-300), rho, np.nan)


def hidden_unit_blocks(first, second) -> np.ndarray:
    r"""Group the parameters of a two-layer net by hidden unit: ``(d_in + d_out, h)``.

    Column :math:`j` holds every weight into hidden unit :math:`j` (``first[:, j]``) and then every
    weight out of it (``second[j, :]``): the blocks :func:`block_permutation_test` shuffles.

    Args:
        first: ``(d_in, h)`` values of the first layer's weights (e.g. r or q per weight).
        second: ``(h, d_out)`` values of the second layer's weights.

    Returns:
        ``(d_in + d_out, h)``.

    Raises:
        ValueError: the hidden widths differ or the arrays are not 2-D.

    Example:
        >>> import numpy as np
        >>> hidden_unit_blocks(np.arange(6.0).reshape(3, 2), 10 + np.arange(2.0).reshape(2, 1))[:, 1].tolist()
        [1.0, 3.0, 5.0, 11.0]
    """
    first, second = np.asarray(first), np.asarray(second)
    if first.ndim != 2 or second.ndim != 2 or first.shape[1] != second.shape[0]:
        raise ValueError(f"need first (d_in, h) and second (h, d_out), got {first.shape} and {second.shape}")
    return np.concatenate([first, second.T], axis=0)


@dataclasses.dataclass(frozen=True)
class MemberAttribution:
    """r against q for one network of a two-layer ensemble (see :func:`member_attribution`).

    Attributes:
        weight, bias: :class:`LinearFit` of q on r over all weights / all biases of both layers.
        weight_blocks: ``(r, q)``, each ``(d_in + d_out, h)`` (:func:`hidden_unit_blocks`).
        bias_blocks: ``(r, q)``, each ``(1, h + d_out)``: all biases as one block.
        r_bias, q_bias: ``(h + d_out,)`` the biases' r and q.
        pixel_correlation: ``(d_in,)`` correlation of r and q over the weights leaving each input.
    """

    weight: LinearFit
    bias: LinearFit
    weight_blocks: tuple[np.ndarray, np.ndarray]
    bias_blocks: tuple[np.ndarray, np.ndarray]
    r_bias: np.ndarray
    q_bias: np.ndarray
    pixel_correlation: np.ndarray


def member_attribution(tallies, forks, member: int) -> MemberAttribution:
    r"""Relative updating r, relative fork difference q and their fits for one member of a two-layer ensemble.

    Per layer :math:`l` and parameter kind, :math:`r = a/(a+b)` from the group tallies
    (:func:`relative_updating`) and :math:`q = c/(c+d)` from the four forks
    (:func:`relative_difference`); both layers are pooled for the fits (:func:`fit_relative`),
    weights are grouped by hidden unit (:func:`hidden_unit_blocks`), and the per-input
    correlation is :func:`row_correlations` of the first layer's r and q.

    Args:
        tallies: two layers ``[{"weight": (E, 2, d_in, h), "bias": (E, 2, h)}, {"weight": (E, 2, h, d_out),
            "bias": (E, 2, d_out)}]``, group A then B (``TrainResult.aux`` of
            :func:`toyscope.train.train` with a :func:`toyscope.train.group_tally_observer`).
        forks: the same two layers with leaves ``(4, E, ...)``: forks A1 vs B, A2 vs B, A vs B1, A vs B2.
        member: ensemble index ``e``.

    Returns:
        :class:`MemberAttribution`.

    Example:
        >>> import numpy as np
        >>> rng = np.random.default_rng(0)
        >>> layer = lambda *s: {"weight": rng.random(s + (3, 2)), "bias": rng.random(s + (2,))}
        >>> tallies = [layer(1, 2), {"weight": rng.random((1, 2, 2, 1)), "bias": rng.random((1, 2, 1))}]
        >>> forks = [layer(4, 1), {"weight": rng.random((4, 1, 2, 1)), "bias": rng.random((4, 1, 1))}]
        >>> m = member_attribution(tallies, forks, 0)
        >>> m.weight.n, m.weight_blocks[0].shape, m.r_bias.shape, m.pixel_correlation.shape
        (8, (4, 2), (3,), (3,))
    """
    out = {}
    for kind in ("weight", "bias"):
        r_layers = [relative_updating(layer[kind][member, 0], layer[kind][member, 1]) for layer in tallies]
        q_layers = [relative_difference(*(layer[kind][k, member] for k in range(4))) for layer in forks]
        out[kind] = fit_relative(np.concatenate([x.ravel() for x in r_layers]),
                                 np.concatenate([x.ravel() for x in q_layers]))
        if kind == "weight":
            out["weight_blocks"] = (hidden_unit_blocks(*r_layers), hidden_unit_blocks(*q_layers))
            out["pixel_correlation"] = row_correlations(r_layers[0], q_layers[0])
        else:
            r_blocks = np.concatenate([x.ravel() for x in r_layers])[None]
            q_blocks = np.concatenate([x.ravel() for x in q_layers])[None]
            out["bias_blocks"] = (r_blocks, q_blocks)
            out["r_bias"], out["q_bias"] = r_blocks[0], q_blocks[0]
    return MemberAttribution(**out)


def r2_against_snapshots(tallies, snapshot_steps, snapshots, n_members: int) -> dict:
    r"""R^2 of q on r per member with the forks stopped at each snapshot (step 0 skipped).

    For snapshot :math:`s` at step :math:`t_s > 0`, the forks' params at :math:`t_s` replace the
    final ones in :func:`member_attribution`.

    Args:
        tallies: as :func:`member_attribution`.
        snapshot_steps: ``(S,)`` steps of the snapshots.
        snapshots: fork params with leaves ``(S, 4, E, ...)`` (``ForkResult.snapshots``).
        n_members: members ``E`` to evaluate.

    Returns:
        ``{"steps": [t_s], "weights": [[R^2 per member] per snapshot], "biases": [...]}`` over the
        snapshots with :math:`t_s > 0`.

    Example:
        >>> import numpy as np
        >>> rng = np.random.default_rng(0)
        >>> tallies = [{"weight": rng.random((1, 2, 3, 2)), "bias": rng.random((1, 2, 2))},
        ...            {"weight": rng.random((1, 2, 2, 1)), "bias": rng.random((1, 2, 1))}]
        >>> snaps = [{"weight": rng.random((2, 4, 1, 3, 2)), "bias": rng.random((2, 4, 1, 2))},
        ...          {"weight": rng.random((2, 4, 1, 2, 1)), "bias": rng.random((2, 4, 1, 1))}]
        >>> out = r2_against_snapshots(tallies, np.array([0, 5]), snaps, 1)
        >>> out["steps"], len(out["weights"]), len(out["weights"][0])
        ([5], 1, 1)
    """
    steps = [int(t) for t in snapshot_steps if t > 0]
    out = {"steps": steps, "weights": [], "biases": []}
    for i, step in enumerate(snapshot_steps):
        if step == 0:
            continue
        snapshot = jax.tree_util.tree_map(lambda p, i=i: p[i], snapshots)
        fits = [member_attribution(tallies, snapshot, e) for e in range(n_members)]
        out["weights"].append([f.weight.r2 for f in fits])
        out["biases"].append([f.bias.r2 for f in fits])
    return out


def mean_correlation_map(correlations, shape) -> np.ndarray:
    """Mean over members of per-input correlations, NaN-aware, reshaped to the input image.

    ``map[p] = nanmean_e correlations[e, p]``; all NaN (no input with a defined correlation in
    any member) gives an all-NaN map.

    Args:
        correlations: ``(E, P)`` per member and input (NaN where undefined).
        shape: image shape with ``prod(shape) == P``, e.g. ``(28, 28)``.

    Returns:
        ``shape`` array.

    Example:
        >>> import numpy as np
        >>> mean_correlation_map(np.array([[0.2, np.nan], [0.4, np.nan]]), (1, 2)).tolist()
        [[0.30000000000000004, nan]]
    """
    correlations = np.asarray(correlations, np.float64)
    if not np.isfinite(correlations).any():
        return np.full(shape, np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # inputs undefined in every member stay NaN
        return np.nanmean(correlations, axis=0).reshape(shape)


def correlation_map_summary(correlation_map) -> dict:
    """Mean of a correlation map over its defined entries, and the fraction of entries that are positive.

    ``mean_over_pixels`` ignores NaN entries; ``fraction_positive`` divides by all entries (a NaN
    entry counts as not positive), so it is the share of the whole image with a positive correlation.

    Args:
        correlation_map: any shape, e.g. ``(28, 28)`` from :func:`mean_correlation_map`.

    Returns:
        ``{"mean_over_pixels": float, "fraction_positive": float}``.

    Example:
        >>> import numpy as np
        >>> correlation_map_summary(np.array([[0.5, -0.25], [0.5, np.nan]]))
        {'mean_over_pixels': 0.25, 'fraction_positive': 0.5}
    """
    correlation_map = np.asarray(correlation_map)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN map has no mean
        mean = float(np.nanmean(correlation_map))
    return {"mean_over_pixels": mean, "fraction_positive": float(np.nanmean(correlation_map > 0))}
