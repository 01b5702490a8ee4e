"""toyscope.theory"""

from ._gdln import (
    PathwayModes,
    decoupled_params,
    edge_mode_strengths,
    node_imbalance,
    pathway_correlations,
    pathway_modes,
    reduced_dynamics,
    reduced_loss,
    reduced_objective,
    routing_fixed_point,
    two_layer_path_strength,
)

__all__ = [
    "PathwayModes", "decoupled_params", "edge_mode_strengths", "node_imbalance", "pathway_correlations",
    "pathway_modes", "reduced_dynamics", "reduced_loss", "reduced_objective", "routing_fixed_point",
    "two_layer_path_strength",
]

