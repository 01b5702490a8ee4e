"""The probe figure shows the features most correlated with the target, with their correlation."""

from __future__ import annotations

import numpy as np

from toyscope import viz


def test_probe_figure_shows_the_two_most_correlated_features():
    rng = np.random.default_rng(1)
    w = rng.normal(size=50)
    features = rng.normal(size=(50, 4))
    correlations = np.array([0.1, -0.9, 0.5, 0.2])
    fig = viz.prediction_probe_figure(w, w, w, features, correlations)
    assert [ax.get_ylabel() for ax in fig.axes[1:3]] == ["res2 neuron 1", "res2 neuron 2"]
    assert fig.axes[1].get_title() == "r = -0.90"
