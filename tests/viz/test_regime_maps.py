"""Regime map panels carry one annotated cell per finite value and the marks they are given."""

from __future__ import annotations

import numpy as np
from matplotlib.patches import Rectangle

from toyscope import viz


def test_regime_map_annotates_cells_and_frames_marked_ones():
    values = np.array([[0.1, np.nan, 0.3], [0.4, 0.5, 0.6]])
    fig = viz.regime_map_figure(["a", "b"], ["1", "2", "3"], {"p": values, "q": 1 - values},
                                outlined=[(0, 0), (1, 2)], outline_label="paper", starred=[(1, 1)], star_label="x")
    panels = fig.axes[:2]
    for ax in panels:
        assert len(ax.texts) == 5  # the NaN cell stays blank
        frames = [p for p in ax.patches if isinstance(p, Rectangle) and not p.get_fill()]
        assert sorted((p.get_x() + 0.5, p.get_y() + 0.5) for p in frames) == [(0.0, 0.0), (2.0, 1.0)]
    assert panels[0].texts[0].get_text() == "0.10"


def test_fractions_against_scale_draws_each_series():
    fig = viz.fractions_against_scale_figure([0.5, 1, 2], {"a": ([0.1, 0.2, 0.3], [0, 0.1, 0.2], [0.2, 0.3, 0.4]),
                                                          "b": ([0.5, 0.5, 0.5], [0.4, 0.4, 0.4], [0.6, 0.6, 0.6])})
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["a", "b"]
