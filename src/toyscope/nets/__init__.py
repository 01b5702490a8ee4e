"""Models as plain pytrees: MLPs (with surgery), gated deep linear networks, layered networks with
token embeddings, a tiny transformer; one set of verbs for every type.

Every network type answers the same verbs, dispatched on its spec: :func:`init` (``key=``,
``n_networks=``), :func:`apply`, :func:`activations`, :func:`param_shapes`, and tensor naming
for saving (:func:`named_tensors` / :func:`from_named_tensors`); :func:`is_ensemble`,
:func:`ensemble_size` and :func:`ensemble_member` work on the params of any type.
"""

from ._activations import ACTIVATIONS, activation, erf_activation
from ._gated_architectures import pathway_net, xor_path_net
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
)
from ._growth import append_hidden_units
from ._init import BIAS_SCHEMES, SCHEMES, dense_init
from ._interface import (
    activations,
    apply,
    ensemble_member,
    ensemble_size,
    from_named_tensors,
    init,
    is_ensemble,
    leading_axes,
    named_tensors,
    param_shapes,
    tensor_names,
)
from ._layered import (
    init_layered_network,
    layered_network,
    layered_network_activations,
    layered_network_apply,
    layered_network_inputs,
    LayeredNetwork,
)
from ._mlp import MLP, flatten_params, mlp, unflatten_params
from ._surgery import (
    block_mask,
    extract_block,
    layered_as_mlp,
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
    "activation", "activations", "ACTIVATIONS", "active_path_loss", "active_paths", "ActivePaths", "append_hidden_units",
    "apply", "apply_active_paths", "apply_gated_linear", "BIAS_SCHEMES", "block_mask", "dense_init", "edge_name",
    "ensemble_member", "ensemble_size", "erf_activation", "extract_block", "flatten_params", "from_named_tensors",
    "GATED_INIT_SCHEMES", "gated_linear_activations", "gated_linear_loss", "gated_linear_net", "GatedLinearNet",
    "init", "init_gated_linear", "init_layered_network", "init_tiny_transformer", "is_ensemble", "layered_as_mlp", "layered_network",
    "layered_network_activations", "layered_network_apply", "layered_network_inputs", "LayeredNetwork",
    "leading_axes", "merge_hidden_units", "MLP", "mlp", "named_tensors", "param_shapes", "path_gates",
    "pathway_net", "permute_hidden_units", "remove_hidden_units", "SCHEMES", "splice_blocks", "tensor_names",
    "tiny_transformer", "tiny_transformer_activations", "tiny_transformer_apply", "TinyTransformer",
    "unflatten_params", "xor_path_net",
]
