"""Analyses of any small network or ensemble: statistics, gates and circuits, alignment, landscape,
embeddings, covariance, update attribution, connection cost and modularity."""

from ._ablation import masked_predictions, minimal_circuits, MinimalCircuits, unit_masks
from ._alignment import (
    align_hidden_units,
    alignment_permutation,
    canonical_permutation,
    canonicalize_hidden_units,
    unit_features,
)
from ._bimt_geometry import NORMS, connection_distances, neuron_coordinates
from ._bimt_swaps import (
    neuron_scores,
    permute_neuron_layer,
    swap_cost_changes,
    swap_hook,
    swap_neurons,
    swappable_layers,
)
from ._connection_cost import check_distances, connection_cost
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
from ._gates import (
    GATE_NAMES,
    GATE_TABLES,
    circuit_labels,
    CircuitLabels,
    consistent_gates,
    gate_name,
    layer_truth_tables,
    unit_truth_tables,
)
from ._landscape import flat_mlp_loss, gradient_norms, hessian_eigenvalues, loss_barriers, path_losses
from ._modularity import graph_modularity, modularity, neuron_graph
from ._phase_diagram import classes_by_width, phase_diagram_gammas, PhaseDiagramGammas, WidthClasses
from ._pruning import count_active, knock_out_neurons, prune_below, pruning_frontier
from ._seed_summaries import (
    accuracy_summary,
    ensemble_accuracy,
    format_accuracy_summary,
    format_interval_summary,
    interval_summary,
)
from ._stats import (
    bootstrap_interval,
    correlation_interval,
    format_fraction,
    format_mean_interval,
    mean_interval,
    proportion_interval,
)
from ._transformer_bimt import (
    LinearLayer,
    NeuronGroup,
    permute_transformer_group,
    swap_transformer_neurons,
    transformer_connection_cost,
    transformer_coordinates,
    transformer_distances,
    transformer_group,
    transformer_linear_layers,
    transformer_lines,
    transformer_neuron_graph,
    transformer_neuron_groups,
    transformer_neuron_scores,
    transformer_swap_cost_changes,
    transformer_swap_hook,
    transformer_weight_chain,
    transformer_weights,
)
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

__all__ = [
    "accuracy_summary", "activation_covariance", "adjusted_rand", "align_hidden_units", "alignment_permutation",
    "block_permutation_test", "block_structure_baseline", "block_structure_score", "bootstrap_interval",
    "canonical_permutation", "canonicalize_hidden_units", "check_distances", "circuit_labels", "CircuitLabels",
    "classes_by_width", "connection_cost", "connection_distances", "consistent_gates", "correlation_interval",
    "correlation_map_summary", "count_active", "distance_rank_correlation", "effective_rank", "ensemble_accuracy",
    "fit_relative", "flat_mlp_loss", "format_accuracy_summary", "format_fraction", "format_interval_summary",
    "format_mean_interval", "gate_name", "GATE_NAMES", "GATE_TABLES", "gradient_norms", "graph_modularity",
    "hessian_eigenvalues", "hidden_unit_blocks", "interval_summary", "kmeans_clusters", "knock_out_neurons",
    "layer_truth_tables", "LinearFit", "LinearLayer", "loss_barriers", "masked_predictions", "mean_correlation_map",
    "mean_interval", "member_attribution", "MemberAttribution", "minimal_circuits", "MinimalCircuits", "modularity",
    "neuron_coordinates", "neuron_graph", "neuron_scores", "NeuronGroup", "NORMS", "path_losses", "pca_embedding",
    "permute_neuron_layer", "permute_transformer_group", "phase_diagram_gammas", "PhaseDiagramGammas",
    "proportion_interval", "prune_below", "pruning_frontier", "r2_against_snapshots", "relative_difference",
    "relative_share", "relative_updating", "row_correlations", "success_auc", "swap_cost_changes", "swap_hook",
    "swap_neurons", "swap_transformer_neurons", "swappable_layers", "transformer_connection_cost",
    "transformer_coordinates", "transformer_distances", "transformer_group", "transformer_linear_layers",
    "transformer_lines", "transformer_neuron_graph", "transformer_neuron_groups", "transformer_neuron_scores",
    "transformer_swap_cost_changes", "transformer_swap_hook", "transformer_weight_chain", "transformer_weights",
    "tsne_embedding", "unit_activations", "unit_features", "unit_masks", "unit_truth_tables", "WidthClasses",
]
