r"""Multi-layer perceptrons as plain pytrees, for one network or an ensemble.

A network is described by a static, hashable :class:`MLP` (widths, per-layer activations,
per-layer biases) and its parameters are a plain list of layer dicts::

    params = [{"weight": (d_0, d_1), "bias": (d_1,)}, {"weight": (d_1, d_2), ...}, ...]

Layer :math:`l` computes :math:`z_l = h_{l-1} W_l + b_l`, :math:`h_l = \phi_l(z_l)`, with
:math:`h_0 = x`. An *ensemble* of E networks has the same structure with a leading axis E on
every leaf (``weight: (E, d_in, d_out)``); :func:`init` with ``n_networks=E`` draws each member
from an independent key, and :func:`apply` / :func:`activations` accept either form.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Sequence

import jax
import jax.numpy as jnp

from . import _interface as interface
from ._activations import ACTIVATIONS, activation
from ._init import check_init_scheme, dense_init


@dataclasses.dataclass(frozen=True)
class MLP:
    """Static description of an MLP.

    Attributes:
        widths: ``(d_in, h_1, ..., d_out)``, at least two entries, all >= 1.
        activations: one activation name per layer (``len(widths) - 1`` names).
        biases: one flag per layer.
    """

    widths: tuple[int, ...]
    activations: tuple[str, ...]
    biases: tuple[bool, ...]

    def __post_init__(self):
        widths = tuple(int(w) for w in self.widths)
        if len(widths) < 2:
            raise ValueError(f"widths needs at least an input and an output width, got {self.widths!r}")
        if any(w < 1 for w in widths):
            raise ValueError(f"every width must be >= 1, got widths={widths}")
        n_layers = len(widths) - 1
        if len(self.activations) != n_layers:
            raise ValueError(f"need {n_layers} activations for widths {widths}, got {len(self.activations)}")
        if len(self.biases) != n_layers:
            raise ValueError(f"need {n_layers} bias flags for widths {widths}, got {len(self.biases)}")
        for name in self.activations:
            activation(name)  # validates
        object.__setattr__(self, "widths", widths)
        object.__setattr__(self, "activations", tuple(self.activations))
        object.__setattr__(self, "biases", tuple(bool(b) for b in self.biases))

    @property
    def n_layers(self) -> int:
        return len(self.widths) - 1

    @property
    def n_params(self) -> int:
        return sum(a * b + (b if bias else 0) for a, b, bias in zip(self.widths[:-1], self.widths[1:], self.biases))


def mlp(
    widths: Sequence[int],
    activation: str | Sequence[str] = "relu",
    output_activation: str = "linear",
    bias: bool | Sequence[bool] = True,
) -> MLP:
    """Build an :class:`MLP` spec.

    Args:
        widths: ``(d_in, h_1, ..., d_out)``.
        activation: the hidden layers' activation, or one name per layer (then
            ``output_activation`` is ignored).
        output_activation: the last layer's activation (default ``"linear"``: logits).
        bias: one flag for all layers or one per layer.

    Example: ``mlp([2, 2, 1], "sigmoid", "sigmoid")`` is the paper's 5-neuron XOR net.
    """
    n_layers = len(widths) - 1
    if isinstance(activation, str):
        acts = (activation,) * (n_layers - 1) + (output_activation,)
    else:
        acts = tuple(activation)
    biases = (bias,) * n_layers if isinstance(bias, bool) else tuple(bias)
    return MLP(tuple(widths), acts, biases)


@interface.param_shapes.register(MLP)
def _param_shapes(spec: MLP):
    return [{"weight": jax.ShapeDtypeStruct((d_in, d_out), jnp.float32),
             **({"bias": jax.ShapeDtypeStruct((d_out,), jnp.float32)} if bias else {})}
            for d_in, d_out, bias in zip(spec.widths[:-1], spec.widths[1:], spec.biases)]


@interface.tensor_names.register(MLP)
def _tensor_names(spec: MLP) -> tuple[str, ...]:
    return tuple(f"layer{i}.{name}" for i, bias in enumerate(spec.biases)
                 for name in (("bias", "weight") if bias else ("weight",)))  # leaf order: sorted keys


@interface.init.register(MLP)
def _init(
    spec: MLP, *, key, n_networks: int | None = None, scheme: str = "he_normal",
    scale: float | None = None, gain: float = 1.0, bias_scheme: str | None = None, dtype=jnp.float32,
):
    """Initialise one MLP, or an ensemble of ``n_networks`` from independent keys.

    Args:
        spec: the network.
        key: a PRNG key (keyword-only).
        n_networks: ``None`` for one network; E >= 1 for an ensemble with leading axis E.
        scheme, scale, gain, bias_scheme: see :func:`toyscope.nets.dense_init`.
        dtype: float32 (default) or float64 (needs ``jax_enable_x64``).

    Returns:
        A list of layer dicts; each leaf ``(d_in, d_out)`` / ``(d_out,)``, or with leading E.
    """
    if n_networks is not None:
        if int(n_networks) < 1:
            raise ValueError(f"n_networks must be >= 1, got {n_networks}")
        keys = jax.random.split(key, int(n_networks))
        return _ensemble_init(spec, scheme, scale, gain, bias_scheme, jnp.dtype(dtype))(keys)
    keys = jax.random.split(key, spec.n_layers)
    return [
        dense_init(k, d_in, d_out, scheme=scheme, scale=scale, gain=gain, bias=b,
                   bias_scheme=bias_scheme, dtype=dtype)
        for k, d_in, d_out, b in zip(keys, spec.widths[:-1], spec.widths[1:], spec.biases)
    ]


@functools.lru_cache(maxsize=64)
def _ensemble_init(spec: MLP, scheme, scale, gain, bias_scheme, dtype):
    """One compiled ``keys (E,) -> ensemble params`` per architecture and scheme (eager vmap would
    compile every primitive separately)."""
    check_init_scheme(scheme, scale, bias_scheme)  # a clear error before tracing
    one = functools.partial(_init, spec, scheme=scheme, scale=scale, gain=gain, bias_scheme=bias_scheme, dtype=dtype)
    return jax.jit(jax.vmap(lambda k: one(key=k)))


def _check_input(spec: MLP, x) -> None:
    if x.shape[-1] != spec.widths[0]:
        raise ValueError(f"input has last dimension {x.shape[-1]}, the network expects {spec.widths[0]}")


def _is_ensemble(spec: MLP, params) -> bool:
    """:func:`toyscope.nets.is_ensemble` read off the first weight alone (``(d_0, d_1)`` or
    ``(E, d_0, d_1)``), the hot path of every eager :func:`apply`; other shapes get the full
    check and its error."""
    shape = params[0]["weight"].shape
    if len(shape) == 2 and shape[0] == spec.widths[0] and shape[1] == spec.widths[1]:
        return False
    if len(shape) == 3 and shape[1] == spec.widths[0] and shape[2] == spec.widths[1]:
        return True
    return interface.is_ensemble(spec, params)


def _activations_single(spec: MLP, params, x):
    pre, post = [], []
    h = x
    for layer, name in zip(params, spec.activations):
        z = h @ layer["weight"]
        if "bias" in layer:
            z = z + layer["bias"]
        h = ACTIVATIONS[name](z)
        pre.append(z)
        post.append(h)
    return pre, post


@functools.lru_cache(maxsize=256)
def _compiled_activations(spec: MLP, ensemble: bool):
    """``(params, x) -> (pre, post)`` jitted once per architecture (and vmapped over E for ensembles)."""
    if ensemble:
        return jax.jit(jax.vmap(lambda p, x: _activations_single(spec, p, x), in_axes=(0, None)))
    return jax.jit(lambda p, x: _activations_single(spec, p, x))


@interface.activations.register(MLP)
def _activations(spec: MLP, params, x):
    """Every layer's pre- and post-activations.

    Args:
        spec: the network.
        params: one network or an ensemble (leading E).
        x: inputs ``(..., d_in)``, shared by all ensemble members.

    Returns:
        ``(pre, post)``: two lists with one array per layer, ``(..., d_l)`` or ``(E, ..., d_l)``.
    """
    _check_input(spec, x)
    return _compiled_activations(spec, _is_ensemble(spec, params))(params, x)


@interface.apply.register(MLP)
def _apply(spec: MLP, params, x):
    """The network's output :math:`h_L(x)`: ``(..., d_out)``, or ``(E, ..., d_out)`` for an ensemble."""
    _check_input(spec, x)
    return _compiled_activations(spec, _is_ensemble(spec, params))(params, x)[1][-1]


def flatten_params(params):
    """Concatenate all leaves into one vector per network: ``(P,)``, or ``(E, P)`` for an ensemble
    (any leading axes are kept: ``(S, E, P)`` for stacked snapshots).

    The order is layer by layer, weight (row-major) then bias; :func:`unflatten_params` inverts it.
    """
    leaves = []
    for layer in params:
        leaves.append(layer["weight"].reshape(*layer["weight"].shape[:-2], -1))
        if "bias" in layer:
            leaves.append(layer["bias"])
    return jnp.concatenate(leaves, axis=-1)


def unflatten_params(spec: MLP, flat):
    """Inverse of :func:`flatten_params`: ``(P,)`` -> one network, ``(E, P)`` -> an ensemble."""
    if flat.shape[-1] != spec.n_params:
        raise ValueError(f"expected {spec.n_params} parameters in the last axis, got {flat.shape[-1]}")
    lead = flat.shape[:-1]
    out, offset = [], 0
    for d_in, d_out, bias in zip(spec.widths[:-1], spec.widths[1:], spec.biases):
        layer = {"weight": flat[..., offset:offset + d_in * d_out].reshape(*lead, d_in, d_out)}
        offset += d_in * d_out
        if bias:
            layer["bias"] = flat[..., offset:offset + d_out]
            offset += d_out
        out.append(layer)
    return out
