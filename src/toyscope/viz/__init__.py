"""Figures: decision boundaries, labelled scatters, quantile bands, heatmaps, connectivity graphs,
update-attribution plots; interactive (plotly) versions of them in ``_interactive``.

The submodules are imported on first use of one of their names (PEP 562), so that importing
a study does not import matplotlib before its first figure.
"""

from __future__ import annotations

import importlib

# public name -> the submodule defining it
_EXPORTS = {
    "connectivity_evolution_figure": "_connectivity", "connectivity_figure": "_connectivity",
    "draw_connectivity": "_connectivity", "network_connectivity_figure": "_connectivity",
    "penalised_training_figure": "_connectivity", "plane_positions": "_connectivity",
    "pruning_frontier_figure": "_connectivity",
    "covariance_spectrum_figure": "_covariance", "singular_vectors_figure": "_covariance",
    "decision_boundaries_figure": "_decision", "DECISION_CMAP": "_decision", "decision_grid": "_decision",
    "plot_decision": "_decision",
    "decision_snapshots_figure": "_decision_snapshots", "softmax_grid": "_decision_snapshots",
    "accuracy_and_loss_figure": "_ensemble_figures", "barriers_and_sharpness_figure": "_ensemble_figures",
    "loss_histogram_figure": "_ensemble_figures", "rate_against_scale_figure": "_ensemble_figures",
    "scatter_panels_figure": "_ensemble_figures", "ScatterPanel": "_ensemble_figures",
    "trajectories_figure": "_ensemble_figures",
    "attribution_scatter_figure": "_interactive", "connectivity_graph_figure": "_interactive",
    "Curve": "_interactive", "curves_figure": "_interactive", "grid_scatter_figure": "_interactive",
    "member_scatter_figure": "_interactive", "MEMBER_VIEW_KEY": "_interactive", "mlp_member_view": "_interactive",
    "phase_diagram_figure": "_interactive", "sharpness_scatter_figure": "_interactive",
    "theory_and_simulation_figure": "_interactive", "training_curves_figure": "_interactive",
    "loss_against_theory_figure": "_learning_dynamics", "pathway_race_figure": "_learning_dynamics",
    "pathway_shares_figure": "_learning_dynamics", "routing_spectra_figure": "_learning_dynamics",
    "xor_learning_figure": "_learning_dynamics",
    "heatmap": "_plots", "new_figure": "_plots", "PALETTE": "_plots", "quantile_band": "_plots",
    "scatter_by_label": "_plots",
    "prediction_probe_figure": "_probe_figure",
    "fractions_against_scale_figure": "_regime_maps", "regime_map_figure": "_regime_maps",
    "similarity_outputs_figure": "_representation_maps", "similarity_panels_figure": "_representation_maps",
    "fit_exponent": "_scaling", "scaling_figure": "_scaling",
    "convergence_losses_figure": "_teacher_student", "flow_curves_figure": "_teacher_student",
    "gamma_against_k_figure": "_teacher_student", "NETWORK_CLASS_COLOURS": "_teacher_student",
    "neuron_alignment_figure": "_teacher_student", "one_neuron_loss_figure": "_teacher_student",
    "draw_transformer_connectivity": "_transformer_connectivity",
    "transformer_connectivity_figure": "_transformer_connectivity",
    "transformer_evolution_figure": "_transformer_connectivity",
    "attribution_map_figure": "_update_attribution", "correlation_map_figure": "_update_attribution",
    "r2_against_steps_figure": "_update_attribution", "r2_by_setting_figure": "_update_attribution",
    "relative_scatter_figure": "_update_attribution", "running_loss_figure": "_update_attribution",
    "classification_error_figure": "_zero_shot", "init_scale_figure": "_zero_shot",
    "route_error_figure": "_zero_shot",
}


def __getattr__(name: str):
    """Import the submodule defining ``name`` and return it (then cached in this module)."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))


__all__ = sorted(_EXPORTS, key=str.lower)
