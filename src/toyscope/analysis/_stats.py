"""Intervals for the fractions, means and correlations every report quotes."""

from __future__ import annotations

import math

import numpy as np
from scipy import stats


def proportion_interval(successes: int, trials: int, confidence: float = 0.95) -> tuple[float, float]:
    r"""Wilson score interval for a binomial proportion :math:`k/n`.

    :math:`\frac{\hat p + z^2/2n \pm z\sqrt{\hat p(1-\hat p)/n + z^2/4n^2}}{1 + z^2/n}`.
    Returns ``(nan, nan)`` for ``trials == 0``. E.g. 14 of 20 gives about (0.48, 0.85).
    """
    if trials < 0 or successes < 0 or successes > trials:
        raise ValueError(f"need 0 <= successes <= trials, got {successes} of {trials}")
    if trials == 0:
        return (math.nan, math.nan)
    z = stats.norm.ppf(0.5 + confidence / 2)
    p = successes / trials
    denom = 1 + z**2 / trials
    centre = (p + z**2 / (2 * trials)) / denom
    half = z * math.sqrt(p * (1 - p) / trials + z**2 / (4 * trials**2)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def mean_interval(values, confidence: float = 0.95) -> tuple[float, float, float]:
    """Mean and Student-t interval ``(mean, low, high)`` of 1-D ``values`` (nan bounds if n < 2)."""
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    n = values.size
    if n == 0:
        return (math.nan, math.nan, math.nan)
    mean = float(values.mean())
    if n < 2:
        return (mean, math.nan, math.nan)
    half = stats.t.ppf(0.5 + confidence / 2, n - 1) * values.std(ddof=1) / math.sqrt(n)
    return (mean, mean - half, mean + half)


def correlation_interval(r: float, n: int, confidence: float = 0.95) -> tuple[float, float]:
    r"""Fisher-z interval for a (Pearson or Spearman) correlation ``r`` from ``n`` pairs:
    :math:`\tanh(\operatorname{atanh} r \pm z/\sqrt{n-3})`."""
    if n <= 3 or not np.isfinite(r):
        return (math.nan, math.nan)
    z = stats.norm.ppf(0.5 + confidence / 2)
    centre = math.atanh(max(min(r, 1 - 1e-12), -1 + 1e-12))
    return (math.tanh(centre - z / math.sqrt(n - 3)), math.tanh(centre + z / math.sqrt(n - 3)))


def bootstrap_interval(values, statistic=np.mean, *, n_resamples: int = 2000, confidence: float = 0.95,
                       seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap interval of ``statistic`` over 1-D ``values`` (seeded)."""
    values = np.asarray(values)
    if values.size == 0:
        return (math.nan, math.nan)
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, values.size, size=(n_resamples, values.size))
    estimates = np.array([statistic(values[d]) for d in draws])
    alpha = (1 - confidence) / 2
    return (float(np.quantile(estimates, alpha)), float(np.quantile(estimates, 1 - alpha)))


def format_mean_interval(values, fmt: str = "{:.3g}") -> str:
    """``"0.52 [0.47, 0.57]"``: the mean of ``values`` with its 95% t-interval (the mean alone when
    there are too few values for an interval)."""
    mean, low, high = mean_interval(values)
    if not np.isfinite(low):
        return fmt.format(mean)
    return f"{fmt.format(mean)} [{fmt.format(low)}, {fmt.format(high)}]"


def format_fraction(successes: int, trials: int) -> str:
    """``"14/20 = 70.0% [48.1%, 85.5%]"``: a fraction with its Wilson 95% interval."""
    low, high = proportion_interval(successes, trials)
    if trials == 0:
        return "0/0"
    return f"{successes}/{trials} = {100 * successes / trials:.1f}% [{100 * low:.1f}%, {100 * high:.1f}%]"
