"""Analyses of any small network or ensemble: statistics, gates and circuits, alignment, landscape,
embeddings, covariance, update attribution, modularity and pruning (BIMT itself: ``toyscope.bimt``)."""

from ._ablation import masked_predictions, minimal_circuits, MinimalCircuits, unit_masks
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
    circuit_labels,
    CircuitLabels,
    consistent_gates,
    gate_name,
    layer_truth_tables,
    unit_truth_tables,
)
from ._landscape import flat_mlp_loss, gradient_norms, hessian_eigenvalues, loss_barriers, path_losses
from ._modularity import graph_modularity, modularity, neuron_graph
from ._probe import linear_probe
from ._pruning import count_active, knock_out_neurons, prune_below, pruning_frontier
from ._stats import (
    bootstrap_interval,
    correlation_interval,
    format_fraction,
    format_mean_interval,
    mean_interval,
    proportion_interval,
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
    "activation_covariance", "adjusted_rand", "align_hidden_units", "alignment_permutation",
    "block_permutation_test", "block_structure_baseline", "block_structure_score", "bootstrap_interval",
    "canonical_permutation", "canonicalize_hidden_units", "circuit_labels", "CircuitLabels",
    "consistent_gates", "correlation_interval", "count_active",
    "distance_rank_correlation", "effective_rank", "fit_relative", "flat_mlp_loss", "format_fraction",
    "format_mean_interval", "gate_name", "GATE_NAMES", "GATE_TABLES", "gradient_norms", "graph_modularity",
    "hessian_eigenvalues", "kmeans_clusters", "knock_out_neurons", "layer_truth_tables", "linear_probe", "LinearFit",
    "loss_barriers", "masked_predictions", "mean_interval", "minimal_circuits", "MinimalCircuits", "modularity",
    "neuron_graph", "path_losses", "pca_embedding",
    "proportion_interval", "prune_below", "pruning_frontier",
    "relative_difference", "relative_share", "relative_updating", "row_correlations", "success_auc",
    "tsne_embedding", "unit_activations", "unit_features",
    "unit_masks", "unit_truth_tables",
]


def __getattr__(name: str):
    """The BIMT names that moved to :mod:`toyscope.bimt`, kept for one release with a
    ``DeprecationWarning`` (imported lazily: ``toyscope.bimt`` itself imports this package)."""
    import importlib

    deprecated = importlib.import_module(f"{__name__}._bimt_deprecated")
    if name in deprecated.SAME or name in deprecated.WRAPPED:
        return deprecated.lookup(name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
