"""Models as plain pytrees: MLPs (with surgery), gated deep linear networks, layered networks with
token embeddings, a tiny transformer; one set of verbs for every type.

Every network type answers the same verbs, dispatched on its spec: :func:`init` (``key=``,
``n_networks=``), :func:`apply`, :func:`activations`, :func:`param_shapes`, and tensor naming
for saving (:func:`named_tensors` / :func:`from_named_tensors`); :func:`is_ensemble`,
:func:`ensemble_size` and :func:`ensemble_member` work on the params of any type.

Files: :func:`save` / :func:`load` write and read self-describing ``.safetensors`` (a versioned
spec per network and a doc per tensor in the header), :func:`load_model` opens any model file
(toyscope, PyTorch-named ``.safetensors``, ``.pt`` state dicts, run folders), and
:func:`from_torch` / :func:`to_torch` convert PyTorch ``nn.Sequential`` MLPs (torch optional).
"""

from ._activations import ACTIVATIONS, activation, erf_activation
from ._files import (
    header_metadata,
    load,
    load_model,
    network_docs,
    read_networks,
    save,
    StoredNetwork,
)
from ._gated_architectures import parallel_pathway_net, pathway_net, xor_path_net
from ._route_indexed import route_indexed_apply, route_indexed_loss
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
from ._inferred_specs import infer_networks
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
from ._specs import parse_activations, parse_architecture, SPEC_VERSION, spec_from_dict, spec_to_dict
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
from ._torch import from_torch, to_torch, TORCH_ACTIVATIONS, TorchMissing

__all__ = [
    "activation", "ACTIVATIONS", "activations", "active_path_loss", "active_paths", "ActivePaths",
    "append_hidden_units", "apply", "apply_active_paths", "apply_gated_linear", "BIAS_SCHEMES", "block_mask",
    "dense_init", "edge_name", "ensemble_member", "ensemble_size", "erf_activation", "extract_block",
    "flatten_params", "from_named_tensors", "from_torch", "GATED_INIT_SCHEMES", "gated_linear_activations",
    "gated_linear_loss", "gated_linear_net", "GatedLinearNet", "header_metadata", "infer_networks", "init",
    "init_gated_linear", "init_layered_network", "init_tiny_transformer", "is_ensemble", "layered_as_mlp",
    "layered_network", "layered_network_activations", "layered_network_apply", "layered_network_inputs",
    "LayeredNetwork", "leading_axes", "load", "load_model", "merge_hidden_units", "MLP", "mlp", "named_tensors",
    "network_docs", "parallel_pathway_net", "param_shapes", "parse_activations", "parse_architecture", "path_gates",
    "pathway_net",
    "permute_hidden_units", "read_networks", "remove_hidden_units", "route_indexed_apply", "route_indexed_loss", "save",
    "SCHEMES", "spec_from_dict",
    "spec_to_dict", "SPEC_VERSION", "splice_blocks", "StoredNetwork", "tensor_names", "tiny_transformer",
    "tiny_transformer_activations", "tiny_transformer_apply", "TinyTransformer", "to_torch", "TORCH_ACTIVATIONS",
    "TorchMissing", "unflatten_params", "xor_path_net"
]
