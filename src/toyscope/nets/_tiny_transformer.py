r"""A tiny decoder-only transformer without LayerNorm, for BIMT on in-context regression.

Tokens are vectors (no vocabulary, no positional encoding, as in the BIMT authors' code). For
ONE network and a sequence :math:`t_1..t_T` of ``d_in``-vectors:

.. math::

    h^0_t &= t_t W_E + b_E, \\
    h \leftarrow h + \mathrm{Attn}(h), &\quad h \leftarrow h + W_2\,\mathrm{act}(W_1 h + b_1) + b_2
    \quad\text{(per layer)},\\
    \mathrm{out}_t &= h_t W_U + b_U,

with causal softmax attention per head :math:`\mathrm{softmax}_{s\le t}(q_t\cdot k_s/\sqrt{d_h})\,v_s`
and an output projection :math:`W_O`. Every "linear layer" (BIMT Appendix F.1) is a
``{"weight": (d_in, d_out), "bias": (d_out,)}`` dict with ``y = x @ W + b``::

    {"embed": linear(d_in -> d_model),
     "blocks": [{"query", "key", "value": linear(d_model -> n_heads * d_head),
                 "attn_out": linear(n_heads * d_head -> d_model),
                 "mlp_in": linear(d_model -> d_mlp), "mlp_out": linear(d_mlp -> d_model)}, ...],
     "unembed": linear(d_model -> d_out),
     "input_order": (d_in,), "output_order": (d_out,)}   # floats holding integers

Head ``h`` owns columns ``h d_head .. (h+1) d_head - 1`` of query, key and value and the same
rows of ``attn_out``. ``input_order``/``output_order`` let BIMT swap input and output neurons
(input slot ``s`` reads feature ``input_order[s]``; output slot ``s`` is output
``output_order[s]``), as for :class:`~toyscope.nets.LayeredNetwork`.

Reference: Liu, Gan & Tegmark, Entropy 26 (2024) 41, Section 3.4 and Appendix F; the
authors' ``incontext_3.4.ipynb`` (LayerNorm removed, 2 layers, 1 head, width 32, MLP 4 x 32).
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import warnings

import jax
import jax.numpy as jnp

from . import _interface as interface
from ._activations import activation as activation_fn

BLOCK_LINEARS = ("query", "key", "value", "attn_out", "mlp_in", "mlp_out")


@dataclasses.dataclass(frozen=True)
class TinyTransformer:
    """Static description of a :mod:`tiny transformer <toyscope.nets._tiny_transformer>`.

    Attributes:
        d_in, d_out: token and output dimensions.
        d_model: residual-stream width.
        n_layers: blocks (attention + MLP each).
        n_heads: attention heads per block; ``d_model`` must be a multiple.
        d_mlp: MLP hidden width.
        activation: MLP activation name (``toyscope.nets.activation``).
    """

    d_in: int = 2
    d_out: int = 2
    d_model: int = 32
    n_layers: int = 2
    n_heads: int = 1
    d_mlp: int = 128
    activation: str = "gelu"

    def __post_init__(self):
        for name in ("d_in", "d_out", "d_model", "n_layers", "n_heads", "d_mlp"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.d_model % self.n_heads:
            raise ValueError(f"d_model={self.d_model} must be a multiple of n_heads={self.n_heads}")
        activation_fn(self.activation)

    @property
    def d_head(self) -> int:
        """Query/key/value dimensions per head."""
        return self.d_model // self.n_heads

    def linear_shapes(self) -> dict[tuple, tuple[int, int]]:
        """``path -> (rows, cols)`` of every weight matrix, in forward order."""
        d, m = self.d_model, self.d_mlp
        shapes = {("embed",): (self.d_in, d)}
        for layer in range(self.n_layers):
            for name, shape in (("query", (d, d)), ("key", (d, d)), ("value", (d, d)), ("attn_out", (d, d)),
                                ("mlp_in", (d, m)), ("mlp_out", (m, d))):
                shapes[("blocks", layer, name)] = shape
        shapes[("unembed",)] = (d, self.d_out)
        return shapes


def tiny_transformer(d_in: int = 2, d_out: int = 2, *, d_model: int = 32, n_layers: int = 2, n_heads: int = 1,
                     d_mlp: int | None = None, activation: str = "gelu") -> TinyTransformer:
    """A :class:`TinyTransformer`; ``d_mlp`` defaults to ``4 d_model``.

    Raises:
        ValueError: a size < 1, ``d_model`` not a multiple of ``n_heads``, unknown activation.
    """
    return TinyTransformer(d_in, d_out, d_model, n_layers, n_heads, 4 * d_model if d_mlp is None else d_mlp,
                           activation)


def _linear_init(unit, rows: int, cols: int):
    """Weight and bias from ``unit`` (``rows * cols + cols`` numbers in [-1, 1))."""
    limit = 1.0 / math.sqrt(rows)  # PyTorch nn.Linear default, as the authors' code
    return {"weight": limit * unit[:rows * cols].reshape(rows, cols), "bias": limit * unit[rows * cols:]}


@interface.param_shapes.register(TinyTransformer)
def _param_shapes(spec: TinyTransformer) -> dict:
    def linear(path):
        rows, cols = spec.linear_shapes()[path]
        return {"weight": jax.ShapeDtypeStruct((rows, cols), jnp.float32),
                "bias": jax.ShapeDtypeStruct((cols,), jnp.float32)}

    return {"embed": linear(("embed",)),
            "blocks": [{name: linear(("blocks", layer, name)) for name in BLOCK_LINEARS}
                       for layer in range(spec.n_layers)],
            "unembed": linear(("unembed",)),
            "input_order": jax.ShapeDtypeStruct((spec.d_in,), jnp.float32),
            "output_order": jax.ShapeDtypeStruct((spec.d_out,), jnp.float32)}


@interface.init.register(TinyTransformer)
def _init(spec: TinyTransformer, *, key, n_networks: int | None = None):
    r"""Initialise one network (or ``n_networks`` with a leading ensemble axis): every weight and
    bias :math:`U(\pm 1/\sqrt{\text{fan\_in}})` (PyTorch's ``nn.Linear``); orders the identity."""
    if n_networks is not None:
        keys = jax.random.split(key, int(n_networks))
        return jax.jit(jax.vmap(lambda k: _init(spec, key=k)))(keys)  # one compile
    shapes = spec.linear_shapes()
    sizes = [rows * cols + cols for rows, cols in shapes.values()]
    # one draw for everything (a single random-bits call compiles much faster than 30)
    unit = jax.random.uniform(key, (sum(sizes),), minval=-1.0, maxval=1.0)
    pieces = {path: _linear_init(unit[start:start + size], *shape)
              for (path, shape), start, size in zip(shapes.items(), itertools.accumulate(sizes, initial=0), sizes)}
    params = {"embed": pieces[("embed",)],
              "blocks": [{name: pieces[("blocks", layer, name)] for name in BLOCK_LINEARS} for layer in range(spec.n_layers)],
              "unembed": pieces[("unembed",)],
              "input_order": jnp.arange(spec.d_in, dtype=jnp.float32),
              "output_order": jnp.arange(spec.d_out, dtype=jnp.float32)}
    return params


def init_tiny_transformer(spec: TinyTransformer, *, key, n_networks: int | None = None):
    """Deprecated: use :func:`toyscope.nets.init` (same arguments, same params)."""
    warnings.warn("init_tiny_transformer is deprecated; use nets.init", DeprecationWarning, stacklevel=2)
    return _init(spec, key=key, n_networks=n_networks)


def _linear(layer, x):
    return x @ layer["weight"] + layer["bias"]


def _order(values):
    return jax.lax.stop_gradient(values).astype(jnp.int32)


def _attention(spec: TinyTransformer, block, h):
    """Causal multi-head attention of ``h`` ``(..., T, d_model)``; returns (output, pattern, v)."""
    *lead, length, _ = h.shape
    split = lambda z: z.reshape(*lead, length, spec.n_heads, spec.d_head)  # noqa: E731
    q, k, v = (split(_linear(block[name], h)) for name in ("query", "key", "value"))
    scores = jnp.einsum("...thd,...shd->...hts", q, k) / math.sqrt(spec.d_head)
    causal = jnp.tril(jnp.ones((length, length), bool))
    scores = jnp.where(causal, scores, -jnp.inf)
    pattern = jax.nn.softmax(scores, axis=-1)
    mixed = jnp.einsum("...hts,...shd->...thd", pattern, v).reshape(*lead, length, spec.d_model)
    return _linear(block["attn_out"], mixed), pattern, mixed


def _activations_one(spec: TinyTransformer, params, x) -> dict[str, jnp.ndarray]:
    act = activation_fn(spec.activation)
    inputs = jnp.take(x, _order(params["input_order"]), axis=-1)
    h = _linear(params["embed"], inputs)
    out = {"input": inputs, "res0": h}
    for layer, block in enumerate(params["blocks"]):
        attended, pattern, mixed = _attention(spec, block, h)
        h = h + attended
        hidden = act(_linear(block["mlp_in"], h))
        out.update({f"attn{layer + 1}": mixed, f"pattern{layer + 1}": pattern, f"res{2 * layer + 1}": h,
                    f"mlp{layer + 1}": hidden})
        h = h + _linear(block["mlp_out"], hidden)
        out[f"res{2 * layer + 2}"] = h
    out["output"] = _linear(params["unembed"], h)
    return out


def _apply_one(spec: TinyTransformer, params, x):
    slots = _activations_one(spec, params, x)["output"]
    return jnp.zeros_like(slots).at[..., _order(params["output_order"])].set(slots)


@interface.activations.register(TinyTransformer)
def _activations(spec: TinyTransformer, params, x) -> dict[str, jnp.ndarray]:
    """Every named neuron layer, in slot order (for probing, e.g. Res2 vs w).

    Args:
        spec: the network.
        params: one network's params, or an ensemble (leading E).
        x: ``(..., T, d_in)`` token vectors (features in their original order), shared by all members.

    Returns:
        ``{"input", "res0", "attn1", "res1", "mlp1", "res2", ..., "output"}``: ``res{2l}`` is
        the residual stream entering block ``l+1``'s attention, ``attn{l+1}`` the mixed values
        (``(..., T, d_model)``), ``mlp{l+1}`` the MLP hidden activations, ``res{2l+1}`` the
        stream entering that MLP; ``output`` in slot order; plus ``pattern{l+1}``
        ``(..., n_heads, T, T)``. Leading E on every array for an ensemble.
    """
    if interface.is_ensemble(spec, params):
        return jax.vmap(lambda p: _activations_one(spec, p, x))(params)
    return _activations_one(spec, params, x)


@interface.apply.register(TinyTransformer)
def _apply(spec: TinyTransformer, params, x):
    """Outputs ``(..., T, d_out)`` in the original output order (``(E, ..., T, d_out)`` for an ensemble).

    Args:
        spec: the network.
        params: one network's params, or an ensemble (leading E).
        x: ``(..., T, d_in)`` token vectors, shared by all members.
    """
    if interface.is_ensemble(spec, params):
        return jax.vmap(lambda p: _apply_one(spec, p, x))(params)
    return _apply_one(spec, params, x)


def tiny_transformer_activations(spec: TinyTransformer, params, x) -> dict[str, jnp.ndarray]:
    """Deprecated: use :func:`toyscope.nets.activations` (one network: the same dict)."""
    warnings.warn("tiny_transformer_activations is deprecated; use nets.activations", DeprecationWarning,
                  stacklevel=2)
    return _activations_one(spec, params, x)


def tiny_transformer_apply(spec: TinyTransformer, params, x):
    """Deprecated: use :func:`toyscope.nets.apply` (one network: the same outputs)."""
    warnings.warn("tiny_transformer_apply is deprecated; use nets.apply", DeprecationWarning, stacklevel=2)
    return _apply_one(spec, params, x)
