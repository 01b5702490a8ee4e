"""Analyses that work on any small network or ensemble: statistics, clustering, gates, ..."""

from ._ablation import MinimalCircuits, masked_predictions, minimal_circuits, unit_masks
from ._alignment import (
    align_hidden_units,
    alignment_permutation,
    canonical_permutation,
    canonicalize_hidden_units,
    unit_features,
)
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
    CircuitLabels,
    circuit_labels,
    consistent_gates,
    gate_name,
    layer_truth_tables,
    unit_truth_tables,
)
from ._landscape import flat_mlp_loss, gradient_norms, hessian_eigenvalues, loss_barriers, path_losses
from ._stats import bootstrap_interval, correlation_interval, format_fraction, mean_interval, proportion_interval

__all__ = [
    "GATE_NAMES", "GATE_TABLES", "CircuitLabels", "MinimalCircuits", "activation_covariance", "adjusted_rand",
    "align_hidden_units", "alignment_permutation", "block_structure_baseline", "block_structure_score",
    "bootstrap_interval", "canonical_permutation", "canonicalize_hidden_units", "circuit_labels", "consistent_gates",
    "correlation_interval", "distance_rank_correlation", "effective_rank", "flat_mlp_loss", "format_fraction",
    "gate_name", "gradient_norms", "hessian_eigenvalues", "kmeans_clusters", "layer_truth_tables", "loss_barriers",
    "masked_predictions", "mean_interval", "minimal_circuits", "path_losses", "pca_embedding", "proportion_interval",
    "success_auc", "tsne_embedding", "unit_activations", "unit_features", "unit_masks", "unit_truth_tables",
]

from ._update_attribution import (  # update attribution
    LinearFit,
    block_permutation_test,
    fit_relative,
    relative_difference,
    relative_share,
    relative_updating,
    row_correlations,
)

__all__ += ["LinearFit", "block_permutation_test", "fit_relative", "relative_difference", "relative_share",
            "relative_updating", "row_correlations"]
