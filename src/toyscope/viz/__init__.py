"""Figures: decision boundaries, labelled scatters, quantile bands, heatmaps (and study-specific plots)."""

from ._decision import DECISION_CMAP, decision_grid, plot_decision
from ._plots import PALETTE, heatmap, new_figure, quantile_band, scatter_by_label

__all__ = ["DECISION_CMAP", "PALETTE", "decision_grid", "heatmap", "new_figure", "plot_decision", "quantile_band",
           "scatter_by_label"]
