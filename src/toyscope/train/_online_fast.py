r"""Exact per-sample SGD for one-hidden-layer MLPs, computed in blocks of B samples.

Per-sample SGD updates the first layer by a rank-one matrix per step,
:math:`W_1 \leftarrow W_1 - x_t^\top \Delta_t` with :math:`\Delta_t = \eta\,\partial L_t/\partial z_{1}`.
Within a block of B consecutive samples the pre-activation of sample s therefore is

.. math:: z_{1,s} = x_s W_1^{(0)} - \sum_{t<s} (x_s\cdot x_t)\,\Delta_t + b_{1,s},

so one matmul :math:`H_0 = X_B W_1^{(0)}`, the Gram matrix :math:`X_B X_B^\top` and a
sequential loop over s that touches only B x h numbers (plus the small second layer) replace B
steps of d_in x h work; :math:`W_1 \leftarrow W_1 - X_B^\top \Delta` once at the block's end.
This is the same sequence of SGD steps as :func:`toyscope.train.train` in ``online`` mode (up to
float rounding). The |update| tallies per group are exact as well: the first layer's
:math:`|\Delta W_{1,t}| = |x_t|^\top |\Delta_t|`, summed over a group's steps by one matmul.
"""

from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp
import numpy as np

from .. import nets
from ._losses import loss_function
from ._online_sparse import active_pixels, sparse_runner


def _check(spec: nets.MLP, params, data, order, block_size, learning_rate, n_groups):
    if spec.n_layers != 2 or not all(spec.biases):
        raise ValueError(f"blocked online SGD needs a one-hidden-layer MLP with biases, got widths {spec.widths}")
    if not learning_rate > 0:
        raise ValueError(f"learning_rate must be > 0, got {learning_rate}")
    if block_size < 1:
        raise ValueError(f"block_size must be >= 1, got {block_size}")
    n_examples = data["x"].shape[0]
    if order.ndim not in (1, 2) or order.shape[-1] == 0:
        raise ValueError(f"order must be (n_steps,) or (E, n_steps), got shape {order.shape}")
    if order.ndim == 2 and order.shape[0] != params[0]["weight"].shape[0]:
        raise ValueError(f"order has {order.shape[0]} rows for {params[0]['weight'].shape[0]} ensemble members")
    if order.min() < -1 or order.max() >= n_examples:
        raise ValueError(f"order indices must lie in [0, {n_examples}) (or -1 for a no-op step), "
                         f"got [{order.min()}, {order.max()}]")
    if n_groups is not None:
        groups = np.asarray(data["group"])
        if groups.min() < 0 or groups.max() >= n_groups:
            raise ValueError(f"data['group'] must lie in [0, {n_groups}), got [{groups.min()}, {groups.max()}]")


def blocked_sgd(
    spec: nets.MLP, params, data: dict, order, *, learning_rate: float, loss: str = "mse",
    block_size: int = 128, n_groups: int | None = None, tally_from: int = 0, snapshot_every: int | None = None,
    with_loss: bool = False, input_offset: float | None = None,
):
    r"""Per-sample SGD of an ensemble of one-hidden-layer MLPs, B samples per compiled block.

    Args:
        spec: ``mlp([d_in, h, d_out], ...)`` with biases.
        params: ensemble params (leading E).
        data: ``{"x": (N, d_in), "y": (N, d_out) or (N,), "group": (N,) int}`` (group only with tallies).
        order: example per step, ``(n_steps,)`` shared or ``(E, n_steps)`` per member; an entry
            ``-1`` is a no-op step (for members with fewer steps).
        learning_rate: :math:`\eta`.
        loss: ``mse``, ``bce`` or ``softmax_ce`` (see :func:`toyscope.train.loss_function`).
        block_size: B; the run is padded to whole blocks (and snapshot intervals) with no-op steps.
        n_groups: G to also return |update| tallies per group (as the engine's
            :func:`group_tally_observer`), or ``None``.
        tally_from: first step that is tallied.
        snapshot_every: also return the params every this many steps (rounded up to whole blocks).
        with_loss: also return every step's loss (of the parameters before its update, as the
            engine records it); the parameters and tallies are the same with or without it.
        input_offset: c, when every input coordinate is c except a sparse part (scaled pixels:
            ``1/256``): the first layer's work is then done on each block's lit coordinates only
            (:mod:`._online_sparse`; equal to the dense path up to float rounding). ``None``: dense.

    Returns:
        ``(params, tallies, snapshot_steps, snapshots, losses)``: final params (leading E); with
        ``n_groups``, params-shaped tallies with leaves ``(E, G, ...)`` (else ``None``); with
        ``snapshot_every``, the steps ``(S,)`` (0 first) and params with leaves ``(S, E, ...)``
        (else ``None, None``); with ``with_loss``, ``(E, n_steps)`` losses, NaN on no-op steps
        (else ``None``).

    Raises:
        ValueError: not a one-hidden-layer MLP with biases, bad order, groups or sizes.
    """
    order = np.asarray(order, dtype=np.int64)
    _check(spec, params, data, order, block_size, learning_rate, n_groups)
    n_members = params[0]["weight"].shape[0]
    n_steps = order.shape[-1]
    blocks_per_segment = math.ceil(snapshot_every / block_size) if snapshot_every else math.ceil(n_steps / block_size)
    segment = blocks_per_segment * block_size
    n_segments = math.ceil(n_steps / segment)
    padded = n_segments * segment
    orders = np.concatenate([np.broadcast_to(order, (n_members, n_steps)),
                             np.full((n_members, padded - n_steps), -1, np.int64)], axis=1)
    live = (orders >= 0).astype(np.float32)
    tallied = live * (np.arange(padded) >= tally_from)
    orders = np.maximum(orders, 0).astype(np.int32)
    x, y = jnp.asarray(data["x"]), jnp.asarray(data["y"])
    group = jnp.asarray(data["group"] if n_groups is not None else np.zeros(x.shape[0], np.int32), jnp.int32)
    arrays = (params, jnp.asarray(orders), jnp.asarray(live), jnp.asarray(tallied, dtype=np.float32))
    if input_offset is None:
        runner = _compiled_runner(spec, loss, n_groups or 1, block_size, blocks_per_segment, with_loss)
    else:
        runner = sparse_runner(spec, loss, n_groups or 1, block_size, blocks_per_segment, with_loss, float(input_offset))
        arrays = (*arrays, jnp.asarray(active_pixels(np.asarray(data["x"]), orders, block_size, float(input_offset))))
    new_params, tallies, snapshots, *step_losses = runner(*arrays, x, y, group, jnp.asarray(learning_rate, x.dtype))
    tallies = tallies if n_groups is not None else None
    losses = None
    if with_loss:
        losses = np.asarray(step_losses[0]).reshape(n_members, padded)[:, :n_steps].copy()
        losses[np.broadcast_to(order, (n_members, n_steps)) < 0] = np.nan
    if not snapshot_every:
        return new_params, tallies, None, None, losses
    first = jax.tree_util.tree_map(lambda p: np.asarray(p)[None], params)
    later = jax.tree_util.tree_map(lambda p: np.moveaxis(np.asarray(p), 1, 0), snapshots)  # (S, E, ...)
    snapshots = jax.tree_util.tree_map(lambda a, b: np.concatenate([a, b]), first, later)
    steps = np.arange(n_segments + 1) * segment
    return new_params, tallies, steps, snapshots, losses



@functools.lru_cache(maxsize=32)
def _compiled_runner(spec: nets.MLP, loss: str, g_count: int, block_size: int, blocks_per_segment: int,
                     with_loss: bool = False):
    """The jitted, vmapped blocked-SGD program; data and learning rate are arguments, so one
    compiled program serves every call with the same shapes (cached per static setting).
    ``with_loss`` adds each step's loss as an extra output, computed beside (not inside) the
    gradient, so the parameter updates are the same operations either way."""
    hidden_act, out_act = (nets.activation(a) for a in spec.activations)
    loss_of = loss_function(loss)

    def out_grad(z2, target):
        return jax.grad(lambda z: loss_of(out_act(z)[None], target[None]))(z2)

    def act_derivative(z):
        return jax.jvp(hidden_act, (z,), (jnp.ones_like(z),))[1]

    def member(p, member_order, member_live, member_tallied, x, y, group, lr):
        def block(carry, inputs):
            (w1, b1, w2, b2), tallies = carry
            idx, live_b, tally_b = inputs
            xb, yb, gb = x[idx], y[idx], group[idx]
            h0 = xb @ w1
            gram = xb @ xb.T
            onehot = jax.nn.one_hot(gb, g_count, dtype=w1.dtype) * tally_b[:, None]  # (B, G)

            def step(c, s):
                b1, w2, b2, deltas, t_b1, t_w2, t_b2 = c
                z1 = h0[s] - gram[s] @ deltas + b1
                h = hidden_act(z1)
                g2 = out_grad(h @ w2 + b2, yb[s]) * live_b[s]
                dz1 = (w2 @ g2) * act_derivative(z1)
                new_b1, new_w2, new_b2 = b1 - lr * dz1, w2 - lr * jnp.outer(h, g2), b2 - lr * g2
                weight = onehot[s][:, None]
                t_b1 = t_b1 + weight * jnp.abs(new_b1 - b1)
                t_w2 = t_w2 + weight[:, :, None] * jnp.abs(new_w2 - w2)
                t_b2 = t_b2 + weight * jnp.abs(new_b2 - b2)
                step_loss = loss_of(out_act(h @ w2 + b2)[None], yb[s][None]) if with_loss else None
                return (new_b1, new_w2, new_b2, deltas.at[s].set(lr * dz1), t_b1, t_w2, t_b2), step_loss

            init = (b1, w2, b2, jnp.zeros_like(h0), tallies[0]["bias"], tallies[1]["weight"], tallies[1]["bias"])
            (b1, w2, b2, deltas, t_b1, t_w2, t_b2), block_losses = jax.lax.scan(step, init, jnp.arange(block_size))
            t_w1 = tallies[0]["weight"] + jnp.einsum("bg,bi,bj->gij", onehot, jnp.abs(xb), jnp.abs(deltas))
            w1 = w1 - xb.T @ deltas
            return ((w1, b1, w2, b2), [{"weight": t_w1, "bias": t_b1}, {"weight": t_w2, "bias": t_b2}]), block_losses

        def segment_run(carry, inputs):
            carry, segment_losses = jax.lax.scan(block, carry, inputs)
            w1, b1, w2, b2 = carry[0]
            return carry, ([{"weight": w1, "bias": b1}, {"weight": w2, "bias": b2}], segment_losses)

        tallies = [{k: jnp.zeros((g_count, *v.shape), v.dtype) for k, v in layer.items()} for layer in p]
        shape = (-1, blocks_per_segment, block_size)
        inputs = (member_order.reshape(shape), member_live.reshape(shape), member_tallied.reshape(shape))
        start = (p[0]["weight"], p[0]["bias"], p[1]["weight"], p[1]["bias"])
        ((w1, b1, w2, b2), tallies), (snapshots, losses) = jax.lax.scan(segment_run, (start, tallies), inputs)
        final = [{"weight": w1, "bias": b1}, {"weight": w2, "bias": b2}]
        return (final, tallies, snapshots, losses) if with_loss else (final, tallies, snapshots)

    return jax.jit(jax.vmap(member, in_axes=(0, 0, 0, 0, None, None, None, None)))


def fork_order(subsets, n_members: int, length: int | None = None) -> np.ndarray:
    """``(K * E, L)`` per-member order: member ``k * E + e`` runs subset k, then ``-1`` (no-op) steps.

    Raises:
        ValueError: no subsets or an empty subset.
    """
    subsets = [np.asarray(s, dtype=np.int64) for s in subsets]
    if not subsets or any(s.size == 0 for s in subsets):
        raise ValueError(f"subsets must be a non-empty list of non-empty index arrays, got sizes {[s.size for s in subsets]}")
    length = length or max(s.size for s in subsets)
    order = np.full((len(subsets), length), -1, dtype=np.int64)
    for k, subset in enumerate(subsets):
        order[k, :subset.size] = subset
    return np.repeat(order, n_members, axis=0)


def tile_forks(params, n_forks: int):
    """Ensemble params (leading E) -> K copies, leading ``K * E`` (member ``k * E + e`` is copy k of e)."""
    return jax.tree_util.tree_map(
        lambda p: jnp.broadcast_to(p[None], (n_forks, *p.shape)).reshape(-1, *p.shape[1:]), params)


def blocked_forks_run(spec: nets.MLP, params, data: dict, subsets, *, learning_rate: float, loss: str = "mse",
                      block_size: int = 128, snapshot_every: int | None = None, with_loss: bool = False,
                      input_offset: float | None = None):
    r"""Every network continued on each of K subsets by :func:`blocked_sgd` (K x E runs in one
    compiled ensemble; shorter subsets end with no-op steps).

    Returns:
        ``(params, snapshot_steps, snapshots, losses)``: leaves ``(K, E, ...)``; ``(S,)`` steps
        (empty without ``snapshot_every``); leaves ``(S, K, E, ...)`` or ``None``; ``(K, E, L)``
        per-step losses (NaN on no-op steps) or ``None`` without ``with_loss``.
    """
    n_forks, n_members = len(subsets), params[0]["weight"].shape[0]
    order = fork_order(subsets, n_members)
    final, _, steps, snapshots, losses = blocked_sgd(
        spec, tile_forks(params, n_forks), data, order, learning_rate=learning_rate, loss=loss,
        block_size=block_size, snapshot_every=snapshot_every, with_loss=with_loss, input_offset=input_offset)
    split = lambda p, lead: np.asarray(p).reshape(*lead, n_forks, n_members, *p.shape[len(lead) + 1:])  # noqa: E731
    final = jax.tree_util.tree_map(lambda p: split(p, ()), final)
    if snapshots is not None:
        snapshots = jax.tree_util.tree_map(lambda p: split(p, (p.shape[0],)), snapshots)
    if losses is not None:
        losses = losses.reshape(n_forks, n_members, -1)
    return final, steps if steps is not None else np.zeros(0, np.int64), snapshots, losses
