"""Intervals for the fractions, means and correlations every report quotes.

One vocabulary: :func:`seed_interval` gives an :class:`Interval` over seeds whose method respects
the quantity's support (:data:`SUPPORTS`: Student t, or t on the log, logit or Fisher-z scale),
and none below :data:`MIN_VALUES_FOR_SPREAD` values; :func:`fraction_interval` gives the Wilson
interval of a count; :func:`correlation_interval` the Fisher-z interval of one correlation from n
pairs. :func:`format_number` writes numbers for reports (3 significant figures).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np


def proportion_interval(successes: int, trials: int, confidence: float = 0.95) -> tuple[float, float]:
    r"""Wilson score interval for a binomial proportion :math:`k/n`.

    :math:`\frac{\hat p + z^2/2n \pm z\sqrt{\hat p(1-\hat p)/n + z^2/4n^2}}{1 + z^2/n}`.
    Returns ``(nan, nan)`` for ``trials == 0``. E.g. 14 of 20 gives about (0.48, 0.85).
    """
    from scipy import stats  # imported on first use (about 0.8 s)

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
    from scipy import stats  # imported on first use (about 0.8 s)

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
    from scipy import stats  # imported on first use (about 0.8 s)

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


def format_mean_interval(values, fmt: str | None = None, support: str = "real") -> str:
    """``"0.52 [0.47, 0.57]"``: the centre of ``values`` with its 95% interval from
    :func:`seed_interval` (``support`` as there), or ``"0.52 (2 seeds: spread cannot be
    estimated)"`` for fewer than three values. ``fmt`` (e.g. ``"{:.3f}"``) overrides the 3
    significant figures of :func:`format_number`."""
    interval = seed_interval(values, support)
    if fmt is None or not interval.spread_known:
        return interval.format(method=False)
    return f"{fmt.format(interval.estimate)} [{fmt.format(interval.low)}, {fmt.format(interval.high)}]"


def format_fraction(successes: int, trials: int) -> str:
    """``"14/20 = 70.0% [48.1%, 85.5%]"``: a fraction with its Wilson 95% interval."""
    low, high = proportion_interval(successes, trials)
    if trials == 0:
        return "0/0"
    return f"{successes}/{trials} = {100 * successes / trials:.1f}% [{100 * low:.1f}%, {100 * high:.1f}%]"


# --- one vocabulary for intervals over seeds -------------------------------------------------

#: the supports a seed-level quantity can have, and the scale its interval is computed on
SUPPORTS = {
    "real": "Student t",
    "positive": "Student t on log scale",
    "fraction": "Student t on logit scale",
    "correlation": "Student t on Fisher z = atanh scale",
}

#: fewer values than this and the spread over seeds is not estimated (no interval is printed)
MIN_VALUES_FOR_SPREAD = 3

_EDGE = 1e-12  # how far a value on the edge of its support is moved inside before transforming


@dataclasses.dataclass(frozen=True)
class Interval:
    """An estimate with its confidence interval (``low``/``high`` ``None`` when the spread cannot
    be estimated), the number of values ``n`` it came from and the ``method`` that made it.

    Example:
        >>> seed_interval([0.1, 0.2, 0.4], "positive").format()
        '0.200 [0.0357, 1.12] (3 seeds, Student t on log scale)'
    """

    estimate: float
    low: float | None
    high: float | None
    n: int
    method: str

    @property
    def spread_known(self) -> bool:
        """Whether the interval exists (enough values and finite bounds)."""
        return self.low is not None and self.high is not None

    def contains(self, value: float) -> bool:
        """Whether ``value`` lies inside ``[low, high]`` (``False`` when the spread is unknown)."""
        return self.spread_known and self.low <= value <= self.high

    def format(self, unit: str = "seeds", *, method: bool = True) -> str:
        """``"0.52 [0.47, 0.57] (5 seeds, Student t)"`` (without the parenthesis when ``method`` is
        false), or ``"0.52 (2 seeds: spread cannot be estimated)"`` below
        :data:`MIN_VALUES_FOR_SPREAD` values; numbers to 3 significant figures."""
        if not self.spread_known:
            return f"{format_number(self.estimate)} ({self.n} {unit}: spread cannot be estimated)"
        text = format_interval(self.estimate, self.low, self.high)
        return f"{text} ({self.n} {unit}, {self.method})" if method else text


def seed_interval(values, support: str = "real", confidence: float = 0.95) -> Interval:
    r"""The centre of 1-D ``values`` (one per seed) with a ``confidence`` interval that stays inside
    the quantity's support, computed on the scale where the support is the whole line:

    * ``"real"``: :math:`\bar x \pm t_{n-1}\, s/\sqrt n`, centre the mean;
    * ``"positive"`` (errors, losses, ratios): the same on :math:`\log x`, mapped back with
      :math:`\exp`: centre the geometric mean;
    * ``"fraction"`` (values in [0, 1]): on :math:`\operatorname{logit} x`, mapped back with the
      logistic function;
    * ``"correlation"`` (correlations, cosines in [-1, 1]): on Fisher's :math:`z = \operatorname{atanh} x`,
      mapped back with :math:`\tanh`.

    Non-finite values are dropped; a value on the edge of its support (0 for ``positive``, 0 or 1
    for ``fraction``, +-1 for ``correlation``) is moved 1e-12 inside it before the transform.
    With fewer than :data:`MIN_VALUES_FOR_SPREAD` values the bounds are ``None``: two seeds do not
    estimate a spread.

    Args:
        values: ``(n,)`` one value per seed (or member).
        support: one of :data:`SUPPORTS`.

    Raises:
        ValueError: an unknown support, or a value outside it.

    Example:
        >>> seed_interval([0.7, 0.8, 0.9], "correlation").format()
        '0.816 [0.369, 0.957] (3 seeds, Student t on Fisher z = atanh scale)'
    """
    from scipy import stats  # imported on first use (about 0.8 s)

    if support not in SUPPORTS:
        raise ValueError(f"support must be one of {', '.join(SUPPORTS)}, got {support!r}")
    values = np.asarray(values, dtype=float).ravel()
    values = values[np.isfinite(values)]
    low_edge, high_edge = {"real": (-np.inf, np.inf), "positive": (0.0, np.inf), "fraction": (0.0, 1.0),
                           "correlation": (-1.0, 1.0)}[support]
    if values.size and (values.min() < low_edge or values.max() > high_edge):
        raise ValueError(f"values for support {support!r} must lie in [{low_edge}, {high_edge}], "
                         f"got {values.min():.3g} to {values.max():.3g}")
    forward, back = _transforms(support)
    n = int(values.size)
    if n == 0:
        return Interval(math.nan, None, None, 0, SUPPORTS[support])
    z = forward(np.clip(values, low_edge + _EDGE if np.isfinite(low_edge) else -np.inf,
                        high_edge - _EDGE if np.isfinite(high_edge) else np.inf))
    centre = float(back(z.mean()))
    if n < MIN_VALUES_FOR_SPREAD:
        return Interval(centre, None, None, n, SUPPORTS[support])
    half = stats.t.ppf(0.5 + confidence / 2, n - 1) * z.std(ddof=1) / math.sqrt(n)
    return Interval(centre, float(back(z.mean() - half)), float(back(z.mean() + half)), n, SUPPORTS[support])


def _transforms(support: str):
    if support == "positive":
        return np.log, np.exp
    if support == "fraction":
        return (lambda p: np.log(p) - np.log1p(-p)), (lambda z: 1 / (1 + np.exp(-z)))
    if support == "correlation":
        return np.arctanh, np.tanh
    return (lambda x: x), (lambda x: x)


def fraction_interval(successes: int, trials: int, confidence: float = 0.95) -> Interval:
    """``successes / trials`` with its Wilson interval (:func:`proportion_interval`) as an :class:`Interval`.

    Example:
        >>> fraction_interval(14, 20).format("trials")
        '0.700 [0.481, 0.855] (20 trials, Wilson)'
    """
    low, high = proportion_interval(successes, trials, confidence)
    if trials == 0:
        return Interval(math.nan, None, None, 0, "Wilson")
    return Interval(successes / trials, low, high, trials, "Wilson")


def format_interval(centre: float, low: float, high: float, digits: int = 3) -> str:
    """``"0.963 [0.960, 0.966]"``: a centre and its interval to the same significant figures (3, or
    as many more, up to 6, as it takes for bounds that differ to print differently); trailing
    zeros kept so that the three numbers read at one precision.

    Example:
        >>> format_interval(0.9631, 0.9600, 0.9658), format_interval(2.6244, 2.6196, 2.6272)
        ('0.963 [0.960, 0.966]', '2.624 [2.620, 2.627]')
    """
    values = [float(centre), float(low), float(high)]
    if not all(math.isfinite(v) for v in values):
        return f"{format_number(centre)} [{format_number(low)}, {format_number(high)}]"
    for d in range(digits, 7):
        texts = [f"{v:#.{d}g}".rstrip(".") if "e" not in f"{v:#.{d}g}" else f"{v:.{d}g}" for v in values]
        distinct = all(texts[i] != texts[j] or values[i] == values[j] for i in range(3) for j in range(i + 1, 3))
        if distinct:
            break
    return f"{texts[0]} [{texts[1]}, {texts[2]}]"


def format_number(value, digits: int = 3) -> str:
    """A number for a report: integers with thousands separators (``"5,000"``), floats to ``digits``
    significant figures (``"0.862"``, ``"1.48e-06"``), ``None`` as ``"-"``, anything else as text.

    Example:
        >>> format_number(5000), format_number(0.86234), format_number(1.4804e-06), format_number(None)
        ('5,000', '0.862', '1.48e-06', '-')
    """
    if value is None:
        return "-"
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}"
    if isinstance(value, (float, np.floating)):
        value = float(value)
        if not math.isfinite(value):
            return str(value)
        if value == int(value) and abs(value) < 1e6:
            return f"{int(value):,}"
        return f"{value:.{digits}g}"
    return str(value)
