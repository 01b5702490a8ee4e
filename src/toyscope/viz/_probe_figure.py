"""A model's predictions and the features a linear probe reads (BIMT Figure 7, right)."""

from __future__ import annotations

import matplotlib.figure
import numpy as np


def prediction_probe_figure(true_y, predicted_y, target, features, correlations, *, feature_name: str = "res2",
                            target_name: str = "w"):
    """Four panels: predicted against true ``y``; the two features most correlated with ``target``
    against it; those two features against each other, coloured by ``target``.

    Args:
        true_y, predicted_y: ``(n,)``.
        target: ``(n,)`` the probed quantity; features: ``(n, d)``; correlations: ``(d,)`` of each
            feature with ``target`` (``toyscope.analysis.linear_probe``).
        feature_name, target_name: axis labels.
    """
    features, correlations = np.asarray(features), np.asarray(correlations)
    fig = matplotlib.figure.Figure(figsize=(12, 3.0))
    axes = fig.subplots(1, 4)
    axes[0].scatter(true_y, predicted_y, s=2)
    axes[0].set_xlabel("true y")
    axes[0].set_ylabel("predicted y")
    axes[0].set_title("seed 0, test sequences", fontsize=8)
    top = np.argsort(-np.abs(correlations))[:2]
    for ax, j in zip(axes[1:3], top):
        ax.scatter(target, features[:, j], s=2)
        ax.set_xlabel(target_name)
        ax.set_ylabel(f"{feature_name} neuron {j}")
        ax.set_title(f"r = {correlations[j]:.2f}", fontsize=8)
    pair = axes[3].scatter(features[:, top[0]], features[:, top[-1]], c=target, s=2, cmap="viridis")
    axes[3].set_xlabel(f"{feature_name} neuron {top[0]}")
    axes[3].set_ylabel(f"{feature_name} neuron {top[-1]}")
    axes[3].set_title(f"colour: {target_name}", fontsize=8)
    fig.colorbar(pair, ax=axes[3])
    fig.tight_layout()
    return fig
