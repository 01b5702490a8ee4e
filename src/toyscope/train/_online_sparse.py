r"""Blocked per-sample SGD for inputs that are a shared constant plus a sparse part.

Scaled pixels :math:`(p + 1)/256` are the constant :math:`c = 1/256` everywhere except where the
pixel is lit (about 19% of MNIST's). Within a block of B samples (see :mod:`._online_fast`) let
:math:`A` be the pixels lit in at least one of them, padded with unlit pixels to a fixed count P
(the largest such union over the run, so every block has the same shapes). Every pixel outside A
equals c in every sample of the block, so with :math:`\mathbf 1` the ones vector and
:math:`\bar A` the other pixels:

.. math::

    x_s W_1 &= x_{s,A} W_{1,A} + c\,\mathbf 1^\top W_{1,\bar A}, \qquad
    x_s\cdot x_t = x_{s,A}\cdot x_{t,A} + (d - P)\,c^2, \\
    W_{1,\bar A} &\leftarrow W_{1,\bar A} - c\,\mathbf 1 \textstyle\sum_t \Delta_t^\top, \qquad
    W_{1,A} \leftarrow W_{1,A} - X_{B,A}^\top \Delta,

and the first layer's |update| tally of group g gains :math:`|c|\,\mathbf 1\sum_{t\in g}|\Delta_t|^\top`
outside A and :math:`|X_{B,A}|^\top (\mathbb 1_g |\Delta|)` on A. The d x h work of a block
(forward, Gram matrix, update, tallies) becomes P x h. The other layers' tallies are summed
after the block's sequential loop from its per-step updates (one matmul each) instead of inside
it. This is the same sequence of SGD steps as the dense blocked path, equal up to float rounding
(the sums are taken in another order): tested in float32 and float64.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from .. import nets
from ._losses import loss_function


def active_pixels(x: np.ndarray, orders: np.ndarray, block_size: int, offset: float) -> np.ndarray:
    """Per member and block, the input coordinates not equal to ``offset`` in some sample of the
    block, first in ascending order, then padded with the others to the largest count P (a
    multiple of 8, at most d).

    Args:
        x: ``(N, d)`` inputs; orders: ``(E, L)`` example per step (``L`` a multiple of
            ``block_size``, no negative entries); offset: c.

    Returns:
        ``(E, L / block_size, P)`` int32 coordinates, distinct within each block.
    """
    lit = np.asarray(x) != offset
    n_members, length = orders.shape
    blocks = [lit[orders[e]].reshape(length // block_size, block_size, -1).any(axis=1) for e in range(n_members)]
    unions = np.stack(blocks)  # (E, n_blocks, d)
    d = unions.shape[-1]
    count = min(d, max(8, -(-int(unions.sum(axis=-1).max()) // 8) * 8))
    return np.argsort(~unions, axis=-1, kind="stable")[..., :count].astype(np.int32)


@functools.lru_cache(maxsize=32)
def sparse_runner(spec: nets.MLP, loss: str, g_count: int, block_size: int, blocks_per_segment: int,
                  with_loss: bool, offset: float):
    """The jitted, vmapped blocked-SGD program for inputs ``offset`` + sparse (the arguments of
    :func:`toyscope.train._online_fast` 's runner, plus the active coordinates ``(E, n_blocks, P)``)."""
    hidden_act, out_act = (nets.activation(a) for a in spec.activations)
    loss_of = loss_function(loss)

    def out_grad(z2, target):
        return jax.grad(lambda z: loss_of(out_act(z)[None], target[None]))(z2)

    def act_derivative(z):
        return jax.jvp(hidden_act, (z,), (jnp.ones_like(z),))[1]

    def member(p, member_order, member_live, member_tallied, member_active, x, y, group, lr):
        d = x.shape[1]
        c = jnp.asarray(offset, x.dtype)

        def block(carry, inputs):
            (w1, b1, w2, b2), tallies = carry
            idx, live_b, tally_b, act = inputs
            xa = jnp.take(x[idx], act, axis=1)  # (B, P): whole rows, then the active columns
            yb, gb = y[idx], group[idx]
            w1a = w1[act]  # (P, h)
            h0 = xa @ w1a + c * (jnp.sum(w1, axis=0) - jnp.sum(w1a, axis=0))
            gram = xa @ xa.T + (d - act.shape[0]) * c * c
            onehot = jax.nn.one_hot(gb, g_count, dtype=w1.dtype) * tally_b[:, None]  # (B, G)

            def step(state, s):
                b1, w2, b2, deltas = state
                z1 = h0[s] - gram[s] @ deltas + b1
                h = hidden_act(z1)
                g2 = out_grad(h @ w2 + b2, yb[s]) * live_b[s]
                dz1 = (w2 @ g2) * act_derivative(z1)
                new_b1, new_w2, new_b2 = b1 - lr * dz1, w2 - lr * jnp.outer(h, g2), b2 - lr * g2
                changes = (jnp.abs(new_b1 - b1), jnp.abs(new_w2 - w2), jnp.abs(new_b2 - b2))
                step_loss = loss_of(out_act(h @ w2 + b2)[None], yb[s][None]) if with_loss else None
                return (new_b1, new_w2, new_b2, deltas.at[s].set(lr * dz1)), (changes, step_loss)

            init = (b1, w2, b2, jnp.zeros_like(h0))
            (b1, w2, b2, deltas), ((d_b1, d_w2, d_b2), block_losses) = jax.lax.scan(step, init, jnp.arange(block_size))
            t_b1 = tallies[0]["bias"] + onehot.T @ d_b1
            t_w2 = tallies[1]["weight"] + jnp.einsum("bg,bij->gij", onehot, d_w2)
            t_b2 = tallies[1]["bias"] + onehot.T @ d_b2
            abs_deltas = jnp.abs(deltas)
            per_group = onehot.T @ abs_deltas  # (G, h)
            t_w1 = tallies[0]["weight"]
            t_w1_active = t_w1[:, act] + jnp.einsum("bg,bp,bh->gph", onehot, jnp.abs(xa), abs_deltas)
            t_w1 = (t_w1 + jnp.abs(c) * per_group[:, None, :]).at[:, act].set(t_w1_active)
            w1 = (w1 - c * jnp.sum(deltas, axis=0)).at[act].set(w1a - xa.T @ deltas)
            return ((w1, b1, w2, b2), [{"weight": t_w1, "bias": t_b1}, {"weight": t_w2, "bias": t_b2}]), block_losses

        def segment_run(carry, inputs):
            carry, segment_losses = jax.lax.scan(block, carry, inputs)
            w1, b1, w2, b2 = carry[0]
            return carry, ([{"weight": w1, "bias": b1}, {"weight": w2, "bias": b2}], segment_losses)

        tallies = [{k: jnp.zeros((g_count, *v.shape), v.dtype) for k, v in layer.items()} for layer in p]
        shape = (-1, blocks_per_segment, block_size)
        inputs = (member_order.reshape(shape), member_live.reshape(shape), member_tallied.reshape(shape),
                  member_active.reshape(-1, blocks_per_segment, member_active.shape[-1]))
        start = (p[0]["weight"], p[0]["bias"], p[1]["weight"], p[1]["bias"])
        ((w1, b1, w2, b2), tallies), (snapshots, losses) = jax.lax.scan(segment_run, (start, tallies), inputs)
        final = [{"weight": w1, "bias": b1}, {"weight": w2, "bias": b2}]
        return (final, tallies, snapshots, losses) if with_loss else (final, tallies, snapshots)

    return jax.jit(jax.vmap(member, in_axes=(0, 0, 0, 0, 0, None, None, None, None)))
