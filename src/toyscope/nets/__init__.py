"""Models as plain pytrees: MLPs (with surgery), gated deep linear networks, layered networks with
token embeddings."""

from ._activations import ACTIVATIONS, activation, erf_activation
from ._gated_linear import (
    GATED_INIT_SCHEMES,
    active_path_loss,
    active_paths,
    ActivePaths,
    apply_active_paths,
    apply_gated_linear,
    edge_name,
    gated_linear_activations,
    gated_linear_loss,
    gated_linear_net,
    GatedLinearNet,
    init_gated_linear,
    path_gates,
    pathway_net,
)
from ._init import BIAS_SCHEMES, SCHEMES, dense_init
from ._layered import (
    init_layered_network,
    layered_network,
    layered_network_activations,
    layered_network_apply,
    layered_network_inputs,
    LayeredNetwork,
)
from ._mlp import (
    MLP,
    activations,
    apply,
    ensemble_member,
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
from ._tiny_transformer import (
    init_tiny_transformer,
    tiny_transformer,
    tiny_transformer_activations,
    tiny_transformer_apply,
    TinyTransformer,
)

__all__ = [
    "activation", "activations", "ACTIVATIONS", "active_path_loss", "active_paths", "ActivePaths", "apply",
    "apply_active_paths", "apply_gated_linear", "BIAS_SCHEMES", "block_mask", "dense_init", "edge_name",
    "ensemble_member", "ensemble_size", "erf_activation", "extract_block", "flatten_params", "GATED_INIT_SCHEMES",
    "gated_linear_activations", "gated_linear_loss", "gated_linear_net", "GatedLinearNet", "init",
    "init_gated_linear", "init_layered_network", "init_tiny_transformer", "is_ensemble", "layered_network",
    "layered_network_activations", "layered_network_apply", "layered_network_inputs", "LayeredNetwork",
    "merge_hidden_units", "MLP", "mlp", "path_gates", "pathway_net", "permute_hidden_units", "remove_hidden_units",
    "SCHEMES", "splice_blocks", "tiny_transformer", "tiny_transformer_activations", "tiny_transformer_apply",
    "TinyTransformer", "unflatten_params",
]
