"""Intervals against textbook formulas written out by hand and tabulated quantiles."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from toyscope import analysis

Z95 = 1.959963984540054  # standard normal 97.5% quantile
Z99 = 2.5758293035489004


def _wilson_textbook(k, n, z):
    """Wilson (1927) in counts: (k + z^2/2 +- z sqrt(k(n-k)/n + z^2/4)) / (n + z^2)."""
    centre = k + z * z / 2
    half = z * math.sqrt(k * (n - k) / n + z * z / 4)
    return (centre - half) / (n + z * z), (centre + half) / (n + z * z)


@pytest.mark.parametrize("k, n", [(14, 20), (1, 3), (50, 100), (7, 1000), (3, 3)])
def test_proportion_interval_is_the_wilson_interval(k, n):
    low, high = analysis.proportion_interval(k, n)
    expected = _wilson_textbook(k, n, Z95)
    assert low == pytest.approx(max(0.0, expected[0]), abs=1e-12) and high == pytest.approx(min(1.0, expected[1]))
    low99, high99 = analysis.proportion_interval(k, n, confidence=0.99)
    expected99 = _wilson_textbook(k, n, Z99)
    assert low99 == pytest.approx(max(0.0, expected99[0]), abs=1e-12)
    assert high99 == pytest.approx(min(1.0, expected99[1]))
    assert low99 <= low <= k / n <= high <= high99


def test_proportion_interval_known_values():
    low, high = analysis.proportion_interval(14, 20)
    assert (round(low, 4), round(high, 4)) == (0.4810, 0.8545)
    # 0 of n: lower bound 0, upper z^2 / (n + z^2)
    low, high = analysis.proportion_interval(0, 10)
    assert low == 0.0 and high == pytest.approx(Z95**2 / (10 + Z95**2))
    assert all(math.isnan(v) for v in analysis.proportion_interval(0, 0))


@pytest.mark.parametrize("k, n", [(-1, 5), (6, 5), (0, -1)])
def test_proportion_interval_rejects_impossible_counts(k, n):
    with pytest.raises(ValueError, match="successes <= trials") as info:
        analysis.proportion_interval(k, n)
    assert "\n" not in str(info.value)


def test_mean_interval_against_the_t_table():
    mean, low, high = analysis.mean_interval([1, 2, 3, 4, 5])
    half = 2.7764451051977987 * math.sqrt(2.5) / math.sqrt(5)  # t_{0.975, 4} s / sqrt(n)
    assert (mean, low, high) == pytest.approx((3.0, 3 - half, 3 + half))
    # non-finite values are dropped before the interval is formed
    assert analysis.mean_interval([1, 2, np.nan, 3, 4, np.inf, 5]) == pytest.approx((mean, low, high))
    mean, low, high = analysis.mean_interval([2.0, 4.0], confidence=0.9)
    assert (low, high) == pytest.approx((3 - 6.313751514675041 * math.sqrt(2) / math.sqrt(2),
                                         3 + 6.313751514675041 * math.sqrt(2) / math.sqrt(2)))


def test_mean_interval_small_samples():
    mean, low, high = analysis.mean_interval([7.5])
    assert mean == 7.5 and math.isnan(low) and math.isnan(high)
    assert all(math.isnan(v) for v in analysis.mean_interval([]))
    assert all(math.isnan(v) for v in analysis.mean_interval([np.nan]))


def test_correlation_interval_is_the_fisher_z_interval():
    low, high = analysis.correlation_interval(0.5, 28)
    centre, half = math.atanh(0.5), Z95 / 5.0  # sqrt(28 - 3) = 5
    assert (low, high) == pytest.approx((math.tanh(centre - half), math.tanh(centre + half)))
    assert (round(low, 3), round(high, 3)) == (0.156, 0.736)
    # symmetric in the sign of r
    assert analysis.correlation_interval(-0.5, 28) == pytest.approx((-high, -low))
    low, high = analysis.correlation_interval(1.0, 10)  # clipped, finite, near 1
    assert np.isfinite(low) and low > 0.99 and high <= 1.0
    for r, n in ((0.3, 3), (np.nan, 50)):
        assert all(math.isnan(v) for v in analysis.correlation_interval(r, n))


def test_bootstrap_interval_agrees_with_the_normal_interval_for_the_mean():
    values = np.random.default_rng(0).normal(2.0, 1.0, size=400)
    low, high = analysis.bootstrap_interval(values, n_resamples=2000, seed=1)
    se = values.std() / math.sqrt(len(values))
    assert low == pytest.approx(values.mean() - Z95 * se, abs=0.3 * se)
    assert high == pytest.approx(values.mean() + Z95 * se, abs=0.3 * se)
    assert analysis.bootstrap_interval(values, seed=1) == (low, high)  # seeded
    assert analysis.bootstrap_interval(values, seed=2) != (low, high)


def test_bootstrap_interval_of_other_statistics_and_degenerate_samples():
    assert analysis.bootstrap_interval(np.full(10, 3.0)) == (3.0, 3.0)
    values = np.arange(101.0)
    low, high = analysis.bootstrap_interval(values, np.median, n_resamples=500)
    assert low < 50 < high and values.min() <= low and high <= values.max()
    assert all(math.isnan(v) for v in analysis.bootstrap_interval([]))


def test_formatting():
    half = 2.7764451051977987 * math.sqrt(2.5) / math.sqrt(5)
    assert analysis.format_mean_interval([1, 2, 3, 4, 5]) == f"3.00 [{3 - half:#.3g}, {3 + half:#.3g}]"
    assert analysis.format_interval(0.9631, 0.96, 0.9658) == "0.963 [0.960, 0.966]"
    assert analysis.format_interval(2.6244, 2.6196, 2.6272) == "2.624 [2.620, 2.627]"  # 4 digits to tell them apart
    assert analysis.format_interval(1.18e-6, 7.21e-7, 1.92e-6) == "1.18e-06 [7.21e-07, 1.92e-06]"
    assert analysis.format_mean_interval([0.25]) == "0.25 (1 seeds: spread cannot be estimated)"
    assert analysis.format_mean_interval([0.25, 0.75]) == "0.5 (2 seeds: spread cannot be estimated)"
    assert analysis.format_mean_interval([1, 2, 3], "{:.1f}").startswith("2.0 [")
    assert analysis.format_fraction(14, 20) == "14/20 = 70.0% [48.1%, 85.5%]"
    assert analysis.format_fraction(0, 0) == "0/0"


# --- the interval vocabulary: coverage by simulation (fixed seeds), support, too few seeds -----

def test_wilson_coverage_exact_and_simulated():
    """Exact coverage from the binomial pmf, and a seeded simulation agreeing with it."""
    p, n = 0.2, 50
    covered = np.array([lo <= p <= hi for lo, hi in (analysis.proportion_interval(k, n) for k in range(n + 1))])
    exact = float((stats.binom.pmf(np.arange(n + 1), n, p) * covered).sum())
    assert 0.93 <= exact <= 0.97
    draws = np.random.default_rng(3).binomial(n, p, size=4000)
    simulated = covered[draws].mean()
    assert simulated == pytest.approx(exact, abs=0.015)
    assert analysis.fraction_interval(10, 50).contains(0.2)


def test_fisher_z_coverage_for_one_correlation():
    rho, n, reps = 0.6, 30, 1500
    rng = np.random.default_rng(4)
    cov = [[1, rho], [rho, 1]]
    hits = 0
    for _ in range(reps):
        x = rng.multivariate_normal([0, 0], cov, size=n)
        r = np.corrcoef(x.T)[0, 1]
        low, high = analysis.correlation_interval(r, n)
        hits += low <= rho <= high
    assert 0.93 <= hits / reps <= 0.97


@pytest.mark.parametrize("support, back", [("real", lambda z: z), ("positive", np.exp),
                                           ("fraction", lambda z: 1 / (1 + np.exp(-z))),
                                           ("correlation", np.tanh)])
def test_seed_interval_covers_the_back_transformed_centre(support, back):
    """Values normal on the transformed scale: the interval covers the back-transformed mean 95%
    of the time, and never leaves the support."""
    mu, sigma, n, reps = 0.7, 0.8, 5, 3000
    z = np.random.default_rng(5).normal(mu, sigma, size=(reps, n))
    values = back(z)
    truth = float(back(mu))
    intervals = [analysis.seed_interval(v, support) for v in values]
    coverage = np.mean([iv.low <= truth <= iv.high for iv in intervals])
    assert 0.935 <= coverage <= 0.965
    edges = {"real": (-np.inf, np.inf), "positive": (0, np.inf), "fraction": (0, 1), "correlation": (-1, 1)}[support]
    assert all(edges[0] <= iv.low <= iv.high <= edges[1] for iv in intervals)


def test_seed_interval_stays_in_the_support_where_the_t_interval_does_not():
    cosines = [0.62, 0.94, 0.80, 0.55]
    _, t_low, t_high = analysis.mean_interval(cosines)
    assert t_high > 1  # the plain interval is impossible for a cosine
    got = analysis.seed_interval(cosines, "correlation")
    assert -1 < got.low < got.estimate < got.high < 1
    errors = [1e-6, 3e-5, 2e-4]
    assert analysis.mean_interval(errors)[1] < 0
    assert analysis.seed_interval(errors, "positive").low > 0
    assert analysis.seed_interval([0.0, 0.5, 1.0], "fraction").low >= 0  # edges are moved inside


def test_seed_interval_needs_three_values_and_values_in_the_support():
    two = analysis.seed_interval([0.778, 0.9], "correlation")
    assert two.low is None and two.high is None and not two.spread_known and two.n == 2
    assert "spread cannot be estimated" in two.format()
    assert analysis.seed_interval([], "real").n == 0
    with pytest.raises(ValueError, match="support must be one of"):
        analysis.seed_interval([1, 2, 3], "angle")
    with pytest.raises(ValueError, match=r"must lie in \[-1.0, 1.0\]"):
        analysis.seed_interval([0.5, 1.5, 0.2], "correlation")


def test_format_number():
    assert analysis.format_number(5000) == "5,000"
    assert analysis.format_number(1000.0) == "1,000"
    assert analysis.format_number(0.123456) == "0.123"
    assert analysis.format_number(2.4e-7) == "2.4e-07"
    assert analysis.format_number(True) == "true" and analysis.format_number(None) == "-"
    assert analysis.format_number("AND") == "AND"


def test_docstring_examples_run():
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module("toyscope.analysis._stats"))
    assert result.attempted > 0 and result.failed == 0
