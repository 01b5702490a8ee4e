"""Helpers for periodic hooks that change the parameters' layout (e.g. neuron permutations)."""

from __future__ import annotations

from collections.abc import Callable

import jax


def map_param_shaped(fn: Callable, tree, params):
    """Apply ``fn`` to every subtree of ``tree`` that has the structure of ``params``.

    Optimiser states hold parameter-shaped pytrees (Adam's ``mu`` and ``nu``, momentum's
    trace) beside scalars (step counts). A hook that permutes neurons must permute those
    moments with the weights; ``map_param_shaped(permute, opt_state, params)`` does that for
    any optax state without knowing its type.

    Args:
        fn: ``params_like -> params_like``.
        tree: e.g. an optax state.
        params: a template with the parameters' tree structure.
    """
    target = jax.tree_util.tree_structure(params)

    def is_param_shaped(node):
        try:
            return jax.tree_util.tree_structure(node) == target
        except Exception:  # noqa: BLE001 - unusual leaves are simply not param-shaped
            return False

    return jax.tree_util.tree_map(lambda node: fn(node) if is_param_shaped(node) else node,
                                  tree, is_leaf=is_param_shaped)
