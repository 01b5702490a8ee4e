"""Figures: decision boundaries, labelled scatters, quantile bands, heatmaps, connectivity graphs,
update-attribution plots."""

from ._connectivity import (
    connectivity_evolution_figure,
    connectivity_figure,
    draw_connectivity,
    penalised_training_figure,
    pruning_frontier_figure,
)
from ._decision import DECISION_CMAP, decision_grid, plot_decision
from ._decision_snapshots import decision_snapshots_figure, softmax_grid
from ._plots import PALETTE, heatmap, new_figure, quantile_band, scatter_by_label
from ._probe_figure import prediction_probe_figure
from ._transformer_connectivity import (
    draw_transformer_connectivity,
    transformer_connectivity_figure,
    transformer_evolution_figure,
)
from ._update_attribution import (
    correlation_map_figure,
    r2_against_steps_figure,
    r2_by_setting_figure,
    relative_scatter_figure,
    running_loss_figure,
)

__all__ = [
    "connectivity_evolution_figure", "connectivity_figure", "correlation_map_figure", "DECISION_CMAP",
    "decision_grid", "decision_snapshots_figure", "draw_connectivity", "draw_transformer_connectivity", "heatmap",
    "new_figure", "PALETTE",
    "penalised_training_figure", "plot_decision", "prediction_probe_figure", "pruning_frontier_figure", "quantile_band",
    "r2_against_steps_figure", "r2_by_setting_figure", "relative_scatter_figure", "running_loss_figure",
    "scatter_by_label", "softmax_grid", "transformer_connectivity_figure", "transformer_evolution_figure",
]
