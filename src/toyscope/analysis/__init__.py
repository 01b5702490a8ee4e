"""Analyses of any small network or ensemble: statistics, gates and circuits, alignment, landscape,
embeddings, covariance, update attribution, modularity and pruning (BIMT itself: ``toyscope.bimt``)."""

from ._ablation import (
    count_minimal_circuits,
    masked_predictions,
    minimal_circuits,
    MinimalCircuitCounts,
    MinimalCircuits,
    unit_masks,
)
from ._alignment import (
    align_hidden_units,
    align_networks,
    alignment_permutation,
    canonical_permutation,
    canonicalize_hidden_units,
    unit_features,
)
from ._attribution_baselines import (
    constant_input_clusters,
    first_layer_rq,
    fork_zero_differences,
    linearised_forks,
    order_noise,
    phase1_plateau,
    r2_interval,
    r2_split,
)
from ._basins import (
    aligned_pair_barriers,
    barrier_statistics,
    BarrierStatistics,
    cluster_representatives,
    group_medians,
    sample_pairs,
    twin_cluster_split,
)
from ._circuits import gate_labels, GateLabels, MAX_BELOW_WIDTH
from ._connect import mode_connection, ModeConnection
from ._covariance import (
    activation_covariance,
    block_structure_baseline,
    block_structure_score,
    effective_rank,
    unit_activations,
)
from ._embedding import (
    adjusted_rand,
    distance_rank_correlation,
    kmeans_clusters,
    pca_embedding,
    success_auc,
    tsne_embedding,
)
from ._ensemble_summaries import (
    accuracy_summary,
    ensemble_accuracy,
    format_accuracy_summary,
    format_interval_summary,
    geometric_mean,
    interval_summary,
    mean_ci95_summary,
    select_members,
)
from ._gate_names import boolean_function_name, input_names, MAX_GATE_INPUTS
from ._gates import (
    circuit_labels,
    CircuitLabels,
    consistent_gates,
    gate_name,
    GATE_NAMES,
    GATE_TABLES,
    layer_truth_tables,
    unit_truth_tables,
)
from ._hessian import (
    DENSE_HESSIAN_LIMIT,
    hessian_spectrum,
    hessian_vector_product,
    HessianSpectrum,
    LANCZOS_EIGENVALUES,
)
from ._landscape import flat_mlp_loss, gradient_norms, hessian_eigenvalues, loss_barriers, path_losses
from ._learning_curves import curve_gap, first_time_above, first_time_below, loss_fraction
from ._modularity import graph_modularity, modularity, neuron_graph
from ._modules import (
    input_sensitivity,
    Leak,
    Module,
    module_report,
    MODULE_THRESHOLD,
    ModuleReport,
    network_modules,
    parallel_modules,
    path_strength,
)
from ._phase_diagram import (
    classes_by_width,
    GammaInterval,
    phase_diagram_gamma_intervals,
    phase_diagram_gammas,
    PhaseDiagramGammas,
    WidthClasses,
)
from ._probe import linear_probe
from ._pruning import count_active, knock_out_neurons, parameters_needed, prune_below, pruned_losses, pruning_frontier
from ._regimes import binary_cross_entropy, BudgetOutcome, outcomes_at_steps, proportion_difference_interval
from ._route_errors import (
    first_zero_shot,
    route_classification_errors,
    route_error_means,
    route_errors,
    route_output_grid,
    routes_reproduced,
)
from ._shared_representations import (
    cosine_similarity,
    cross_domain_similarity,
    domain_codes,
    routing_spectra,
    RoutingSpectra,
    top_singular_value_metric,
    top_singular_values,
)
from ._splicing import block_drifts, blocks_still_solve, covariance_spectrum, max_off_block_weight, spliced_block_units
from ._stats import (
    bootstrap_interval,
    correlation_interval,
    format_fraction,
    format_interval,
    format_mean_interval,
    format_number,
    fraction_interval,
    Interval,
    mean_interval,
    MIN_VALUES_FOR_SPREAD,
    proportion_interval,
    seed_interval,
    SUPPORTS,
)
from ._training_outcomes import (
    ACCURACY_CLASSES,
    accuracy_classes,
    class_fractions,
    classification_accuracy,
    fraction_true,
    loss_trends,
    LossTrend,
    Proportion,
    proportion,
    Quantiles,
    quantiles,
    value_counts,
)
from ._trajectories import flat_snapshots, trajectory_plane, trajectory_tsne
from ._update_attribution import (
    block_permutation_test,
    correlation_map_summary,
    fit_relative,
    hidden_unit_blocks,
    LinearFit,
    mean_correlation_map,
    member_attribution,
    MemberAttribution,
    r2_against_snapshots,
    relative_difference,
    relative_share,
    relative_updating,
    row_correlations,
)
from ._xor_cell_types import xor_cell_types, XOR_QUADRANTS, XorCellTypes

def __getattr__(name: str):
    """The BIMT names that moved to :mod:`toyscope.bimt`, kept for one release with a
    ``DeprecationWarning`` (imported lazily: ``toyscope.bimt`` itself imports this package)."""
    import importlib

    deprecated = importlib.import_module(f"{__name__}._bimt_deprecated")
    if name in deprecated.SAME or name in deprecated.WRAPPED:
        return deprecated.lookup(name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = [
    "ACCURACY_CLASSES", "accuracy_classes", "accuracy_summary", "activation_covariance", "adjusted_rand",
    "align_hidden_units", "align_networks", "aligned_pair_barriers", "alignment_permutation", "barrier_statistics",
    "BarrierStatistics", "binary_cross_entropy", "block_drifts", "block_permutation_test",
    "block_structure_baseline", "block_structure_score", "blocks_still_solve", "boolean_function_name",
    "bootstrap_interval", "BudgetOutcome", "canonical_permutation", "canonicalize_hidden_units", "circuit_labels",
    "CircuitLabels", "class_fractions", "classes_by_width", "classification_accuracy", "cluster_representatives",
    "consistent_gates", "constant_input_clusters", "correlation_interval", "correlation_map_summary",
    "cosine_similarity", "count_active", "count_minimal_circuits", "covariance_spectrum", "cross_domain_similarity",
    "curve_gap", "DENSE_HESSIAN_LIMIT", "distance_rank_correlation", "domain_codes", "effective_rank",
    "ensemble_accuracy", "first_layer_rq", "first_time_above", "first_time_below", "first_zero_shot",
    "fit_relative", "flat_mlp_loss", "flat_snapshots", "fork_zero_differences", "format_accuracy_summary",
    "format_fraction", "format_interval", "format_interval_summary", "format_mean_interval", "format_number",
    "fraction_interval", "fraction_true", "GammaInterval", "gate_labels", "gate_name", "GATE_NAMES", "GATE_TABLES",
    "GateLabels", "geometric_mean", "gradient_norms", "graph_modularity", "group_medians", "hessian_eigenvalues",
    "hessian_spectrum", "hessian_vector_product", "HessianSpectrum", "hidden_unit_blocks", "input_names",
    "input_sensitivity", "Interval", "interval_summary", "kmeans_clusters", "knock_out_neurons",
    "LANCZOS_EIGENVALUES", "layer_truth_tables", "Leak", "linear_probe", "LinearFit", "linearised_forks",
    "loss_barriers", "loss_fraction", "loss_trends", "LossTrend", "masked_predictions", "MAX_BELOW_WIDTH",
    "MAX_GATE_INPUTS", "max_off_block_weight", "mean_ci95_summary", "mean_correlation_map", "mean_interval",
    "member_attribution", "MemberAttribution", "MIN_VALUES_FOR_SPREAD", "minimal_circuits", "MinimalCircuitCounts",
    "MinimalCircuits", "mode_connection", "ModeConnection", "modularity", "Module", "module_report",
    "MODULE_THRESHOLD", "ModuleReport", "network_modules", "neuron_graph", "order_noise", "outcomes_at_steps",
    "parallel_modules", "parameters_needed", "path_losses", "path_strength", "pca_embedding", "phase1_plateau", "phase_diagram_gamma_intervals",
    "phase_diagram_gammas", "PhaseDiagramGammas", "Proportion", "proportion", "proportion_difference_interval",
    "proportion_interval", "prune_below", "pruned_losses", "pruning_frontier", "Quantiles", "quantiles", "r2_against_snapshots",
    "r2_interval", "r2_split", "relative_difference", "relative_share", "relative_updating",
    "route_classification_errors", "route_error_means", "route_errors", "route_output_grid", "routes_reproduced",
    "routing_spectra", "RoutingSpectra", "row_correlations", "sample_pairs", "seed_interval", "select_members",
    "spliced_block_units", "success_auc", "SUPPORTS", "top_singular_value_metric", "top_singular_values",
    "trajectory_plane",
    "trajectory_tsne", "tsne_embedding", "twin_cluster_split", "unit_activations", "unit_features", "unit_masks",
    "unit_truth_tables", "value_counts", "WidthClasses", "xor_cell_types", "XOR_QUADRANTS", "XorCellTypes"
]
