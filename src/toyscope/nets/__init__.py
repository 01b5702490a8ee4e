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

__all__ = [
    "ACTIVATIONS", "BIAS_SCHEMES", "MLP", "SCHEMES", "activation", "activations", "apply",
    "dense_init", "ensemble_size", "erf_activation", "flatten_params", "init", "is_ensemble",
    "mlp", "unflatten_params",
]
