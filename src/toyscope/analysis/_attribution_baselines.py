r"""Baselines and checks that let a reader judge an update-attribution R^2.

Update attribution (:mod:`toyscope.analysis._update_attribution`) fits the relative fork
difference :math:`q = c/(c+d)` on the relative updating :math:`r = a/(a+b)`. This module adds:

- :func:`r2_interval`: an interval over seeds for a mean R^2 whose support is [0, 1] (Fisher z
  on the signed correlations, then squared);
- :func:`linearised_forks`: the first-order prediction of every fork,
  :math:`\theta_k \approx \theta_0 - \eta \sum_{s \in S_k} \nabla \ell_s(\theta_0)`;
- :func:`order_noise`: how far forks on the same samples in another order end up from each other,
  against the difference between forks on different samples;
- :func:`r2_split`: the correlation of r and q over a two-layer net's first-layer weights split
  into its per-hidden-unit, per-pixel and within parts (two-way decomposition);
- :func:`phase1_plateau`: the slope of the per-sample loss over the end of a training window;
- :func:`fork_zero_differences`: parameters whose fork differences are exactly zero (float32
  rounding at small learning rates);
- :func:`constant_input_clusters`: the paper's clusters, checked: a weight from an input that is
  constant over the data has the r and q of its hidden unit's bias.

Reference: "update-attribution-mnist" (``../shared/papers/update-attribution-mnist.txt``).
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np

from ._update_attribution import relative_difference, relative_updating


def r2_interval(correlations, confidence: float = 0.95) -> dict:
    r"""Mean R^2 over seeds with an interval inside [0, 1].

    From the seeds' signed Pearson correlations :math:`\rho_e`: :math:`z_e = \operatorname{atanh}\rho_e`,
    a Student-t interval :math:`[z_-, z_+]` of their mean over the n seeds, then back through
    :math:`\tanh` and squared: :math:`[\tanh^2 z_-, \tanh^2 z_+]` when both have the same sign,
    :math:`[0, \max(\tanh^2 z_-, \tanh^2 z_+)]` when the interval of :math:`\rho` contains 0.
    ``centre`` is :math:`\tanh^2 \bar z`; ``mean`` the plain mean of :math:`\rho_e^2`.

    Args:
        correlations: ``(n,)`` one signed correlation per seed (NaN ones are dropped).
        confidence: of the interval.

    Returns:
        ``{"mean", "centre", "low", "high", "n"}`` (NaN bounds when fewer than 2 finite values).

    Example:
        >>> out = r2_interval([0.5, 0.55, 0.45, 0.5])
        >>> round(out["centre"], 2), bool(0 < out["low"] < 0.25 < out["high"] < 1)
        (0.25, True)
    """
    from scipy import stats  # imported on first use (about 0.8 s)

    rho = np.asarray(correlations, np.float64).ravel()
    rho = rho[np.isfinite(rho)]
    n = int(rho.size)
    if n == 0:
        return {"mean": math.nan, "centre": math.nan, "low": math.nan, "high": math.nan, "n": 0}
    z = np.arctanh(np.clip(rho, -1 + 1e-12, 1 - 1e-12))
    mean = float(np.mean(rho**2))
    centre = float(np.tanh(z.mean()) ** 2)
    if n < 2:
        return {"mean": mean, "centre": centre, "low": math.nan, "high": math.nan, "n": n}
    half = stats.t.ppf(0.5 + confidence / 2, n - 1) * z.std(ddof=1) / math.sqrt(n)
    lo, hi = np.tanh(z.mean() - half), np.tanh(z.mean() + half)
    low, high = (0.0, max(lo**2, hi**2)) if lo <= 0 <= hi else (min(lo**2, hi**2), max(lo**2, hi**2))
    return {"mean": mean, "centre": centre, "low": float(low), "high": float(high), "n": n}


def linearised_forks(objective, params, data: dict, subsets, *, learning_rate: float, chunk: int = 4096):
    r"""First-order prediction of per-sample SGD forks: every fork's params after one pass over its
    samples, with every gradient taken at the starting point,

    .. math:: \theta_k^{\text{lin}} = \theta_0 - \eta \sum_{s \in S_k} \nabla_\theta \ell_s(\theta_0).

    Exact for one step (one sample); the difference from the trained fork is second order in
    :math:`\eta`.

    Args:
        objective: ``(params, batch) -> mean loss over the batch`` for one network (e.g.
            :func:`toyscope.train.mlp_objective`).
        params: ensemble params, leaves ``(E, ...)``.
        data: ``{"x": (N, ...), "y": (N, ...), ...}``.
        subsets: K index arrays into ``data`` (the forks' samples).
        learning_rate: :math:`\eta`.
        chunk: samples per gradient evaluation (memory only).

    Returns:
        params with leaves ``(K, E, ...)``, the layout of :func:`toyscope.train.fork` finals.

    Example:
        >>> from toyscope import nets, train
        >>> spec = nets.mlp([2, 3, 1], "softplus")
        >>> p = nets.init(spec, key=jax.random.key(0), n_networks=2)
        >>> data = {"x": np.ones((4, 2), np.float32), "y": np.zeros((4, 1), np.float32)}
        >>> lin = linearised_forks(train.mlp_objective(spec), p, data, [np.arange(2)], learning_rate=0.1)
        >>> lin[0]["weight"].shape
        (1, 2, 2, 3)
    """
    if not learning_rate > 0 or chunk < 1:
        raise ValueError(f"learning_rate must be > 0 and chunk >= 1, got {learning_rate} and {chunk}")
    data = {k: jnp.asarray(data[k]) for k in ("x", "y")}
    n_examples = data["x"].shape[0]

    @jax.jit
    def summed_grad(p, x, y):  # sum over the chunk of per-sample gradients, for every member
        return jax.vmap(lambda q: jax.tree_util.tree_map(lambda g: g * x.shape[0],
                                                         jax.grad(objective)(q, {"x": x, "y": y})))(p)

    out = []
    for subset in subsets:
        subset = np.asarray(subset, np.int64)
        if subset.size == 0 or subset.min() < 0 or subset.max() >= n_examples:
            raise ValueError(f"every subset must be non-empty with indices in [0, {n_examples})")
        total = jax.tree_util.tree_map(jnp.zeros_like, params)
        for start in range(0, subset.size, chunk):
            idx = subset[start:start + chunk]
            g = summed_grad(params, data["x"][idx], data["y"][idx])
            total = jax.tree_util.tree_map(jnp.add, total, g)
        out.append(jax.tree_util.tree_map(lambda p, g: np.asarray(p - learning_rate * g), params, total))
    return jax.tree_util.tree_map(lambda *leaves: np.stack(leaves), *out)


def order_noise(forks, reordered) -> dict:
    r"""Forks on the same samples in another order, against forks on different samples.

    For every parameter, the order noise :math:`|\theta_k - \theta_k'|` (fork k against its
    reordered twin) and the sample difference :math:`c = |\theta_{A1} - \theta_{A2}|`,
    :math:`d = |\theta_{B1} - \theta_{B2}|` (the four forks in the order of
    :func:`toyscope.train.fork`'s study use: A1 vs B, A2 vs B, A vs B1, A vs B2). Reports the ratio
    of medians over all weights and biases of all members, pooled.

    Args:
        forks, reordered: params with leaves ``(4, E, ...)``.

    Returns:
        ``{"median_order_noise", "median_sample_difference", "ratio"}``: ratio near 0 means the
        forks are determined by their samples; near 1, the order matters as much as the samples.

    Example:
        >>> f = [{"w": np.array([[0.0], [1.0], [0.0], [2.0]])}]
        >>> round(order_noise(f, [{"w": f[0]["w"] + 0.1}])["ratio"], 4)
        0.0667
    """
    leaves_f, leaves_r = jax.tree_util.tree_leaves(forks), jax.tree_util.tree_leaves(reordered)
    noise = np.concatenate([np.abs(np.asarray(a, np.float64) - np.asarray(b, np.float64)).ravel()
                            for a, b in zip(leaves_f, leaves_r, strict=True)])
    diffs = np.concatenate([np.concatenate([np.abs(np.asarray(a[0], np.float64) - a[1]).ravel(),
                                            np.abs(np.asarray(a[2], np.float64) - a[3]).ravel()]) for a in leaves_f])
    med_noise, med_diff = float(np.median(noise)), float(np.median(diffs))
    return {"median_order_noise": med_noise, "median_sample_difference": med_diff,
            "ratio": med_noise / med_diff if med_diff > 0 else math.nan}


def first_layer_rq(tallies, forks, member: int) -> tuple[np.ndarray, np.ndarray]:
    r"""r and q of the first layer's weights of one member, ``(d_in, h)`` each (NaN where undefined).

    Args:
        tallies: layers with leaves ``(E, 2, ...)`` (see :func:`toyscope.analysis.member_attribution`).
        forks: layers with leaves ``(4, E, ...)``.
        member: ensemble index.
    """
    w = tallies[0]["weight"]
    r = relative_updating(w[member, 0], w[member, 1])
    q = relative_difference(*(forks[0]["weight"][k, member] for k in range(4)))
    return r, q


def r2_split(r, q) -> dict:
    r"""The correlation of r and q over a ``(P, H)`` grid (pixels x hidden units) split into parts.

    With the two-way decomposition :math:`x_{ph} = \bar x + u_h + v_p + w_{ph}` (unit effects
    :math:`u_h = \bar x_{\cdot h} - \bar x`, pixel effects :math:`v_p = \bar x_{p\cdot} - \bar x`,
    the rest :math:`w`), the three parts are orthogonal on a complete grid, so

    .. math:: \rho(r, q) = \underbrace{\frac{P\sum_h u^r_h u^q_h}{N\sigma_r\sigma_q}}_{\text{unit}}
        + \underbrace{\frac{H\sum_p v^r_p v^q_p}{N\sigma_r\sigma_q}}_{\text{pixel}}
        + \underbrace{\frac{\sum_{ph} w^r_{ph} w^q_{ph}}{N\sigma_r\sigma_q}}_{\text{within}},

    :math:`N = PH`, :math:`\sigma` the population standard deviations. R^2 is :math:`\rho^2`;
    the parts are reported as shares of :math:`\rho` (they sum to it) and as each part's own
    correlation (e.g. ``unit_r2``: R^2 of the unit means of q on those of r).

    Args:
        r, q: ``(P, H)`` (e.g. :func:`first_layer_rq`); any NaN makes every output NaN.

    Returns:
        ``{"correlation", "r2", "unit", "pixel", "within", "unit_r2", "pixel_r2", "within_r2"}``.

    Example:
        >>> rng = np.random.default_rng(0)
        >>> u = rng.normal(size=(1, 50)); r = u + 0.1 * rng.normal(size=(30, 50)); q = u + rng.normal(size=(30, 50))
        >>> out = r2_split(r, q)
        >>> float(round(out["unit"] + out["pixel"] + out["within"] - out["correlation"], 12)), bool(out["unit"] > 0.5)
        (0.0, True)
    """
    r, q = np.asarray(r, np.float64), np.asarray(q, np.float64)
    if r.ndim != 2 or r.shape != q.shape:
        raise ValueError(f"r and q must be equal 2-D shapes (pixels, units), got {r.shape} and {q.shape}")
    keys = ("correlation", "r2", "unit", "pixel", "within", "unit_r2", "pixel_r2", "within_r2")
    if not (np.isfinite(r).all() and np.isfinite(q).all()):
        return dict.fromkeys(keys, math.nan)

    def parts(x):
        mean = x.mean()
        unit, pixel = x.mean(axis=0) - mean, x.mean(axis=1) - mean
        return unit, pixel, x - mean - unit[None, :] - pixel[:, None]

    (ur, vr, wr), (uq, vq, wq) = parts(r), parts(q)
    n_pixels, n_units = r.shape
    n = r.size
    scale = n * r.std() * q.std()
    if scale == 0:
        return dict.fromkeys(keys, math.nan)
    unit = n_pixels * float(ur @ uq) / scale
    pixel = n_units * float(vr @ vq) / scale
    within = float((wr * wq).sum()) / scale

    def own_r2(a, b):
        denom = math.sqrt(float(a.ravel() @ a.ravel()) * float(b.ravel() @ b.ravel()))
        return (float(a.ravel() @ b.ravel()) / denom) ** 2 if denom > 0 else math.nan

    rho = unit + pixel + within
    return {"correlation": rho, "r2": rho**2, "unit": unit, "pixel": pixel, "within": within,
            "unit_r2": own_r2(ur, uq), "pixel_r2": own_r2(vr, vq), "within_r2": own_r2(wr, wq)}


def phase1_plateau(losses, tail: float = 0.5) -> dict:
    r"""Is the per-sample loss still falling at the end of a training window?

    Per member, the least-squares slope :math:`\beta` of the loss :math:`\ell_t` on the step t over
    the last ``tail`` of the steps, and the relative change it implies across that tail,
    :math:`\beta\,T_{\text{tail}} / \bar\ell_{\text{tail}}` (-0.5: the fitted loss falls by half
    the tail's mean loss; 0: a plateau).

    Args:
        losses: ``(T, E)`` per-step loss of every member (NaN steps are dropped).
        tail: fraction of the steps at the end, in (0, 1].

    Returns:
        ``{"slope": (E,) per step, "relative_change": (E,), "tail_steps": int, "tail_mean_loss": (E,)}`` as lists.

    Example:
        >>> t = np.arange(100.0)
        >>> out = phase1_plateau(np.stack([1 - t / 200, np.full(100, 0.5)], axis=1))
        >>> [round(v, 3) for v in out["relative_change"]]
        [-0.398, 0.0]
    """
    losses = np.asarray(losses, np.float64)
    if losses.ndim != 2 or not 0 < tail <= 1:
        raise ValueError(f"losses must be (T, E) and tail in (0, 1], got shape {losses.shape} and tail {tail}")
    n_tail = max(2, round(tail * losses.shape[0]))
    steps = np.arange(losses.shape[0])[-n_tail:].astype(np.float64)
    slopes, changes, means = [], [], []
    for column in losses[-n_tail:].T:
        keep = np.isfinite(column)
        if keep.sum() < 2:
            slopes.append(math.nan), changes.append(math.nan), means.append(math.nan)
            continue
        slope = float(np.polyfit(steps[keep], column[keep], 1)[0])
        mean = float(column[keep].mean())
        slopes.append(slope), means.append(mean)
        changes.append(slope * n_tail / mean if mean > 0 else math.nan)
    return {"slope": slopes, "relative_change": changes, "tail_steps": n_tail, "tail_mean_loss": means}


def fork_zero_differences(forks) -> dict:
    r"""Parameters whose fork differences :math:`c = |\theta_{A1} - \theta_{A2}|` or
    :math:`d = |\theta_{B1} - \theta_{B2}|` are exactly zero (pooled over members and layers).

    Exactly zero differences in float32 at small learning rates mean that the updates were rounded
    away (a weight near 0.05 has a float32 spacing near 4e-9), not that the forks agree.

    Args:
        forks: params with leaves ``(4, E, ...)``.

    Returns:
        ``{"c_zero", "d_zero", "both_zero", "n"}`` counts (n: parameters times members).

    Example:
        >>> fork_zero_differences([{"w": np.array([[1.0, 2.0], [1.0, 3.0], [5.0, 5.0], [5.0, 6.0]])}])
        {'c_zero': 1, 'd_zero': 1, 'both_zero': 1, 'n': 2}
    """
    c_zero = d_zero = both = n = 0
    for leaf in jax.tree_util.tree_leaves(forks):
        leaf = np.asarray(leaf)
        c, d = leaf[0] == leaf[1], leaf[2] == leaf[3]
        c_zero, d_zero, both, n = c_zero + int(c.sum()), d_zero + int(d.sum()), both + int((c & d).sum()), n + c.size
    return {"c_zero": c_zero, "d_zero": d_zero, "both_zero": both, "n": n}


def constant_input_clusters(x_seen, r_weights, q_weights, r_bias, q_bias) -> dict:
    r"""The paper's clusters, checked: weights from an input that is constant over every sample seen.

    If input p takes one value :math:`x_p` over the tallied and fork samples, each update of
    weight (p, h) is :math:`x_p` times the update of hidden bias h, so its
    :math:`r_{ph} = r^{\text{bias}}_h` and :math:`q_{ph} = q^{\text{bias}}_h` exactly: the weights
    of such inputs sit in one point per hidden unit, at that unit's bias. The same makes the
    per-pixel correlation of every constant input equal to the hidden biases' correlation.

    Args:
        x_seen: ``(n, P)`` every input the tallies and forks saw.
        r_weights, q_weights: ``(P, H)`` first-layer r and q.
        r_bias, q_bias: ``(H,)`` hidden biases' r and q.

    Returns:
        ``{"n_constant_inputs", "share_of_weights", "max_abs_r_gap", "max_abs_q_gap", "bias_correlation"}``:
        the largest :math:`|r_{ph} - r^{\text{bias}}_h|` and :math:`|q_{ph} - q^{\text{bias}}_h|`
        over constant inputs (NaN when none), and :math:`\rho(r^{\text{bias}}, q^{\text{bias}})`.

    Example:
        >>> x = np.array([[0.1, 0.5], [0.1, 0.7]]); rb, qb = np.array([0.2, 0.4]), np.array([0.3, 0.6])
        >>> out = constant_input_clusters(x, np.stack([rb, [0.9, 0.1]]), np.stack([qb, [0.5, 0.5]]), rb, qb)
        >>> out["n_constant_inputs"], out["max_abs_r_gap"]
        (1, 0.0)
    """
    x_seen = np.asarray(x_seen)
    r_weights, q_weights = np.asarray(r_weights, np.float64), np.asarray(q_weights, np.float64)
    r_bias, q_bias = np.asarray(r_bias, np.float64), np.asarray(q_bias, np.float64)
    if r_weights.shape != (x_seen.shape[1], r_bias.size) or q_weights.shape != r_weights.shape:
        raise ValueError(f"need r_weights, q_weights (P, H) = ({x_seen.shape[1]}, {r_bias.size}), got "
                         f"{r_weights.shape} and {q_weights.shape}")
    constant = (x_seen == x_seen[:1]).all(axis=0)
    keep = np.isfinite(r_bias) & np.isfinite(q_bias)
    corr = float(np.corrcoef(r_bias[keep], q_bias[keep])[0, 1]) if keep.sum() > 2 else math.nan
    if not constant.any():
        return {"n_constant_inputs": 0, "share_of_weights": 0.0, "max_abs_r_gap": math.nan,
                "max_abs_q_gap": math.nan, "bias_correlation": corr}
    return {"n_constant_inputs": int(constant.sum()), "share_of_weights": float(constant.mean()),
            "max_abs_r_gap": float(np.nanmax(np.abs(r_weights[constant] - r_bias[None]))),
            "max_abs_q_gap": float(np.nanmax(np.abs(q_weights[constant] - q_bias[None]))),
            "bias_correlation": corr}
