r"""Network surgery on MLP params: permute, remove and merge hidden units; splice and extract blocks.

All functions are pure and work on one network or an ensemble (leading axis E on every leaf).
Hidden layer ``l`` (0-based, ``0 <= l < n_layers - 1``) is the output of ``params[l]``; its
units are the columns of ``params[l]["weight"]`` and the rows of ``params[l + 1]["weight"]``.
"""

from __future__ import annotations

from collections.abc import Sequence

import jax.numpy as jnp
import numpy as np

from ._interface import is_ensemble
from ._mlp import MLP


def _check_hidden_layer(spec: MLP, layer: int) -> None:
    if not 0 <= layer < spec.n_layers - 1:
        raise ValueError(f"layer must index a hidden layer, 0..{spec.n_layers - 2}, got {layer}")


def permute_hidden_units(spec: MLP, params, permutation, layer: int = 0):
    r"""Reorder the units of hidden layer ``layer``: new unit ``i`` is old unit ``permutation[i]``.

    The network function is unchanged: :math:`W_l \to W_l P`, :math:`b_l \to P^\top b_l`,
    :math:`W_{l+1} \to P^\top W_{l+1}`.

    Args:
        permutation: ``(h,)`` for all members, or ``(E, h)`` one per ensemble member.
    """
    _check_hidden_layer(spec, layer)
    perm = jnp.asarray(permutation)
    ensemble = is_ensemble(spec, params)
    out = [dict(p) for p in params]

    def take(array, axis):
        if perm.ndim == 1:
            return jnp.take(array, perm, axis=axis)
        if not ensemble:
            raise ValueError("a per-member permutation (E, h) needs ensemble params")
        index = perm.reshape(perm.shape[:1] + (1,) * (axis - 1) + perm.shape[1:] + (1,) * (array.ndim - axis - 1))
        return jnp.take_along_axis(array, index, axis=axis)

    lead = 1 if ensemble else 0
    out[layer]["weight"] = take(params[layer]["weight"], lead + 1)
    if "bias" in params[layer]:
        out[layer]["bias"] = take(params[layer]["bias"], lead)
    out[layer + 1]["weight"] = take(params[layer + 1]["weight"], lead)
    return out


def remove_hidden_units(spec: MLP, params, units: Sequence[int], layer: int = 0) -> tuple[MLP, list]:
    """Delete hidden units (their incoming and outgoing weights) from layer ``layer``.

    Returns:
        ``(smaller_spec, smaller_params)``.

    Raises:
        ValueError: a unit index out of range, or removing every unit of the layer.
    """
    _check_hidden_layer(spec, layer)
    width = spec.widths[layer + 1]
    units = sorted({int(u) for u in units})
    if any(u < 0 or u >= width for u in units):
        raise ValueError(f"units must be in 0..{width - 1}, got {units}")
    keep = np.array([u for u in range(width) if u not in units])
    if keep.size == 0:
        raise ValueError("cannot remove every unit of a layer")
    lead = 1 if is_ensemble(spec, params) else 0
    out = [dict(p) for p in params]
    out[layer]["weight"] = jnp.take(params[layer]["weight"], keep, axis=lead + 1)
    if "bias" in params[layer]:
        out[layer]["bias"] = jnp.take(params[layer]["bias"], keep, axis=lead)
    out[layer + 1]["weight"] = jnp.take(params[layer + 1]["weight"], keep, axis=lead)
    widths = list(spec.widths)
    widths[layer + 1] = len(keep)
    return MLP(tuple(widths), spec.activations, spec.biases), out


def merge_hidden_units(spec: MLP, params, keep: int, remove: int, layer: int = 0) -> tuple[MLP, list]:
    r"""Fold unit ``remove`` into unit ``keep``: add its outgoing weights to ``keep``'s, then delete it.

    Exact when the two units compute the same activation (:math:`w_{keep} h + w_{rm} h = (w_{keep} +
    w_{rm}) h`); the "split computation" repair of the XOR paper.
    """
    _check_hidden_layer(spec, layer)
    if keep == remove:
        raise ValueError("keep and remove must be different units")
    lead = 1 if is_ensemble(spec, params) else 0
    w_next = params[layer + 1]["weight"]
    index = (slice(None),) * lead
    w_next = jnp.asarray(w_next)
    merged = w_next.at[index + (keep,)].add(w_next[index + (remove,)])
    params = [dict(p) for p in params]
    params[layer + 1]["weight"] = merged
    return remove_hidden_units(spec, params, [remove], layer)


def splice_blocks(block_spec: MLP, block_params: Sequence, input_groups: Sequence[Sequence[int]], n_inputs: int, *,
                  off_block: float = 0.0, key=None) -> tuple[MLP, list]:
    r"""Place B copies of a one-hidden-layer architecture side by side as blocks of one larger net.

    Block b (``block_spec``: ``d -> h -> o``) reads inputs ``input_groups[b]`` and owns hidden
    units ``b h .. (b+1) h - 1`` and outputs ``b o .. (b+1) o - 1``. Weights between blocks start
    at 0, or with ``off_block = sigma > 0`` at :math:`\sigma\,\mathcal{N}(0, 1)` (needs ``key``).

    Args:
        block_spec: the blocks' architecture (one hidden layer, with biases).
        block_params: B single-network params of ``block_spec``.
        input_groups: input indices (0-based) of each block, each of length ``d``.
        n_inputs: inputs of the large net.

    Returns:
        ``(spec, params)`` of the ``n_inputs - B h - B o`` net with the blocks' activations.
    """
    if block_spec.n_layers != 2 or not all(block_spec.biases):
        raise ValueError(f"blocks must have one hidden layer and biases, got widths {block_spec.widths}")
    d, h, o = block_spec.widths
    if len(block_params) != len(input_groups):
        raise ValueError(f"need one input group per block: {len(block_params)} blocks, {len(input_groups)} groups")
    for group in input_groups:
        if len(group) != d or len(set(group)) != d or any(not 0 <= i < n_inputs for i in group):
            raise ValueError(f"input group {list(group)} must be {d} distinct indices in 0..{n_inputs - 1}")
    if off_block < 0 or (off_block > 0 and key is None):
        raise ValueError(f"off_block must be >= 0 (and > 0 needs a key), got {off_block}")
    n_blocks = len(block_params)
    spec = MLP((n_inputs, n_blocks * h, n_blocks * o), block_spec.activations, (True, True))
    dtype = np.asarray(block_params[0][0]["weight"]).dtype
    if off_block > 0:
        import jax

        k0, k1 = jax.random.split(key)
        w0 = off_block * np.asarray(jax.random.normal(k0, (n_inputs, n_blocks * h)), dtype)
        w1 = off_block * np.asarray(jax.random.normal(k1, (n_blocks * h, n_blocks * o)), dtype)
    else:
        w0, w1 = np.zeros((n_inputs, n_blocks * h), dtype), np.zeros((n_blocks * h, n_blocks * o), dtype)
    b0, b1 = np.zeros(n_blocks * h, dtype), np.zeros(n_blocks * o, dtype)
    for b, (p, group) in enumerate(zip(block_params, input_groups)):
        hs, os_ = slice(b * h, (b + 1) * h), slice(b * o, (b + 1) * o)
        w0[list(group), hs] = np.asarray(p[0]["weight"])
        w1[hs, os_] = np.asarray(p[1]["weight"])
        b0[hs], b1[os_] = np.asarray(p[0]["bias"]), np.asarray(p[1]["bias"])
    params = [{"weight": jnp.asarray(w0), "bias": jnp.asarray(b0)}, {"weight": jnp.asarray(w1), "bias": jnp.asarray(b1)}]
    return spec, params


def block_mask(spec: MLP, input_groups: Sequence[Sequence[int]]) -> list[dict[str, np.ndarray]]:
    """Where the weights of a net made by :func:`splice_blocks` belong to a block (True) or connect blocks.

    Returns:
        ``[{"weight": (n_inputs, B h) bool}, {"weight": (B h, B o) bool}]``.
    """
    n_blocks = len(input_groups)
    h, o = spec.widths[1] // n_blocks, spec.widths[2] // n_blocks
    m0, m1 = np.zeros(spec.widths[:2], bool), np.zeros(spec.widths[1:], bool)
    for b, group in enumerate(input_groups):
        m0[list(group), b * h:(b + 1) * h] = True
        m1[b * h:(b + 1) * h, b * o:(b + 1) * o] = True
    return [{"weight": m0}, {"weight": m1}]


def extract_block(spec: MLP, params, input_groups: Sequence[Sequence[int]], block: int) -> list:
    """Block ``block`` of a net made by :func:`splice_blocks`, as a single ``d - h - o`` network."""
    n_blocks = len(input_groups)
    if not 0 <= block < n_blocks:
        raise ValueError(f"block must be in 0..{n_blocks - 1}, got {block}")
    h, o = spec.widths[1] // n_blocks, spec.widths[2] // n_blocks
    hs, os_ = slice(block * h, (block + 1) * h), slice(block * o, (block + 1) * o)
    group = list(input_groups[block])
    return [{"weight": jnp.asarray(np.asarray(params[0]["weight"])[group, hs]), "bias": jnp.asarray(params[0]["bias"][hs])},
            {"weight": jnp.asarray(np.asarray(params[1]["weight"])[hs, os_]), "bias": jnp.asarray(params[1]["bias"][os_])}]


def layered_as_mlp(spec, params) -> tuple[MLP, list]:
    r"""A vector-input :class:`~toyscope.nets.LayeredNetwork` as the plain MLP computing the same function.

    The layered network reads input slot ``s`` from feature ``input_order[s]`` and writes output
    slot ``s`` to output ``output_order[s]``; folding the orders into the weights
    (:math:`W_1'[\text{in}[s]] = W_1[s]`, :math:`W_L'[:, \text{out}[s]] = W_L[:, s]`, the same for
    the last bias) gives an MLP on the features in their own order. One network or an ensemble.

    Raises:
        ValueError: a token network (its inputs are embeddings, not features).

    >>> import jax
    >>> from toyscope import nets
    >>> spec = nets.layered_network([3, 4, 2])
    >>> params = nets.init(spec, key=jax.random.key(0))
    >>> mlp_spec, mlp_params = nets.layered_as_mlp(spec, params)
    >>> x = jax.numpy.ones((1, 3))
    >>> bool(jax.numpy.allclose(nets.apply(mlp_spec, mlp_params, x), nets.apply(spec, params, x)))
    True
    """
    from ._layered import LayeredNetwork

    if not isinstance(spec, LayeredNetwork):
        raise ValueError(f"layered_as_mlp needs a LayeredNetwork, got {type(spec).__name__}")
    if spec.n_tokens:
        raise ValueError("a token network's inputs are embeddings; only vector-input layered networks become MLPs")
    ensemble = is_ensemble(spec, params)

    def fold(layers, input_order, output_order):
        layers = [dict(layer) for layer in layers]
        inputs = jnp.asarray(input_order).astype(jnp.int32)
        outputs = jnp.asarray(output_order).astype(jnp.int32)
        layers[0]["weight"] = jnp.zeros_like(layers[0]["weight"]).at[inputs].set(layers[0]["weight"])
        last = layers[-1]
        last["weight"] = jnp.zeros_like(last["weight"]).at[:, outputs].set(last["weight"])
        if "bias" in last:
            last["bias"] = jnp.zeros_like(last["bias"]).at[outputs].set(last["bias"])
        return layers

    if ensemble:
        import jax

        folded = jax.vmap(fold)(params["layers"], params["input_order"], params["output_order"])
    else:
        folded = fold(params["layers"], params["input_order"], params["output_order"])
    return spec.mlp, folded
