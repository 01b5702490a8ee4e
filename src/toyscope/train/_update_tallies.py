r"""The per-step observer of update attribution: every parameter's |update| tallied by the group of
the example that caused it.

With one example per step, the update of step t, :math:`\Delta\theta_t = -\eta\nabla_\theta L(\theta_t; x_t)`,
is caused by example :math:`x_t` alone, so for every parameter :math:`i` and group :math:`g`

.. math:: T_{g,i} = \sum_{t \ge t_0,\ g(x_t) = g} |\Delta\theta_{t,i}|.

Passed to :func:`toyscope.train.train` with ``batching=Online(...)``, the tallies are accumulated
inside the compiled loop (by the engine, or exactly by the blocked fast path, which recognises
this observer).

Reference: "update-attribution-mnist" (``../shared/papers/update-attribution-mnist.txt``),
Methods: tallies over the second half of phase 1, then four forks.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp


@dataclasses.dataclass(frozen=True)
class GroupTallyObserver:
    """An engine observer ``(aux, delta, batch, step) -> aux`` adding :math:`|\\Delta\\theta|` to the
    tally of the step's group (see :func:`group_tally_observer`)."""

    start_step: int = 0

    def __call__(self, aux, delta, batch, step):
        group = batch["group"][0]
        scale = (step >= self.start_step).astype(jax.tree_util.tree_leaves(delta)[0].dtype)
        return jax.tree_util.tree_map(lambda tally, d: tally.at[group].add(scale * jnp.abs(d)), aux, delta)


def group_tally_observer(start_step: int = 0) -> GroupTallyObserver:
    """An engine observer adding :math:`|\\Delta\\theta|` to the tally of the step's group.

    ``aux`` is a params-shaped pytree with a leading group axis G on every leaf (one network;
    the engine adds E), e.g. ``jax.tree_util.tree_map(lambda p: jnp.zeros((p.shape[0], G, *p.shape[1:])), params)``
    for ensemble params. The example's group is ``batch["group"][0]`` (online mode). Steps
    before ``start_step`` are not tallied.

    Example:
        >>> result = train.train(objective, params, data, optimizer=train.Optimizer("sgd", 0.01), n_steps=n,
        ...                      batching=train.Online(order), observer=train.group_tally_observer(n // 2), aux=zeros)
        >>> result.aux[0]["weight"][e, g]  # T_g of the first weight matrix of member e
    """
    return GroupTallyObserver(int(start_step))
