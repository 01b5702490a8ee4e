"""The scaling figure's power-law fit recovers known exponents; the figure has one panel per series."""

from __future__ import annotations

import numpy as np
import pytest

from toyscope import viz


def test_fit_recovers_a_known_power_law_and_ignores_non_positive_points():
    sizes = np.array([10.0, 100.0, 1000.0, 0.0])
    alpha, log_a = viz.fit_exponent(sizes, np.r_[3.0 * sizes[:3] ** -0.5, 5.0])
    assert alpha == pytest.approx(-0.5) and 10 ** log_a == pytest.approx(3.0)
    with pytest.raises(ValueError, match="need at least two positive"):
        viz.fit_exponent([1.0], [1.0])


def test_one_panel_per_series_with_the_exponent_in_the_legend():
    fig = viz.scaling_figure({"a": ("E", [1, 10, 100], {"s": [1.0, 10.0, 100.0]}),
                              "b": ("h", [2, 4], {"s": [1.0, 4.0], "bytes": [3.0, 3.0]})})
    axes = fig.get_axes()
    assert [ax.get_title() for ax in axes] == ["a", "b"]
    labels = [t.get_text() for t in axes[0].get_legend().get_texts()]
    assert "fit: exponent 1.00" in labels
    assert "fit: exponent 2.00" in [t.get_text() for t in axes[1].get_legend().get_texts()]
