"""Brain-inspired modular training (BIMT) for any network: geometry, connection cost, neuron swaps
and the training recipe, written once for every architecture described by a
:class:`NetworkLayout` (the MLP: groups = neuron layers; the tiny transformer: Appendix F.1).

Reference: Liu, Gan & Tegmark, "Seeing is believing: brain-inspired modular training for
mechanistic interpretability", Entropy 26 (2024) 41.
"""

from ._cost import check_distances, connection_cost, connection_cost_terms, NORMALIZATIONS
from ._geometry import connection_distances, network_coordinates, network_distances, neuron_coordinates, NORMS
from ._graphs import count_active_weights, network_weights, transformer_neuron_graph, transformer_weight_chain
from ._layout import LinearLayer, mlp_layout, NetworkLayout, NeuronGroup, transformer_layout
from ._measures import active_embedding_neurons, feature_neurons, module_knockouts
from ._paper import FIGURE2_FORMULA, PAPER_TABLE1, PAPER_TABLE2, paper_comparison
from ._recipe import BimtMethod, METHODS, replacement_order, train_bimt
from ._swaps import (neuron_scores, permute_group, SWAP_LOOPS, SWAP_SCORES, swap_cost_changes, swap_hook, swap_neurons,
                     swappable_groups)
from ._tasks import (in_context_losses, layered_loss, layered_metrics, NOTEBOOK_SETUPS, own_task_setup, PAPER_SETUPS,
                     scaled_schedule, SETTINGS, TaskSetup)

__all__ = [
    "active_embedding_neurons", "BimtMethod", "check_distances", "connection_cost", "connection_cost_terms", "connection_distances",
    "count_active_weights", "feature_neurons", "FIGURE2_FORMULA", "in_context_losses", "layered_loss", "layered_metrics", "LinearLayer", "METHODS",
    "mlp_layout", "module_knockouts", "network_coordinates", "network_distances", "network_weights",
    "NetworkLayout", "neuron_coordinates", "neuron_scores", "NeuronGroup", "NORMALIZATIONS", "NORMS", "NOTEBOOK_SETUPS", "own_task_setup",
    "paper_comparison", "PAPER_SETUPS", "PAPER_TABLE1", "PAPER_TABLE2", "permute_group", "replacement_order",
    "scaled_schedule", "SETTINGS", "SWAP_LOOPS", "SWAP_SCORES", "swap_cost_changes", "swap_hook", "swap_neurons", "swappable_groups", "TaskSetup",
    "train_bimt", "transformer_layout", "transformer_neuron_graph", "transformer_weight_chain",
]
