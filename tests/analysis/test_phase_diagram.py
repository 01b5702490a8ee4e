"""Phase-diagram gammas and per-width class tables against hand-built class tables and plain loops."""

from __future__ import annotations

import numpy as np
import pytest

from toyscope import analysis


def _gammas_by_hand(widths, classes, k, ca_classes):
    """gamma1: largest n/k with every seed at every width <= n in ca_classes; gamma2: smallest n/k with
    every seed at every width from n to k - 1 P-n-C (widths below k only)."""
    measured = sorted({n for n in widths if n < k})
    gamma1 = gamma2 = None
    for n in measured:
        ok = all(c in ca_classes for m, c in zip(widths, classes) if m <= n)
        if ok:
            gamma1 = n / k
    for n in measured:
        if all(c == "P-n-C" for m, c in zip(widths, classes) if n <= m < k):
            gamma2 = n / k
            break
    return gamma1, gamma2


def test_gammas_of_a_hand_built_table():
    k = 10
    table = {1: ["C-A optimal"] * 3, 2: ["C-A optimal"] * 3, 3: ["C-A optimal", "C-A optimal", "P-n-C"],
             4: ["C-A optimal"] * 3, 5: ["P-n-C", "C-A optimal", "P-n-C"], 6: ["P-n-C"] * 3, 7: ["P-n-C"] * 3,
             8: ["P-n-C"] * 3, 9: ["P-n-C"] * 3, 10: ["C-A optimal"] * 3}
    widths = [n for n, cs in table.items() for _ in cs]
    classes = [c for cs in table.values() for c in cs]
    # P-n-C losses on the line 1.2 - 0.13 n, above the C-A optimal losses 1 - 0.1 n until they cross
    # at n = 6.667; the grid has 20 k + 1 = 201 points from 1 to 10 (step 0.045), and the first one
    # past the crossing is 1 + 126 * 0.045 = 6.67
    losses = [1.2 - 0.13 * n if c == "P-n-C" else 1 - 0.1 * n for n, c in zip(widths, classes)]
    ca = 1 - 0.1 * np.arange(1, k + 1)
    g = analysis.phase_diagram_gammas(widths, classes, losses, k, ca_optimal_losses=ca)
    assert (g.gamma1, g.gamma2) == (0.2, 0.6)  # width 3 breaks gamma1; width 5 has a C-A seed
    np.testing.assert_allclose(g.pnc_fit, (-0.13, 1.2), atol=1e-12)
    assert g.gamma3 == pytest.approx(0.667)
    assert analysis.phase_diagram_gammas(widths, classes, losses, k).gamma3 is None  # no C-A curve given
    # ReLU counts perturbed C-A with C-A optimal
    relu = ["perturbed C-A" if c == "C-A optimal" and n == 3 else c for n, c in zip(widths, classes)]
    relu = ["perturbed C-A" if n == 3 and c == "P-n-C" else c for n, c in zip(widths, relu)]
    assert analysis.phase_diagram_gammas(widths, relu, losses, k).gamma1 == 0.2
    assert analysis.phase_diagram_gammas(widths, relu, losses, k,
                                         ca_classes=("C-A optimal", "perturbed C-A")).gamma1 == 0.4


def test_gammas_equal_a_plain_loop_on_random_tables():
    rng = np.random.default_rng(1)
    names = ["C-A optimal", "P-n-C", "other"]
    for _ in range(200):
        k = int(rng.integers(2, 9))
        widths = sorted(int(n) for n in rng.choice(np.arange(1, k + 1), size=int(rng.integers(1, 3 * k)), replace=True))
        # mostly C-A at small n and P-n-C at large n, with noise
        classes = [names[0] if rng.random() > n / k + 0.1 else names[1] if rng.random() > 0.1 else names[2]
                   for n in widths]
        g = analysis.phase_diagram_gammas(widths, classes, np.zeros(len(widths)), k)
        assert (g.gamma1, g.gamma2) == _gammas_by_hand(widths, classes, k, ("C-A optimal",)), (k, widths, classes)


def test_gammas_bad_input():
    with pytest.raises(ValueError, match="equal lengths"):
        analysis.phase_diagram_gammas([1, 2], ["P-n-C"], [0.1, 0.2], 3)
    with pytest.raises(ValueError, match=r"shape \(3,\)"):
        analysis.phase_diagram_gammas([1], ["P-n-C"], [0.1], 3, ca_optimal_losses=np.zeros(2))


def test_classes_by_width_equals_a_plain_count():
    rng = np.random.default_rng(2)
    widths = rng.integers(1, 5, size=40).tolist()
    classes = rng.choice(["C-A optimal", "P-n-C", "other"], size=40).tolist()
    losses = rng.random(40).tolist()
    rows = analysis.classes_by_width(widths, classes, losses, ["C-A optimal", "P-n-C", "copy-average"])
    assert [r.n for r in rows] == sorted(set(widths))
    for r in rows:
        mine = [i for i, n in enumerate(widths) if n == r.n]
        assert r.n_students == len(mine)
        assert r.counts == {c: sum(classes[i] == c for i in mine) for c in ["C-A optimal", "P-n-C", "copy-average"]}
        assert r.mean_loss == pytest.approx(sum(losses[i] for i in mine) / len(mine))


def test_gamma_intervals_match_the_exact_resampling_probabilities():
    # k = 5; widths 1..4 with 2 seeds; widths 3 and 4 are mixed (1 of 2 C-A). A resample keeps a mixed
    # width all-C-A (or all-P-n-C) with probability 1/4 exactly, so gamma1 = 0.4 (prob 3/4), 0.6 (3/16),
    # 0.8 (1/16): 95% interval [0.4, 0.8]; gamma2 = 0.8 (3/16), 0.6 (1/16), unobserved (3/4).
    from toyscope import analysis

    widths = [1, 1, 2, 2, 3, 3, 4, 4]
    classes = ["C-A optimal"] * 4 + ["C-A optimal", "P-n-C", "P-n-C", "C-A optimal"]
    intervals = analysis.phase_diagram_gamma_intervals(widths, classes, [0.1] * 8, 5, n_resamples=4000, seed=1)
    assert (intervals["gamma1"].low, intervals["gamma1"].high) == (0.4, 0.8) and intervals["gamma1"].observed == 1.0
    # gamma2 observed in ~1/4 of the resamples (binomial error ~0.007), a quarter of those at 0.6
    assert abs(intervals["gamma2"].observed - 0.25) < 0.03
    assert (intervals["gamma2"].low, intervals["gamma2"].high) == (0.6, 0.8)
    assert intervals["gamma3"] == analysis.GammaInterval(None, None, 0.0)
    # every seed agreeing: the interval is the point estimate
    agreed = analysis.phase_diagram_gamma_intervals([1, 1, 2, 2], ["C-A optimal"] * 2 + ["P-n-C"] * 2, [0.1] * 4, 3)
    point = analysis.phase_diagram_gammas([1, 1, 2, 2], ["C-A optimal"] * 2 + ["P-n-C"] * 2, [0.1] * 4, 3)
    assert (agreed["gamma1"].low, agreed["gamma1"].high) == (point.gamma1, point.gamma1)
    assert (agreed["gamma2"].low, agreed["gamma2"].high) == (point.gamma2, point.gamma2)
