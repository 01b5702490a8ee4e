"""Analyses of any small network or ensemble: statistics, gates and circuits, alignment, landscape,
embeddings, covariance, update attribution, connection cost and modularity, training outcomes,
basins, trajectories and spliced nets."""

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
    alignment_permutation,
    canonical_permutation,
    canonicalize_hidden_units,
    unit_features,
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
from ._pruning import count_active, knock_out_neurons, prune_below, pruning_frontier
from ._splicing import (
    block_drifts,
    blocks_still_solve,
    covariance_spectrum,
    max_off_block_weight,
    spliced_block_units,
)
from ._stats import (
    bootstrap_interval,
    correlation_interval,
    format_fraction,
    format_mean_interval,
    mean_interval,
    proportion_interval,
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
    quantiles,
    Quantiles,
    value_counts,
)
from ._trajectories import flat_snapshots, trajectory_plane
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
    fit_relative,
    LinearFit,
    relative_difference,
    relative_share,
    relative_updating,
    row_correlations,
)

__all__ = [
    "ACCURACY_CLASSES", "accuracy_classes", "activation_covariance",
    "adjusted_rand", "align_hidden_units", "aligned_pair_barriers", "alignment_permutation",
    "barrier_statistics", "BarrierStatistics", "block_drifts",
    "block_permutation_test", "block_structure_baseline",
    "block_structure_score", "blocks_still_solve", "bootstrap_interval",
    "canonical_permutation", "canonicalize_hidden_units", "check_distances",
    "circuit_labels", "CircuitLabels", "class_fractions", "classification_accuracy", "cluster_representatives",
    "connection_cost", "connection_distances", "consistent_gates",
    "correlation_interval", "count_active", "count_minimal_circuits", "covariance_spectrum",
    "distance_rank_correlation", "effective_rank", "fit_relative",
    "flat_mlp_loss", "flat_snapshots", "format_fraction",
    "format_mean_interval", "fraction_true", "gate_name", "GATE_NAMES",
    "GATE_TABLES", "gradient_norms", "graph_modularity", "group_medians",
    "hessian_eigenvalues", "kmeans_clusters", "knock_out_neurons", "layer_truth_tables", "LinearFit", "LinearLayer",
    "loss_barriers", "loss_trends",
    "LossTrend", "masked_predictions", "max_off_block_weight",
    "mean_interval", "minimal_circuits", "MinimalCircuitCounts", "MinimalCircuits", "modularity",
    "neuron_coordinates", "neuron_graph", "neuron_scores", "NeuronGroup", "NORMS", "path_losses", "pca_embedding",
    "permute_neuron_layer", "permute_transformer_group", "Proportion", "proportion",
    "proportion_interval", "prune_below", "pruning_frontier", "quantiles", "Quantiles",
    "relative_difference", "relative_share", "relative_updating",
    "row_correlations", "sample_pairs", "spliced_block_units", "success_auc",
    "swap_cost_changes", "swap_hook", "swap_neurons",
    "swap_transformer_neurons", "swappable_layers", "trajectory_plane",
    "transformer_connection_cost", "transformer_coordinates", "transformer_distances", "transformer_group",
    "transformer_linear_layers", "transformer_lines", "transformer_neuron_graph", "transformer_neuron_groups",
    "transformer_neuron_scores", "transformer_swap_cost_changes", "transformer_swap_hook",
    "transformer_weight_chain", "transformer_weights", "tsne_embedding",
    "twin_cluster_split", "unit_activations", "unit_features",
    "unit_masks", "unit_truth_tables", "value_counts",
]
