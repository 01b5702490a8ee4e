"""Figures: decision boundaries, labelled scatters, quantile bands, heatmaps (and study-specific plots)."""

from ._decision import DECISION_CMAP, decision_grid, plot_decision
from ._plots import PALETTE, heatmap, new_figure, quantile_band, scatter_by_label

__all__ = ["DECISION_CMAP", "PALETTE", "decision_grid", "heatmap", "new_figure", "plot_decision", "quantile_band",
           "scatter_by_label"]
from ._update_attribution import (  # update attribution
    correlation_map_figure,
    r2_against_steps_figure,
    r2_by_setting_figure,
    relative_scatter_figure,
    running_loss_figure,
)

__all__ += ["correlation_map_figure", "r2_against_steps_figure", "r2_by_setting_figure", "relative_scatter_figure",
            "running_loss_figure"]
