"""The comparison of a measured cell with the paper's Tables 1-2, on hand-made cells."""

from __future__ import annotations

from toyscope import bimt


def test_paper_comparison_follows_its_definition():
    """|m - m_p| <= 2 sqrt(s_p^2 + s^2 / n) + u/2 on hand-made cells (paper symbolic-a BIMT: (7.4 +- 1.0)e-3,
    u = 1e-4; mod-add: (100.0 +- 0.0)%, u = 0.1 points)."""
    assert bimt.paper_comparison("symbolic-a", "bimt", [7.4e-3] * 5) == ("x 1.00", True)
    assert bimt.paper_comparison("symbolic-a", "bimt", [9.44e-3] * 5)[1]  # 2.04e-3 away, tolerance 2.05e-3
    assert not bimt.paper_comparison("symbolic-a", "bimt", [9.5e-3] * 5)[1]
    # our mean's own uncertainty counts: s = 4e-3 over n = 4 seeds adds 2e-3 in quadrature (tolerance 4.52e-3)
    assert bimt.paper_comparison("symbolic-a", "bimt", [7.9e-3, 15.9e-3, 7.9e-3, 15.9e-3])[1]  # 4.5e-3 away
    assert not bimt.paper_comparison("symbolic-a", "bimt", [8.0e-3, 16.0e-3, 8.0e-3, 16.0e-3])[1]  # 4.6e-3 away
    assert bimt.paper_comparison("mod-add", "bimt", [1.0] * 5) == ("+0.0 points", True)
    assert bimt.paper_comparison("mod-add", "vanilla", [0.999, 0.999]) == ("-0.1 points", False)
    assert not bimt.paper_comparison("mod-add", "vanilla", [0.75, 0.29, 0.62, 0.70, 0.88])[1]  # a wide spread is no excuse
    assert bimt.paper_comparison("mod-add", "l1-local", [1.0]) is None  # not in the paper's table
