"""Update-attribution figures: the points, lines, bands and labels drawn equal the inputs."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from matplotlib.collections import PathCollection
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure

from toyscope import viz


def _fit(slope, intercept, r2=0.5, n=10):
    return SimpleNamespace(slope=slope, intercept=intercept, r2=r2, n=n)


def test_relative_scatter_points_fit_lines_and_labels():
    rng = np.random.default_rng(0)
    r_blocks, q_blocks = rng.random((5, 3)), rng.random((5, 3))
    r_b, q_b = rng.random(4), rng.random(4)
    fig = viz.relative_scatter_figure(r_blocks, q_blocks, r_b, q_b, _fit(0.8, 0.1, 0.625, 15), _fit(np.nan, np.nan))
    assert isinstance(fig, Figure)
    ax_w, ax_b = fig.axes
    (weights,) = ax_w.collections
    np.testing.assert_array_equal(weights.get_offsets(), np.c_[r_blocks.ravel(), q_blocks.ravel()])
    # coloured by block: the colour value of point (i, j) is its block j
    np.testing.assert_array_equal(weights.get_array(), np.tile(np.arange(3), 5))
    (biases,) = ax_b.collections
    np.testing.assert_array_equal(biases.get_offsets(), np.c_[r_b, q_b])
    (line,) = ax_w.lines  # q = 0.1 + 0.8 r on [0, 1]
    np.testing.assert_allclose(line.get_xydata(), [[0, 0.1], [1, 0.9]])
    assert len(ax_b.lines) == 0  # an undefined fit draws no line
    assert ax_w.get_title() == "weights: R$^2$ = 0.625, n = 15"
    assert ax_b.get_title().startswith("biases: R$^2$ = 0.500")
    for ax in (ax_w, ax_b):
        assert ax.get_xlabel() == "r = relative updating due to group A"
        assert ax.get_ylabel() == "q = relative fork difference (A split)"
        assert ax.get_xlim() == (0, 1) and ax.get_ylim() == (0, 1)


def test_correlation_map_fixed_scale():
    correlation = np.random.default_rng(1).uniform(-0.3, 0.3, size=(4, 4))
    fig = viz.correlation_map_figure(correlation, title="pixels")
    ax = fig.axes[0]
    (image,) = ax.images
    np.testing.assert_array_equal(image.get_array(), correlation)
    assert image.get_clim() == (-1, 1) and image.get_cmap().name == "RdBu_r"  # not rescaled to the data
    assert ax.get_title() == "pixels" and len(fig.axes) == 2 and list(ax.get_xticks()) == []


def _summary(mean, low, high, per_seed):
    return {"mean": mean, "low": low, "high": high, "per_seed": per_seed}


def test_r2_by_setting_dots_bars_and_reference_crosses():
    stats = {
        "mnist": {"weights": _summary(0.5, 0.4, 0.7, [0.45, 0.5, 0.55]), "biases": _summary(0.8, 0.7, 0.9, [0.8, 0.8])},
        "cifar": {"weights": _summary(0.3, None, None, [0.3]), "biases": _summary(0.6, np.nan, np.nan, [0.6])},
    }
    reference = {"cifar": {"weights": 0.35, "biases": 0.65}}
    fig = viz.r2_by_setting_figure(stats, reference)
    for ax, kind in zip(fig.axes, ("weights", "biases")):
        assert ax.get_title() == f"R$^2$ ({kind})"
        assert [t.get_text() for t in ax.get_xticklabels()] == ["mnist", "cifar"]
        scatters = [c for c in ax.collections if isinstance(c, PathCollection)]  # error bars add LineCollections
        assert len(scatters) == 3
        seeds_mnist, seeds_cifar, crosses = scatters
        np.testing.assert_array_equal(seeds_mnist.get_offsets(),
                                      np.c_[np.zeros(len(stats["mnist"][kind]["per_seed"])), stats["mnist"][kind]["per_seed"]])
        np.testing.assert_array_equal(seeds_cifar.get_offsets(), [[1, stats["cifar"][kind]["mean"]]])
        np.testing.assert_array_equal(crosses.get_offsets(), [[1, reference["cifar"][kind]]])
        np.testing.assert_allclose(crosses.get_facecolor()[0], to_rgba("tab:red"))
        assert [t.get_text() for t in ax.get_legend().get_texts()] == ["paper"]
        # one error bar (mnist, at x = 0.15) from low to high; cifar has no interval
        (bar,) = ax.containers
        data_line = bar.lines[0]
        np.testing.assert_allclose(data_line.get_xydata(), [[0.15, stats["mnist"][kind]["mean"]]])
        segments = bar.lines[2][0].get_segments()
        np.testing.assert_allclose(segments[0][:, 1], [stats["mnist"][kind]["low"], stats["mnist"][kind]["high"]])
        assert ax.get_ylim()[0] == 0


def test_r2_against_steps_lines_bands_and_legend():
    steps = [10, 100, 1000]
    stats = {kind: [_summary(m, m - 0.1, m + 0.1, []) for m in means]
             for kind, means in (("weights", [0.2, 0.4, 0.6]), ("biases", [0.5, 0.6, 0.7]))}
    fig = viz.r2_against_steps_figure(steps, stats, {"weights": 0.61, "biases": 0.72}, xlabel="steps")
    ax = fig.axes[0]
    assert len(ax.lines) == 2 and len(ax.collections) == 2
    for line, band, kind, colour in zip(ax.lines, ax.collections, ("weights", "biases"), ("tab:blue", "tab:orange")):
        np.testing.assert_allclose(line.get_xydata(), np.c_[steps, [d["mean"] for d in stats[kind]]])
        assert to_rgba(line.get_color()) == to_rgba(colour)
        vertices = band.get_paths()[0].vertices
        for step, d in zip(steps, stats[kind]):
            at = vertices[np.isclose(vertices[:, 0], step), 1]
            assert np.isclose(at, d["low"]).any() and np.isclose(at, d["high"]).any()
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["weights (paper 0.61)", "biases (paper 0.72)"]
    assert ax.get_xlabel() == "steps" and ax.get_ylabel() == "R$^2$"


def test_running_loss_is_a_running_mean_on_a_log_scale():
    rng = np.random.default_rng(2)
    losses = {"A": rng.random(30) + 0.1, "short": np.array([1.0, 2.0, 3.0])}
    fig = viz.running_loss_figure(losses, window=5)
    ax = fig.axes[0]
    long_line, short_line = ax.lines
    expected = [losses["A"][i:i + 5].mean() for i in range(26)]
    np.testing.assert_allclose(long_line.get_ydata(), expected)
    np.testing.assert_allclose(short_line.get_ydata(), [2.0])  # window shrinks to the series length
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["A", "short"]
    assert ax.get_yscale() == "log" and ax.get_xlabel() == "step" and ax.get_ylabel() == "loss"
    assert pytest.approx(long_line.get_xdata()) == np.arange(26)


def test_regime_map_lines_per_fork_rate_and_paper_lines():
    cells = [{"activation": "softplus", "phase1_images_of_60000": w, "phase1_learning_rate": 0.1,
              "fork_learning_rate": f, "fork_steps": s,
              "r2_weights": {"mean": f * s, "low": 0.0, "high": 2 * f * s},
              "r2_biases": {"mean": w / 1e5 + s / 1e4, "low": 0.0, "high": 1.0}}
             for w in (1200, 12000) for f in (0.1, 1e-3) for s in (100, 200)]
    fig = viz.attribution_map_figure(cells, {"weights": 0.28, "biases": 0.17})
    assert len(fig.axes) == 4  # 2 kinds x 2 windows
    top_left, top_right, bottom_left, _ = fig.axes
    lines = [line for line in top_left.get_lines() if line.get_linestyle() == "-"]
    assert len(lines) == 2
    np.testing.assert_allclose(lines[0].get_ydata(), [0.1 * 100, 0.1 * 200])  # the larger rate first
    np.testing.assert_allclose(lines[1].get_xdata(), [100, 200])
    paper = [line for line in bottom_left.get_lines() if line.get_linestyle() == "--"]
    assert len(paper) == 1 and paper[0].get_ydata()[0] == 0.17
    np.testing.assert_allclose([line for line in top_right.get_lines() if line.get_linestyle() == "-"][1].get_ydata(),
                               [1e-3 * 100, 1e-3 * 200])
    assert "12,000" in top_right.get_title()
