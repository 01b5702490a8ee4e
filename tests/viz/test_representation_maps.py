"""Representation figures show the matrices they are given and box exactly the untrained routes."""

import doctest

import numpy as np

from toyscope import tasks, viz
from toyscope.viz import _representation_maps


def test_outputs_panel_boxes_each_untrained_route():
    routes = tasks.band_routes(3, 2)
    sim = np.random.default_rng(0).uniform(-1, 1, (12, 12))
    fig = viz.similarity_outputs_figure(sim, np.zeros((12, 21)), routes, n_items=4, d_out=7)
    np.testing.assert_array_equal(fig.axes[0].get_images()[0].get_array(), sim)
    boxes = {(round(p.get_x() + 0.5), round(p.get_y() + 0.5)) for p in fig.axes[1].patches}
    assert boxes == {(7 * o, 4 * i) for i, o in zip(*np.nonzero(~routes))}


def test_panels_show_each_matrix():
    mats = [np.eye(3), -np.eye(3)]
    fig = viz.similarity_panels_figure(mats, ["a", "b"])
    for ax, mat, title in zip(fig.axes, mats, "ab"):
        np.testing.assert_array_equal(ax.get_images()[0].get_array(), mat)
        assert ax.get_title() == title


def test_examples_run():
    assert doctest.testmod(_representation_maps).failed == 0
