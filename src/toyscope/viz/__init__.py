"""Figures: decision boundaries, labelled scatters, quantile bands, heatmaps, connectivity graphs,
update-attribution plots, ensemble outcomes (accuracy, embeddings, basins, trajectories) and
activation covariances."""

from ._connectivity import (
    connectivity_evolution_figure,
    connectivity_figure,
    draw_connectivity,
    penalised_training_figure,
    pruning_frontier_figure,
)
from ._covariance import covariance_spectrum_figure
from ._decision import DECISION_CMAP, decision_boundaries_figure, decision_grid, plot_decision
from ._ensemble_figures import (
    accuracy_and_loss_figure,
    barriers_and_sharpness_figure,
    loss_histogram_figure,
    rate_against_scale_figure,
    scatter_panels_figure,
    ScatterPanel,
    trajectories_figure,
)
from ._plots import PALETTE, heatmap, new_figure, quantile_band, scatter_by_label
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
    "accuracy_and_loss_figure", "barriers_and_sharpness_figure", "connectivity_evolution_figure",
    "connectivity_figure", "correlation_map_figure",
    "covariance_spectrum_figure", "decision_boundaries_figure", "DECISION_CMAP",
    "decision_grid", "draw_connectivity", "draw_transformer_connectivity",
    "heatmap", "loss_histogram_figure", "new_figure", "PALETTE",
    "penalised_training_figure", "plot_decision", "pruning_frontier_figure", "quantile_band",
    "r2_against_steps_figure", "r2_by_setting_figure",
    "rate_against_scale_figure", "relative_scatter_figure", "running_loss_figure",
    "scatter_by_label", "scatter_panels_figure",
    "ScatterPanel", "trajectories_figure", "transformer_connectivity_figure", "transformer_evolution_figure",
]
