"""Models: MLPs (and later gated linear networks, tiny transformers) as plain pytrees."""

from ._activations import ACTIVATIONS, activation, erf_activation
from ._init import BIAS_SCHEMES, SCHEMES, dense_init
from ._mlp import (
    MLP,
    activations,
    apply,
    ensemble_size,
    flatten_params,
    init,
    is_ensemble,
    mlp,
    unflatten_params,
)
from ._surgery import (
    block_mask,
    extract_block,
    merge_hidden_units,
    permute_hidden_units,
    remove_hidden_units,
    splice_blocks,
)

__all__ = [
    "ACTIVATIONS", "BIAS_SCHEMES", "MLP", "SCHEMES", "activation", "activations", "apply",
    "dense_init", "ensemble_size", "erf_activation", "flatten_params", "init", "is_ensemble",
    "mlp", "unflatten_params", "block_mask", "extract_block", "merge_hidden_units", "permute_hidden_units",
    "remove_hidden_units", "splice_blocks",
]

from ._gated_linear import (  # gated deep linear networks (neural race)
    GATED_INIT_SCHEMES,
    GatedLinearNet,
    apply_gated_linear,
    edge_name,
    gated_linear_activations,
    gated_linear_loss,
    gated_linear_net,
    init_gated_linear,
    path_gates,
    pathway_net,
)

__all__ += ["GATED_INIT_SCHEMES", "GatedLinearNet", "apply_gated_linear", "edge_name", "gated_linear_activations",
            "gated_linear_loss", "gated_linear_net", "init_gated_linear", "path_gates", "pathway_net"]
