"""Figures: decision boundaries, labelled scatters, quantile bands, heatmaps, connectivity graphs,
update-attribution plots; interactive (plotly) versions of them in ``_interactive``."""

from ._connectivity import (
    connectivity_evolution_figure,
    connectivity_figure,
    draw_connectivity,
    network_connectivity_figure,
    penalised_training_figure,
    plane_positions,
    pruning_frontier_figure,
)
from ._covariance import covariance_spectrum_figure, singular_vectors_figure
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
from ._interactive import (
    attribution_scatter_figure,
    connectivity_graph_figure,
    Curve,
    curves_figure,
    grid_scatter_figure,
    member_scatter_figure,
    MEMBER_VIEW_KEY,
    mlp_member_view,
    phase_diagram_figure,
    sharpness_scatter_figure,
    theory_and_simulation_figure,
    training_curves_figure,
)
from ._learning_dynamics import (
    loss_against_theory_figure,
    pathway_race_figure,
    pathway_shares_figure,
    routing_spectra_figure,
    xor_learning_figure,
)
from ._plots import heatmap, new_figure, PALETTE, quantile_band, scatter_by_label
from ._probe_figure import prediction_probe_figure
from ._regime_maps import fractions_against_scale_figure, regime_map_figure
from ._representation_maps import similarity_outputs_figure, similarity_panels_figure
from ._scaling import fit_exponent, scaling_figure
from ._teacher_student import (
    convergence_losses_figure,
    flow_curves_figure,
    gamma_against_k_figure,
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
    attribution_map_figure,
    correlation_map_figure,
    r2_against_steps_figure,
    r2_by_setting_figure,
    relative_scatter_figure,
    running_loss_figure,
)
from ._zero_shot import classification_error_figure, init_scale_figure, route_error_figure

__all__ = [
    "accuracy_and_loss_figure", "attribution_map_figure", "attribution_scatter_figure", "barriers_and_sharpness_figure",
    "classification_error_figure", "connectivity_evolution_figure", "connectivity_figure",
    "connectivity_graph_figure", "convergence_losses_figure", "correlation_map_figure",
    "covariance_spectrum_figure", "Curve", "curves_figure", "decision_boundaries_figure", "DECISION_CMAP",
    "decision_grid", "decision_snapshots_figure", "draw_connectivity", "draw_transformer_connectivity",
    "fit_exponent", "flow_curves_figure", "fractions_against_scale_figure", "gamma_against_k_figure",
    "grid_scatter_figure", "heatmap", "init_scale_figure", "loss_against_theory_figure", "loss_histogram_figure",
    "member_scatter_figure", "MEMBER_VIEW_KEY", "mlp_member_view", "NETWORK_CLASS_COLOURS",
    "network_connectivity_figure", "neuron_alignment_figure", "new_figure", "one_neuron_loss_figure", "PALETTE",
    "pathway_race_figure", "pathway_shares_figure", "penalised_training_figure", "phase_diagram_figure", "plane_positions", "plot_decision",
    "prediction_probe_figure", "pruning_frontier_figure", "quantile_band", "r2_against_steps_figure",
    "r2_by_setting_figure", "rate_against_scale_figure", "regime_map_figure", "relative_scatter_figure",
    "route_error_figure", "routing_spectra_figure", "running_loss_figure", "scaling_figure", "scatter_by_label",
    "scatter_panels_figure", "ScatterPanel", "sharpness_scatter_figure", "similarity_outputs_figure",
    "similarity_panels_figure", "singular_vectors_figure", "softmax_grid", "theory_and_simulation_figure",
    "training_curves_figure", "trajectories_figure", "transformer_connectivity_figure",
    "transformer_evolution_figure", "xor_learning_figure"
]
