"""Per-seed summaries against direct formulas and plain loops."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from toyscope import analysis


def test_interval_summary_equals_the_t_interval_formula_and_skips_nan_seeds():
    values = [0.21, 0.35, 0.28, float("nan"), 0.31]
    got = analysis.interval_summary(values)
    x = [0.21, 0.35, 0.28, 0.31]
    n = len(x)
    mean = sum(x) / n
    s = math.sqrt(sum((v - mean) ** 2 for v in x) / (n - 1))
    half = stats.t.ppf(0.975, n - 1) * s / math.sqrt(n)
    assert got["n"] == 4 and got["per_seed"][:3] == values[:3] and math.isnan(got["per_seed"][3])
    np.testing.assert_allclose([got["mean"], got["std"], got["low"], got["high"]],
                               [mean, s, mean - half, mean + half], rtol=1e-12)
    # the textbook value for 1, 2, 3: t(0.975, 2) = 4.3027, s = 1
    assert analysis.interval_summary([1, 2, 3])["high"] == pytest.approx(2 + 4.302653 / math.sqrt(3), rel=1e-6)
    one = analysis.interval_summary([0.5])
    assert one["mean"] == 0.5 and math.isnan(one["std"]) and math.isnan(one["low"])


def test_ensemble_accuracy_equals_a_loop():
    rng = np.random.default_rng(0)
    outputs, labels = rng.normal(size=(3, 50, 2)), rng.integers(0, 2, size=50)
    got = analysis.ensemble_accuracy(outputs, labels)
    for e in range(3):
        assert got[e] == sum(int(np.argmax(outputs[e, i]) == labels[i]) for i in range(50)) / 50
    with pytest.raises(ValueError, match="need outputs"):
        analysis.ensemble_accuracy(outputs[0], labels)


def test_accuracy_summary_wilson_intervals_match_the_formula():
    got = analysis.accuracy_summary(np.array([0.9, 0.75]), 40)
    assert (got["mean"], got["min"], got["max"], got["n_examples"]) == (0.825, 0.75, 0.9, 40)
    z = stats.norm.ppf(0.975)
    for (low, high), k in zip(got["wilson_per_seed"], (36, 30)):
        p, n = k / 40, 40
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
        np.testing.assert_allclose([low, high], [centre - half, centre + half], rtol=1e-12)
    text = analysis.format_accuracy_summary(got)
    widest = max(h - l for l, h in got["wilson_per_seed"]) / 2
    assert text == f"0.825 (seeds 0.750 to 0.900, each +-{widest:.3f} Wilson 95%)"
    assert analysis.format_interval_summary({"mean": 0.5, "low": 0.25, "high": 0.75}) == "0.500 [0.250, 0.750]"
