r"""The layered networks BIMT trains: an MLP, optionally fed by token embeddings, whose input and
output neurons may be reordered by swaps.

A :class:`LayeredNetwork` is static (hashable); its parameters are a dict::

    {"layers": [{"weight": (d_in, d_out), "bias": (d_out,)}, ...],   # toyscope.nets MLP params
     "embedding": (vocab, d_0),            # only with tokens: token t -> row t
     "input_order": (d_0,),                # only for vector inputs: input slot s reads feature
                                           #   input_order[s] (float, holds integers)
     "output_order": (d_L,)}               # output slot s is output / class output_order[s]

With ``n_tokens = g`` tokens per example, the MLP reads the concatenation
:math:`[E_{a_1}, \dots, E_{a_g}]` (``g d_0`` numbers), and the first neuron layer is the
embedding layer of ``d_0`` positions shared by the ``g`` tokens (as in the paper's Figures 5-6,
where the two tokens' embeddings overlap). The orders are carried as float leaves (with zero
gradient) so the whole dict can be trained by an optax optimiser; a neuron swap permutes them
with the weights, so the computed function, in the original order of inputs and outputs, never
changes.

Reference: Liu, Gan & Tegmark, Entropy 26 (2024) 41, Sections 2-3.3.
"""

from __future__ import annotations

import dataclasses
import warnings

import jax
import jax.numpy as jnp

from . import _interface as interface
from ._mlp import MLP, mlp


@dataclasses.dataclass(frozen=True)
class LayeredNetwork:
    """Static description of a BIMT network.

    Attributes:
        mlp: the MLP (``toyscope.nets.MLP``); with tokens its input width is ``n_tokens * d_0``.
        n_tokens: tokens per example (0: vector inputs of width ``mlp.widths[0]``).
        vocab_size: number of distinct tokens (with ``n_tokens > 0``).
    """

    mlp: MLP
    n_tokens: int = 0
    vocab_size: int = 0

    def __post_init__(self):
        if self.n_tokens < 0:
            raise ValueError(f"n_tokens must be >= 0, got {self.n_tokens}")
        if self.n_tokens:
            if self.mlp.widths[0] % self.n_tokens:
                raise ValueError(f"the input width {self.mlp.widths[0]} must be a multiple of n_tokens={self.n_tokens}")
            if self.vocab_size < 1:
                raise ValueError(f"vocab_size must be >= 1 with tokens, got {self.vocab_size}")

    @property
    def neuron_widths(self) -> tuple[int, ...]:
        """Neurons per neuron layer: ``(d_0, h_1, ..., d_L)`` (``d_0`` per token with tokens)."""
        first = self.mlp.widths[0] // self.n_tokens if self.n_tokens else self.mlp.widths[0]
        return (first, *self.mlp.widths[1:])


def layered_network(widths, activation: str = "silu", *, n_tokens: int = 0, vocab_size: int = 0,
                    output_activation: str = "linear") -> LayeredNetwork:
    """A :class:`LayeredNetwork` with neuron-layer ``widths`` ``(d_0, h_1, ..., d_L)``.

    With ``n_tokens = g > 0``, ``d_0`` is the embedding dimension and the MLP's input width is
    ``g d_0``. E.g. the paper's modular-addition net: ``layered_network([32, 100, 100, 59],
    n_tokens=2, vocab_size=59)``.
    """
    widths = [int(w) for w in widths]
    mlp_widths = [widths[0] * n_tokens if n_tokens else widths[0], *widths[1:]]
    return LayeredNetwork(mlp(mlp_widths, activation, output_activation), n_tokens, vocab_size)


@interface.param_shapes.register(LayeredNetwork)
def _param_shapes(spec: LayeredNetwork):
    widths = spec.neuron_widths
    params = {"layers": interface.param_shapes(spec.mlp)}
    if spec.n_tokens:
        params["embedding"] = jax.ShapeDtypeStruct((spec.vocab_size, widths[0]), jnp.float32)
    else:
        params["input_order"] = jax.ShapeDtypeStruct((widths[0],), jnp.float32)
    params["output_order"] = jax.ShapeDtypeStruct((widths[-1],), jnp.float32)
    return params


@interface.tensor_names.register(LayeredNetwork)
def _tensor_names(spec: LayeredNetwork) -> tuple[str, ...]:
    """``embedding`` / ``input_order``, ``layer{i}.weight``, ``layer{i}.bias``, ``output_order``
    (the names the bimt study saves), in leaf order (sorted keys: embedding, input_order, layers,
    output_order)."""
    first = ("embedding",) if spec.n_tokens else ("input_order",)
    return (*first, *interface.tensor_names(spec.mlp), "output_order")


@interface.init.register(LayeredNetwork)
def _init(spec: LayeredNetwork, *, key, n_networks: int | None = None, scheme: str = "torch_default",
          embedding_scale: float = 1.0):
    """Initialise one network (or ``n_networks`` with a leading ensemble axis).

    The MLP uses :func:`toyscope.nets.init` with ``scheme`` (default PyTorch's ``nn.Linear``
    init, as in the paper's code); the embedding is :math:`N(0, \\text{embedding\\_scale}^2)`;
    orders start as the identity.
    """
    if n_networks is not None:
        keys = jax.random.split(key, int(n_networks))
        return jax.vmap(lambda k: _init(spec, key=k, scheme=scheme, embedding_scale=embedding_scale))(keys)
    key_mlp, key_embed = jax.random.split(key)
    params = {"layers": interface.init(spec.mlp, key=key_mlp, scheme=scheme)}
    widths = spec.neuron_widths
    if spec.n_tokens:
        params["embedding"] = embedding_scale * jax.random.normal(key_embed, (spec.vocab_size, widths[0]))
    else:
        params["input_order"] = jnp.arange(widths[0], dtype=jnp.float32)
    params["output_order"] = jnp.arange(widths[-1], dtype=jnp.float32)
    return params


def init_layered_network(spec: LayeredNetwork, *, key, n_networks: int | None = None,
                         scheme: str = "torch_default", embedding_scale: float = 1.0):
    """Deprecated: use :func:`toyscope.nets.init` (same arguments, same params)."""
    warnings.warn("init_layered_network is deprecated; use nets.init", DeprecationWarning, stacklevel=2)
    return _init(spec, key=key, n_networks=n_networks, scheme=scheme, embedding_scale=embedding_scale)


def _order(values):
    return jax.lax.stop_gradient(values).astype(jnp.int32)


def layered_network_inputs(spec: LayeredNetwork, params, x):
    """The MLP's input for ONE network: ``x[..., input_order]`` (vectors) or the concatenated
    embeddings ``[E_{x_1}, ..., E_{x_g}]`` (tokens): ``(..., n_tokens * d_0 or d_0)``."""
    if spec.n_tokens:
        return params["embedding"][x].reshape(*x.shape[:-1], -1)
    return jnp.take(x, _order(params["input_order"]), axis=-1)


def _apply_one(spec: LayeredNetwork, params, x):
    out_slots = interface.apply(spec.mlp, params["layers"], layered_network_inputs(spec, params, x))
    return jnp.zeros_like(out_slots).at[..., _order(params["output_order"])].set(out_slots)


def _activations_one(spec: LayeredNetwork, params, x):
    inputs = layered_network_inputs(spec, params, x)
    _, post = interface.activations(spec.mlp, params["layers"], inputs)
    return [inputs, *post]


@interface.apply.register(LayeredNetwork)
def _apply(spec: LayeredNetwork, params, x):
    """Outputs in the original output order, for one network or an ensemble.

    Args:
        spec: the network.
        params: one network's params, or an ensemble (leading E).
        x: ``(..., d_0)`` floats, or ``(..., n_tokens)`` integer tokens; shared by all members.

    Returns:
        ``(..., d_L)`` or ``(E, ..., d_L)``: column ``c`` is output (or class) ``c`` whatever slot
        it was swapped to.
    """
    if interface.is_ensemble(spec, params):
        return jax.vmap(lambda p: _apply_one(spec, p, x))(params)
    return _apply_one(spec, params, x)


@interface.activations.register(LayeredNetwork)
def _activations(spec: LayeredNetwork, params, x):
    """Post-activations of every neuron layer in slot order: a list ``[(…, n_tokens * d_0 or d_0),
    (…, h_1), ..., (…, d_L)]`` (the first is the MLP's input), leading E for an ensemble."""
    if interface.is_ensemble(spec, params):
        return jax.vmap(lambda p: _activations_one(spec, p, x))(params)
    return _activations_one(spec, params, x)


def layered_network_apply(spec: LayeredNetwork, params, x):
    """Deprecated: use :func:`toyscope.nets.apply` (one network: the same outputs)."""
    warnings.warn("layered_network_apply is deprecated; use nets.apply", DeprecationWarning, stacklevel=2)
    return _apply_one(spec, params, x)


def layered_network_activations(spec: LayeredNetwork, params, x):
    """Deprecated: use :func:`toyscope.nets.activations` (one network: the same list)."""
    warnings.warn("layered_network_activations is deprecated; use nets.activations", DeprecationWarning,
                  stacklevel=2)
    return _activations_one(spec, params, x)
