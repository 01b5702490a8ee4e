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
