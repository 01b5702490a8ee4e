"""Ensemble figures draw the numbers they are given: bar heights and error bars, one scatter per
label, histogram counts, trajectory lines, error bars against a log scale."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.colors import to_rgba

from toyscope import viz

CLASSES = ["1.0", "0.75", "0.5", "other"]


def test_accuracy_bars_are_fractions_with_their_intervals_and_one_band_per_present_class():
    classes = np.array(["1.0"] * 3 + ["0.5"] * 5)
    counts, lows, highs = [3, 0, 5, 0], [0.1, 0.0, 0.3, 0.0], [0.7, 0.3, 0.9, 0.3]
    steps = np.arange(0, 100, 10)
    losses = np.linspace(1, 2, 80).reshape(10, 8)
    fig = viz.accuracy_and_loss_figure(counts, lows, highs, CLASSES, steps, losses, classes, title="t")
    ax_bar, ax_loss = fig.axes[:2]
    heights = [p.get_height() for p in ax_bar.patches]
    np.testing.assert_allclose(heights, np.array(counts) / 8)
    assert [p.get_facecolor() for p in ax_bar.patches] == [to_rgba(c) for c in viz.PALETTE[:4]]
    # error bar of class "1.0": from lows[0] to highs[0]
    segments = ax_bar.collections[0].get_segments()
    np.testing.assert_allclose(segments[0][:, 1], [lows[0], highs[0]])
    labels = [line.get_label() for line in ax_loss.lines]
    assert labels == ["1.0 acc.", "0.5 acc."]
    np.testing.assert_allclose(ax_loss.lines[1].get_ydata(), np.median(losses[:, 3:], axis=1))
    np.testing.assert_allclose(ax_loss.lines[0].get_xdata(), np.maximum(steps, 1))


def test_scatter_panels_draw_every_point_once_per_panel_and_hide_spare_axes():
    rng = np.random.default_rng(0)
    points = rng.normal(size=(12, 2))
    labels = np.array(["1.0"] * 5 + ["0.5"] * 7)
    panels = [viz.ScatterPanel(points, labels, f"panel {i}", CLASSES) for i in range(3)]
    fig = viz.scatter_panels_figure(panels)
    assert [ax.get_visible() for ax in fig.axes] == [True, True, True, False]
    for i, ax in enumerate(fig.axes[:3]):
        assert ax.get_title() == f"panel {i}"
        offsets = np.concatenate([c.get_offsets() for c in ax.collections])
        assert len(offsets) == 12
        np.testing.assert_allclose(np.sort(offsets[:, 0]), np.sort(points[:, 0]))
        assert [t.get_text() for t in ax.get_legend().get_texts()] == ["1.0 (5)", "0.5 (7)"]


def test_barrier_histograms_floor_small_values_and_sharpness_scatter_per_class():
    barriers = {"within": np.array([0.0, 1e-10, 1e-4, 1e-4]), "between": np.array([0.1, 1.0])}
    classes = np.array(["1.0", "0.5", "1.0"])
    fig = viz.barriers_and_sharpness_figure(barriers, np.array([1e-3, 1e-2, 1e-1]), np.array([10.0, -1.0, 0.1]),
                                            classes, CLASSES)
    ax_b, ax_h = fig.axes[:2]
    within = [p for p in ax_b.patches if p.get_facecolor()[:3] == to_rgba(viz.PALETTE[0])[:3]]
    assert sum(p.get_height() for p in within) == 4
    assert min(p.get_x() for p in within) == pytest.approx(-8.0)  # 0 and 1e-10 drawn at the floor
    first, second = ax_h.collections
    np.testing.assert_allclose(first.get_offsets(), [[-3.0, 1.0], [-1.0, -1.0]])
    np.testing.assert_allclose(second.get_offsets(), [[-2.0, 0.0]])  # |-1| -> log10 1 = 0


def test_trajectories_follow_the_plane_and_colour_by_class():
    plane = np.arange(3 * 2 * 2, dtype=float).reshape(3, 2, 2)
    fig = viz.trajectories_figure(plane, ["0.5", "1.0"], CLASSES, title="two")
    ax = fig.axes[0]
    np.testing.assert_allclose(ax.lines[0].get_xdata(), plane[:, 0, 0])
    np.testing.assert_allclose(ax.lines[1].get_ydata(), plane[:, 1, 1])
    assert to_rgba(ax.lines[0].get_color()) == to_rgba(viz.PALETTE[2])
    assert to_rgba(ax.lines[1].get_color()) == to_rgba(viz.PALETTE[0])
    assert ax.get_title() == "two"


def test_rate_against_scale_draws_rates_with_clipped_error_bars_and_the_reference():
    fig = viz.rate_against_scale_figure([0.5, 1.0, 2.0], [0.2, 0.5, 0.9], [0.1, 0.55, 0.8], [0.3, 0.6, 1.0],
                                        reference=0.4, reference_label="default")
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    np.testing.assert_allclose(ax.lines[0].get_ydata(), [0.2, 0.5, 0.9])
    bars = ax.collections[0].get_segments()
    np.testing.assert_allclose(bars[1][:, 1], [0.5, 0.6])  # a low above the rate is clipped to the rate
    assert ax.lines[-1].get_ydata()[0] == 0.4
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["default"]


def test_loss_histogram_counts_every_network():
    losses = np.concatenate([np.full(10, 0.1), np.full(5, 0.5)])
    fig = viz.loss_histogram_figure(losses, xlabel="final loss", band=(0.3, 0.6), band_label="paper")
    ax = fig.axes[0]
    heights = [p.get_height() for p in ax.patches if p.get_facecolor()[:3] == to_rgba(viz.PALETTE[1])[:3]]
    assert len(heights) == 60 and sum(heights) == 15 and max(heights) == 10
    assert ax.get_xlabel() == "final loss"
