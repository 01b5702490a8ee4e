"""Figures: decision boundaries, labelled scatters, quantile bands, heatmaps, connectivity graphs,
update-attribution plots."""

from ._connectivity import (
    connectivity_evolution_figure,
    connectivity_figure,
    draw_connectivity,
    penalised_training_figure,
    pruning_frontier_figure,
)
from ._covariance import covariance_spectrum_figure
from ._decision import decision_boundaries_figure, DECISION_CMAP, decision_grid, plot_decision
from ._decision_snapshots import decision_snapshots_figure, softmax_grid
from ._ensemble_figures import (
    accuracy_and_loss_figure,
    barriers_and_sharpness_figure,
    loss_histogram_figure,
    rate_against_scale_figure,
    scatter_panels_figure,
    ScatterPanel,
    trajectories_figure,
)
from ._learning_dynamics import (
    loss_against_theory_figure,
    pathway_race_figure,
    routing_spectra_figure,
    xor_learning_figure,
)
from ._plots import heatmap, new_figure, PALETTE, quantile_band, scatter_by_label
from ._probe_figure import prediction_probe_figure
from ._representation_maps import similarity_outputs_figure, similarity_panels_figure
from ._teacher_student import (
    convergence_losses_figure,
    flow_curves_figure,
    NETWORK_CLASS_COLOURS,
    neuron_alignment_figure,
    one_neuron_loss_figure,
)
from ._transformer_connectivity import (
    draw_transformer_connectivity,
    transformer_connectivity_figure,
    transformer_evolution_figure,
)
from ._update_attribution import (
    correlation_map_figure,
    r2_against_steps_figure,
    r2_by_setting_figure,
    regime_map_figure,
    relative_scatter_figure,
    running_loss_figure,
)
from ._zero_shot import classification_error_figure, init_scale_figure, route_error_figure

__all__ = [
    "accuracy_and_loss_figure", "barriers_and_sharpness_figure", "classification_error_figure",
    "connectivity_evolution_figure", "connectivity_figure", "convergence_losses_figure", "correlation_map_figure",
    "covariance_spectrum_figure", "decision_boundaries_figure", "DECISION_CMAP", "decision_grid",
    "decision_snapshots_figure", "draw_connectivity", "draw_transformer_connectivity", "flow_curves_figure",
    "heatmap", "init_scale_figure", "loss_against_theory_figure", "loss_histogram_figure", "NETWORK_CLASS_COLOURS",
    "neuron_alignment_figure", "new_figure", "one_neuron_loss_figure", "PALETTE", "pathway_race_figure",
    "penalised_training_figure", "plot_decision", "prediction_probe_figure", "pruning_frontier_figure",
    "quantile_band", "r2_against_steps_figure", "r2_by_setting_figure", "rate_against_scale_figure",
    "regime_map_figure", "relative_scatter_figure", "route_error_figure", "routing_spectra_figure", "running_loss_figure",
    "scatter_by_label", "scatter_panels_figure", "ScatterPanel", "similarity_outputs_figure",
    "similarity_panels_figure", "softmax_grid", "trajectories_figure", "transformer_connectivity_figure",
    "transformer_evolution_figure", "xor_learning_figure"
]
